"""ToyGAN's speed and its modes: iterations per second, the cost of one frame, and the time and
iterations to every mode of the ring (8) and the grid (25), with the shipped defaults.

    python benchmarks/toy.py          # ring (toy), grid (toy and pacgan), seeds 0, 1, 2
    python benchmarks/toy.py --runs ring:toy grid:pacgan --seeds 0 1 2 --iterations 5000
    python benchmarks/toy.py --runs ring:toy --seeds 0 --settings '{"ema_momentum": 0.999}'

Each run trains one model (ToyGAN or PacGAN, `keras_gan.train()` as shipped, verbose=0, frames
every 1000 iterations) and measures its modes every `--eval-interval` iterations on 2500 samples
(keras_gan.metrics.modes; not counted in its training time; printed to stderr as it goes). A run
reaches the aim when every mode is captured with >= 90% high-quality samples. Each run prints
one JSON line; the table at the end gives, per dataset and model, the median over seeds of:
iterations per second, the first iteration (and training seconds) with every mode captured, the
first reaching the aim, and the modes and high-quality share at the last iteration. Then the
median cost of a frame.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import keras


class ModeTimer(keras.callbacks.Callback):
    """Modes every `interval` iterations, with the training time spent up to then."""

    def __init__(self, interval):
        super().__init__()
        self.interval, self.rows = interval, []

    def on_train_begin(self, logs=None):
        self.training_seconds, self.started = 0.0, time.perf_counter()

    def on_train_batch_end(self, iteration, logs=None):
        if iteration % self.interval:
            return
        self.training_seconds += time.perf_counter() - self.started
        quality = self.model.measure_quality()
        self.rows.append(
            {
                "iteration": iteration,
                "seconds": round(self.training_seconds, 1),
                "modes_captured": quality["modes_captured"],
                "modes": quality["modes"],
                "high_quality_share": round(quality["high_quality_share"], 4),
            }
        )
        print(json.dumps({"progress": self.rows[-1]}), file=sys.stderr, flush=True)
        self.started = time.perf_counter()


def first(rows, condition):
    return next((row for row in rows if condition(row)), None)


def run(dataset, model, seed, iterations, eval_interval, settings, batch_size=256):
    import keras_gan

    gan = getattr(keras_gan, {"toy": "ToyGAN", "pacgan": "PacGAN"}[model])(
        dataset=dataset, seed=seed, **settings
    )
    timer = ModeTimer(eval_interval)
    with tempfile.TemporaryDirectory() as folder:
        gan.train(
            iterations=iterations,
            batch_size=batch_size,
            sample_interval=1000,
            output_dir=os.path.join(folder, "run"),
            checkpoint_interval=iterations,
            verbose=0,
            callbacks=[timer],
        )
        frame_seconds = []
        for _ in range(5):
            start = time.perf_counter()
            gan.picture()
            frame_seconds.append(time.perf_counter() - start)
    rows = timer.rows
    every = first(rows, lambda r: r["modes_captured"] == r["modes"])
    aim = first(
        rows, lambda r: r["modes_captured"] == r["modes"] and r["high_quality_share"] >= 0.9
    )
    return {
        "dataset": dataset,
        "model": model,
        "seed": seed,
        "settings": settings,
        "batch_size": batch_size,
        "iterations_per_second": round(rows[-1]["iteration"] / rows[-1]["seconds"], 2),
        "all_modes_at": every and (every["iteration"], every["seconds"]),
        "aim_at": aim and (aim["iteration"], aim["seconds"]),
        "last": rows[-1],
        "frame_seconds": round(statistics.median(frame_seconds[1:]), 3),
        "rows": rows,
    }


def median_or_dash(values):
    """The median, or how many seeds got a value at all (None: never reached)."""
    if any(v is None for v in values):
        reached = [v for v in values if v is not None]
        return f"{len(reached)}/{len(values)} seeds" + (
            f", median of those {statistics.median(reached):g}" if reached else ""
        )
    return f"{statistics.median(values):g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", default=["ring:toy", "grid:toy", "grid:pacgan"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--eval-interval", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=256, help="ToyGAN.train's default: 256")
    parser.add_argument("--settings", type=json.loads, default={}, help="JSON, e.g. model settings")
    args = parser.parse_args()
    results = []
    for spec in args.runs:
        dataset, model = spec.split(":")
        for seed in args.seeds:
            result = run(
                dataset, model, seed, args.iterations, args.eval_interval, args.settings,
                args.batch_size,
            )  # fmt: skip
            print(json.dumps(result), flush=True)
            results.append(result)
    print(
        "\n| data, model | it/s | all modes at: iteration | seconds | aim (all, >= 90%) at | "
        "at the end: modes | high quality |"
    )
    print("|---|---|---|---|---|---|---|")
    for spec in args.runs:
        dataset, model = spec.split(":")
        mine = [r for r in results if (r["dataset"], r["model"]) == (dataset, model)]
        print(
            f"| {dataset}, {model} | {median_or_dash([r['iterations_per_second'] for r in mine])} "
            f"| {median_or_dash([r['all_modes_at'] and r['all_modes_at'][0] for r in mine])} "
            f"| {median_or_dash([r['all_modes_at'] and r['all_modes_at'][1] for r in mine])} "
            f"| {median_or_dash([r['aim_at'] and r['aim_at'][0] for r in mine])} "
            f"| {median_or_dash([r['last']['modes_captured'] for r in mine])} "
            f"| {median_or_dash([100 * r['last']['high_quality_share'] for r in mine])}% |"
        )
    print(f"\nOne frame: {median_or_dash([r['frame_seconds'] for r in results])} s (median)")


if __name__ == "__main__":
    main()
