"""How good do the samples get, and how fast? Trains keras_gan's models, Keras-GAN's 2018 recipes
and the plain PyTorch DCGAN recipe on MNIST, and measures their samples as they train.

    python benchmarks/quality.py --data-dir /path/to/mnist                 # all 10, 5000 iterations
    python benchmarks/quality.py --models gan,torch-dcgan --iterations 2000  # quicker

The models: gan, dcgan, cgan, lsgan, wgan, wgan-gp (keras_gan's, as shipped); kerasgan-cgan,
kerasgan-lsgan and kerasgan-wgan (the networks and settings of Keras-GAN's cgan.py, lsgan.py and
wgan.py on keras_gan's loop, benchmarks/reference_models.py); and torch-dcgan (pytorch/examples'
DCGAN recipe for 28x28, benchmarks/torch_dcgan.py; skipped, saying why, when torch cannot be
imported). Each trains with the same seed and batch size on MNIST's 60000 training digits scaled
to [-1, 1]; an iteration is one generator step (a WGAN's has 5 critic steps).

Every `--eval-every` iterations, and at each of `--checkpoints`, the model generates `--samples`
images from noise drawn with the seed (a conditional model is asked for each digit equally often)
and keras_gan.metrics.evaluate_gan measures them against as many MNIST test digits: Frechet
distance, MNIST score, digits covered, and for a conditional model the share of samples the
classifier reads as the digit asked for. The clock stops while it measures: "train time" is
training alone (compilation included), wall-clock.

Printed: a markdown table of the metrics at the checkpoints, and a time-to-quality table: the
first measured iteration at which the Frechet distance is at most each of `--thresholds`.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

import keras
import numpy as np
import reference_models

import keras_gan
from keras_gan import datasets, metrics

MODELS = (
    "gan", "dcgan", "cgan", "lsgan", "wgan", "wgan-gp",
    "kerasgan-cgan", "kerasgan-lsgan", "kerasgan-wgan", "torch-dcgan",
)  # fmt: skip
KERAS_GAN_CLASSES = {
    "gan": "GAN",
    "dcgan": "DCGAN",
    "cgan": "CGAN",
    "lsgan": "LSGAN",
    "wgan": "WGAN",
    "wgan-gp": "WGANGP",
}
KERAS_GAN_RECIPES = {  # Keras-GAN's 2018 scripts, benchmarks/reference_models.py
    "kerasgan-cgan": "KerasGANCGAN",
    "kerasgan-lsgan": "KerasGANLSGAN",
    "kerasgan-wgan": "KerasGANWGAN",
}
CONDITIONAL = (
    "cgan",
    "kerasgan-cgan",
)  # trained on (images, labels); scored on conditional accuracy too

Measurement = namedtuple("Measurement", "iteration seconds results")  # seconds: training so far


# --------------------------------------------------------------------------------------------
# The models, and how each one trains.


def torch_peer():
    """benchmarks/torch_dcgan.py if torch can be imported, else (None, the reason)."""
    try:
        import torch_dcgan
    except ImportError as error:
        return None, f"torch is not importable here ({error}); install torch to include it"
    return torch_dcgan, None


def build_model(name, seed):
    """A new model, by its name in this benchmark."""
    if name == "torch-dcgan":
        return torch_peer()[0].TorchDCGAN(seed=seed)
    if name in KERAS_GAN_RECIPES:
        return getattr(reference_models, KERAS_GAN_RECIPES[name])(seed=seed)
    return getattr(keras_gan, KERAS_GAN_CLASSES[name])(seed=seed)


def train(model, iterations, data, batch_size, watch):
    """Train `model` up to `iterations`, with `watch` told of every iteration."""
    if not isinstance(model, keras_gan.GAN):  # the PyTorch recipe: same callback calls
        model.train(iterations, data, batch_size, callbacks=[watch])
        return
    with tempfile.TemporaryDirectory() as output_dir:  # its grids and checkpoint are not kept
        model.train(
            iterations=iterations,
            batch_size=batch_size,
            data=data,
            output_dir=output_dir,
            sample_interval=iterations,  # a grid at the start and the end: time goes to training
            checkpoint_interval=iterations + 1,  # only the one a run saves as it ends
            log_interval=iterations,
            verbose=0,
            callbacks=[watch],
        )


class QualityWatch(keras.callbacks.Callback):
    """Measures the samples after the iterations in `measure_at`, on a clock of training alone."""

    def __init__(self, name, evaluate, measure_at):
        super().__init__()
        self.name, self.evaluate, self.measure_at = name, evaluate, set(measure_at)
        self.training_seconds, self.measurements = 0.0, []

    def on_train_batch_begin(self, iteration, logs=None):
        self.iteration_start = time.perf_counter()

    def on_train_batch_end(self, iteration, logs=None):
        # Only the iteration itself counts: drawing the batches, the step, its log.
        self.training_seconds += time.perf_counter() - self.iteration_start
        if iteration in self.measure_at:
            results = self.evaluate()
            self.measurements.append(Measurement(iteration, self.training_seconds, results))
            print(
                f"  {self.name} {iteration:>5} ({self.training_seconds:4.0f} s): "
                f"{metrics.describe(results)}",
                flush=True,
            )


def benchmark(name, data, reference, iterations, measure_at, batch_size, samples, seed):
    """Train one model and return its measurements, in the order they were taken."""
    model = build_model(name, seed)
    watch = QualityWatch(
        name, lambda: metrics.evaluate_gan(model, reference, samples, seed), measure_at
    )
    print(f"Training {name} for {iterations} iterations (seed {seed})", flush=True)
    train(model, iterations, data, batch_size, watch)
    return watch.measurements


# --------------------------------------------------------------------------------------------
# The tables.


def first_reached(measurements, threshold):
    """The first measurement whose Frechet distance is at most `threshold`, or None."""
    return next((m for m in measurements if m.results["frechet_distance"] <= threshold), None)


def markdown_table(header, rows):
    lines = [
        "| " + " | ".join(header) + " |",
        "|:---|" + "|".join("---:" for _ in header[1:]) + "|",
    ]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def checkpoint_table(measurements, checkpoints):
    """The metrics of every model at each checkpoint."""
    header = [
        "model",
        "iterations",
        "train time (s)",
        "Frechet distance",
        "MNIST score",
        "digits covered",
        "conditional accuracy",
    ]
    rows = []
    for name, taken in measurements.items():
        for iteration, seconds, results in (m for m in taken if m.iteration in checkpoints):
            accuracy = results.get("conditional_accuracy")
            rows.append(
                [
                    name,
                    str(iteration),
                    f"{seconds:.0f}",
                    f"{results['frechet_distance']:.2f}",
                    f"{results['mnist_score']:.2f}",
                    str(results["digits_covered"]),
                    "—" if accuracy is None else f"{100 * accuracy:.1f}%",
                ]
            )
    return markdown_table(header, rows)


def time_to_quality_table(measurements, thresholds):
    """Per model: its training time, when it first reached each distance, and its best distance."""
    header = [
        "model",
        "train time (s)",
        *[f"Frechet ≤ {threshold:g}" for threshold in thresholds],
        "best Frechet",
    ]
    rows = []
    for name, taken in measurements.items():
        crossings = [first_reached(taken, threshold) for threshold in thresholds]
        best = min(taken, key=lambda m: m.results["frechet_distance"])
        rows.append(
            [
                name,
                f"{taken[-1].seconds:.0f} ({taken[-1].iteration} it)",
                *[
                    "not reached" if m is None else f"{m.iteration} it, {m.seconds:.0f} s"
                    for m in crossings
                ],
                f"{best.results['frechet_distance']:.2f} at {best.iteration}",
            ]
        )
    return markdown_table(header, rows)


def environment():
    """One line saying when, on what and on which commit of keras_gan this ran."""
    torch_dcgan, _ = torch_peer()
    torch_version = torch_dcgan.torch.__version__ if torch_dcgan else "not importable"
    return (
        f"{datetime.date.today()}, keras_gan {repository_commit()}, "
        f"Python {platform.python_version()}, "
        f"Keras {keras.__version__} ({keras.backend.backend()} backend), torch {torch_version}, "
        f"NumPy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()} {platform.system()}"
    )


def repository_commit():
    """The commit of this checkout (with "-dirty" if tracked files differ from it), or "unknown"."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
    except OSError:  # no git here
        return "unknown"
    return described.stdout.strip() or "unknown"


# --------------------------------------------------------------------------------------------
# The driver.


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="MNIST folder (default: $KERAS_GAN_DATA_DIR, else download)",
    )
    parser.add_argument(
        "--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)}"
    )
    parser.add_argument("--iterations", type=int, default=5000, help="train each model this long")
    parser.add_argument(
        "--checkpoints",
        default="1000,2000,5000",
        help="iterations the first table shows; past --iterations dropped, --iterations added",
    )
    parser.add_argument(
        "--eval-every", type=int, default=250, help="measure this often, to find the crossings"
    )
    parser.add_argument(
        "--thresholds", default="30,15", help="Frechet distances the second table times"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=5000,
        help="images generated, and test digits, per measurement",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--seed", type=int, default=0, help="every model's seed, and the samples' noise"
    )
    args = parser.parse_args(argv)
    args.models = [name.strip().lower() for name in args.models.split(",") if name.strip()]
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}.")
    if min(args.iterations, args.eval_every, args.samples, args.batch_size) < 1:
        parser.error("--iterations, --eval-every, --samples and --batch-size must be at least 1.")
    args.checkpoints = sorted(
        {int(value) for value in args.checkpoints.split(",") if 0 < int(value) < args.iterations}
        | {args.iterations}
    )
    args.thresholds = [float(value) for value in args.thresholds.split(",")]
    return args


def main(argv=None):
    args = parse_arguments(argv)
    models, skipped = list(args.models), None
    if "torch-dcgan" in models and torch_peer()[0] is None:
        skipped = f"torch-dcgan skipped: {torch_peer()[1]}."
        print(skipped, flush=True)
        models.remove("torch-dcgan")
    print(environment(), flush=True)

    images, labels = datasets.load_mnist(args.data_dir, split="train", with_labels=True)
    # The distance is measured against held-out digits, as many as there are samples.
    reference = datasets.load_mnist(args.data_dir, split="test")[: args.samples]
    measure_at = sorted(
        set(range(args.eval_every, args.iterations + 1, args.eval_every)) | set(args.checkpoints)
    )

    measurements = {}
    for name in models:
        data = (images, labels) if name in CONDITIONAL else images
        measurements[name] = benchmark(
            name,
            data,
            reference,
            args.iterations,
            measure_at,
            args.batch_size,
            args.samples,
            args.seed,
        )

    print(
        f"\nAt the checkpoints ({args.samples} samples against {len(reference)} "
        "MNIST test digits):\n"
    )
    print(checkpoint_table(measurements, args.checkpoints))
    print(
        f"\nTime to quality (measured every {args.eval_every} iterations, {args.samples} samples; "
        "train time excludes measuring):\n"
    )
    print(time_to_quality_table(measurements, args.thresholds))
    if skipped:
        print(f"\n{skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
