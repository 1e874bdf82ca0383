"""Training speed of `GAN.train()` beside the 2018 seed loop, a fused step and PyTorch: a table.

    python benchmarks/train_speed.py                      # MLP and DCGAN, batch 32 and 128
    python benchmarks/train_speed.py --models mlp,cgan,lsgan,wgan --variants train,train-4-calls
    python benchmarks/train_speed.py --variants train,seed,fused --batch-sizes 32
    python benchmarks/train_speed.py --backends tensorflow,jax --models mlp  # side by side
    python benchmarks/train_speed.py --variants train --baseline ../old  # another checkout

Every loop of every row runs round-robin (each round runs each loop once, in turn: every
variant of every model, batch size and backend, each backend in its own worker process), so a
machine shared with other work slows them alike; the first round (compilation, warm-up) is not
counted. The table shows medians of iterations per second, and ratios to our `train()`: the
median of the rounds' ratios, with the lowest and highest in brackets, which say how much the
machine's load moved them. An iteration is one generator step: a WGAN's holds its critic's 5 steps.

With `--baseline CHECKOUT` (a folder holding another version of the package, e.g. a git worktree
of an older commit), that version's train() runs in a worker process of its own beside ours, as
the backend "<backend>@baseline", and the table adds "train/baseline": a change's speed, measured
side by side.

With `fused` among the variants and TensorFlow among the backends it also prints the
multiply-adds of one iteration, counted in the program XLA compiles (`arithmetic.py`), and
"MACs fused/train": the fused step's count over train()'s, what train()/fused would be if both
ran their multiply-adds at the same rate. The classic iteration runs G twice (D's fake batch,
then G's own step) and D three times, the fused step G once and D twice.

Variants (the references are in reference_loops.py):
  train()          keras_gan's loop as shipped (one compiled call per iteration, jit_compile
                   "auto"), verbose=0, with its standard callbacks (grids, loss plot, metrics log)
  train() no-jit   the same without XLA (jit_compile=False): what XLA is worth on this backend
  train() 4 calls  the same with compile_iteration=False: the four Keras calls of the classic code
  train() R1       the same with the R1 gradient penalty (r1_gamma=10): the column train/R1 is
                   how many times an iteration without the penalty fits in one with it
  train() no GP    a model shipped with a penalty without it: wgangp's critic steps without its
                   gradient penalty (penalty_weight refuses 0), the dcgan with r1_gamma=0 (R1 is
                   its default since 2026-12-07); no GP/train is what the penalty costs
  bare steps       compiled.run_iteration in a plain loop, no callbacks: what the callbacks cost
  seed loop        the 2018 Keras-GAN loop (mlp, dcgan)
  fused TF XLA     the TensorFlow tutorial's fused step (mlp: plain TF, beside any backend;
                   dcgan: on the Keras models, TensorFlow backend only)
  PyTorch          the MLP GAN in plain PyTorch (mlp), if torch is installed
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

# PyTorch's OpenMP threads otherwise spin between calls and starve the other variants' threads
# on a small machine; set before torch (or anything using OpenMP) loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import arithmetic  # noqa: E402  benchmarks/arithmetic.py, beside this script
import keras  # noqa: E402
import reference_loops  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import compiled, datasets  # noqa: E402

# The models this version of the package has (a --baseline checkout may lack the newer ones).
MODEL_CLASSES = dict(
    mlp="GAN", dcgan="DCGAN", cgan="CGAN", lsgan="LSGAN", wgan="WGAN", wgangp="WGANGP"
)
MODELS = {
    name: getattr(keras_gan, cls) for name, cls in MODEL_CLASSES.items() if hasattr(keras_gan, cls)
}
LABELS = {
    "train": "train()",
    "train-no-jit": "train() no-jit",
    "train-4-calls": "train() 4 calls",
    "train-r1": "train() R1",
    "train-no-gp": "train() no GP",
    "bare": "bare steps",
    "seed": "seed loop",
    "fused": "fused TF XLA",
    "torch": "PyTorch",
}
REFERENCES = (
    "fused",
    "torch",
)  # backend-independent code: measured once, in the first backend's worker
NEVER = 10**9  # sample and checkpoint intervals that never fall inside a measurement


# ------------------------------------------------------------------------------------------------
# What is timed. Each runner's `rate(n)` runs n iterations and returns iterations per second.


class IterationTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, iteration, logs=None):
        self.times.append(time.perf_counter())


class OurTrain:
    """`gan.train()` to a target that grows by n + 1 per call, timed from the end of its first
    iteration, so the per-call set-up (callbacks opening files, the final grid and plot) is not
    counted."""

    def __init__(self, gan, data, batch_size):
        self.gan, self.data, self.batch_size = gan, data, batch_size
        # The run's files (grids, logs, its checkpoint at each call's end), deleted at exit.
        self.folder = tempfile.TemporaryDirectory(prefix="train_speed_")

    def rate(self, n):
        timer = IterationTimes()
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            self.gan.train(
                iterations=self.gan.iteration + n + 1,
                batch_size=self.batch_size,
                data=self.data,
                verbose=0,
                output_dir=self.folder.name,
                sample_interval=NEVER,
                checkpoint_interval=NEVER,
                callbacks=[timer],
            )
        return n / (timer.times[-1] - timer.times[0])


class BareSteps:
    """train()'s iterations in a plain loop: `compiled.run_iteration`, no train() callbacks."""

    def __init__(self, gan, data, batch_size):
        self.gan, self.data, self.batch_size = gan, gan.check_data(data), batch_size

    def rate(self, n):
        gan, batch_size = self.gan, self.batch_size
        start = time.perf_counter()
        for _ in range(n):
            real_batches = [gan.sample_batch(self.data, batch_size) for _ in range(gan.d_steps)]
            d_inputs = [gan.generator_inputs(batch_size) for _ in range(gan.d_steps)]
            compiled.run_iteration(gan, real_batches, d_inputs, gan.generator_inputs(batch_size))
        return n / (time.perf_counter() - start)


class Timed:
    """A reference loop (reference_loops.py), timed."""

    def __init__(self, loop):
        self.loop = loop

    def rate(self, n):
        start = time.perf_counter()
        self.loop.train(n)
        return n / (time.perf_counter() - start)


def make_gan(model, **settings):
    return MODELS[model](seed=0, **settings)


def has_r1_default(model):
    """Whether the model is shipped with R1 on (the DCGAN since 2026-12-07; not in older trees)."""
    setting = getattr(MODELS[model], "r1_gamma", None)
    return bool(getattr(setting, "default", 0))


def wgangp_without_penalty():
    """A WGANGP whose critic steps give no penalty points: the same wrapped critic, Adam and 5
    critic steps, so beside the WGANGP only the penalty differs. Made here, not at import: a
    --baseline checkout may have no WGANGP."""

    class WGANGPNoPenalty(MODELS["wgangp"]):
        def penalty_points(self, real_batch, fake_batch):
            return None

    return WGANGPNoPenalty(seed=0)


class Data:
    """MNIST as each loop takes it: uint8 for train() (labels too for the CGAN), float32 in [-1, 1]
    for the reference loops (scaled once, as the 2018 code did)."""

    def __init__(self, data_dir):
        self.images, self.labels = datasets.load_mnist(data_dir, with_labels=True)
        self._scaled = None

    def for_model(self, model):
        return (self.images, self.labels) if model == "cgan" else self.images

    def scaled(self):
        if self._scaled is None:
            self._scaled = datasets.scale_images(self.images)
        return self._scaled


def make_runners(model, batch_size, variants, data):
    """{variant: runner} for one group of table rows; a variant that cannot run here says why."""
    backend = keras.backend.backend()
    runners, notes = {}, []
    for variant in variants:
        if variant == "train":
            runners[variant] = OurTrain(make_gan(model), data.for_model(model), batch_size)
        elif variant == "train-no-jit":
            if backend == "torch":
                notes.append(
                    "train() no-jit not run on torch: train() runs without jit there already"
                )
            else:
                runners[variant] = OurTrain(
                    make_gan(model, jit_compile=False), data.for_model(model), batch_size
                )
        elif variant == "train-4-calls":
            runners[variant] = OurTrain(
                make_gan(model, compile_iteration=False), data.for_model(model), batch_size
            )
        elif variant == "train-r1":
            if model in ("cgan", "wgangp"):
                notes.append(f"{model}: no R1 row (refused: {model} takes no r1_gamma)")
            elif has_r1_default(model):
                notes.append(f"{model}: no R1 row (R1 is its default: no GP/train is its cost)")
            else:
                runners[variant] = OurTrain(
                    make_gan(model, r1_gamma=10.0), data.for_model(model), batch_size
                )
        elif variant == "train-no-gp":
            if has_r1_default(model):
                runners[variant] = OurTrain(
                    make_gan(model, r1_gamma=0.0), data.for_model(model), batch_size
                )
            elif model != "wgangp":
                notes.append(
                    f"{model}: no 'no GP' row (wgangp and the dcgan only; R1 is the train() R1 row)"
                )
            else:
                runners[variant] = OurTrain(
                    wgangp_without_penalty(), data.for_model(model), batch_size
                )
        elif variant == "bare":
            runners[variant] = BareSteps(make_gan(model), data.for_model(model), batch_size)
        elif model not in ("mlp", "dcgan"):
            notes.append(
                f"{model}: no reference loops (seed, fused, PyTorch); compare its train() rows"
            )
        elif variant == "seed":
            runners[variant] = Timed(
                reference_loops.SeedLoop(make_gan(model), data.scaled(), batch_size)
            )
        elif variant == "fused":
            if model == "mlp":
                runners[variant] = Timed(reference_loops.FusedTFMLP(data.scaled(), batch_size))
            elif backend == "tensorflow":
                runners[variant] = Timed(
                    reference_loops.FusedKerasTF(make_gan(model), data.scaled(), batch_size)
                )
            else:
                notes.append(
                    f"{model} b{batch_size}: fused TF reference for the DCGAN needs "
                    "KERAS_BACKEND=tensorflow"
                )
        elif variant == "torch":
            if model != "mlp":
                notes.append(f"{model} b{batch_size}: no PyTorch reference for the DCGAN")
            elif not torch_available():
                notes.append(
                    "PyTorch reference skipped: torch is not installed "
                    "(pip install keras_gan[torch])"
                )
            else:
                runners[variant] = Timed(reference_loops.TorchMLP(data.scaled(), batch_size))
    gan = next((runner.gan for runner in runners.values() if hasattr(runner, "gan")), None)
    if gan is not None and gan.d_steps > 1:
        notes.append(
            f"{model}: it/s counts generator iterations, each with {gan.d_steps} critic steps"
        )
    return runners, notes


def count_multiply_adds(model, batch_size, data):
    """Multiply-adds per iteration of train() and, where there is one, of the fused step, as XLA
    compiles them (TensorFlow); {"error": ...} if they cannot be counted, so the timings still
    print."""
    try:
        counts = {"train": arithmetic.train_iteration_multiply_adds(make_gan(model), batch_size)}
        if model == "mlp":
            fused = reference_loops.FusedTFMLP(data.scaled(), batch_size)
        elif model == "dcgan":
            fused = reference_loops.FusedKerasTF(make_gan(model), data.scaled(), batch_size)
        else:
            return counts
        counts["fused"] = arithmetic.tensorflow_multiply_adds(fused.step, fused.real_batch())
        return counts
    except Exception as error:  # a count is extra information, never worth the measured table
        return {
            "error": f"{model} b{batch_size}: multiply-adds not counted: "
            f"{type(error).__name__}: {error}"
        }


def torch_available():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def measure(runners, iterations, repeats):
    """Round-robin over every runner of every table row; round 0 (compilation) is dropped.

    `runners` maps (model, batch size, backend, variant) to a runner; returns each one's it/s, a
    list with one rate per round.
    """
    rates = {key: [] for key in runners}
    for round_ in range(repeats + 1):
        for key, runner in runners.items():
            rate = runner.rate(iterations if round_ else max(3, iterations // 4))
            if round_:
                rates[key].append(rate)
        print(
            f"  round {round_}/{repeats}: "
            + ", ".join(
                f"{model} b{batch} {backend} {LABELS[variant]} {r[-1]:.1f}"
                for (model, batch, backend, variant), r in rates.items()
                if r
            ),
            flush=True,
        )
    return rates


# ------------------------------------------------------------------------------------------------
# Several backends in one run: Keras fixes its backend when it is imported, so each backend gets
# a worker process; the rounds still interleave every variant of every backend, one at a time.

WORKER_PREFIX = "@@ "


class Worker:
    """A `train_speed.py --worker` process on one backend, answering JSON commands one at a time."""

    def __init__(self, backend, data_dir, baseline=None):
        self.backend = backend
        self.log = tempfile.TemporaryFile("w+")
        command = [sys.executable, os.path.abspath(__file__), "--worker"]
        if data_dir:
            command += ["--data-dir", data_dir]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={
                **os.environ,
                "KERAS_BACKEND": backend.partition("@")[0],
                # The baseline worker imports keras_gan from the other checkout first.
                **({"PYTHONPATH": os.path.abspath(baseline)} if baseline else {}),
            },
        )

    def call(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(WORKER_PREFIX):
                return json.loads(line[len(WORKER_PREFIX) :])
        self.log.seek(0)
        raise RuntimeError(f"the {self.backend} worker stopped:\n{self.log.read()[-3000:]}")

    def close(self):
        self.process.stdin.close()
        self.process.wait()


class RemoteRunner:
    def __init__(self, worker, key):
        self.worker, self.key = worker, key

    def rate(self, n):
        return self.worker.call(run=self.key, n=n)["rate"]


def serve(data_dir):
    """The worker's side: set up runners and run them as told, answering on stdout."""
    data = Data(data_dir)
    runners = {}  # (model, batch size, variant) as a JSON list -> runner
    for line in sys.stdin:
        command = json.loads(line)
        if "setup" in command:
            setup = command["setup"]
            made, notes = make_runners(setup["model"], setup["batch_size"], setup["variants"], data)
            runners.update(
                {json.dumps([setup["model"], setup["batch_size"], v]): r for v, r in made.items()}
            )
            answer = {"variants": list(made), "notes": notes}
        elif "multiply_adds" in command:
            answer = count_multiply_adds(
                command["multiply_adds"]["model"], command["multiply_adds"]["batch_size"], data
            )
        else:
            answer = {"rate": runners[json.dumps(command["run"])].rate(command["n"])}
        print(WORKER_PREFIX + json.dumps(answer), flush=True)


# ------------------------------------------------------------------------------------------------


def comma_list(text, allowed, parser, what):
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = set(items) - set(allowed)
    if unknown:
        parser.error(f"unknown {what} {sorted(unknown)}; choose from {', '.join(allowed)}")
    return items


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="mlp,dcgan", help="comma list of " + ", ".join(MODELS))
    parser.add_argument("--batch-sizes", default="32,128", help="comma list")
    parser.add_argument(
        "--variants", default=",".join(LABELS), help="comma list of " + ", ".join(LABELS)
    )
    parser.add_argument(
        "--backends",
        help="comma list of Keras backends, measured side by side in worker "
        "processes (default: this process's backend only)",
    )
    parser.add_argument("--iterations", type=int, default=60, help="iterations per measurement")
    parser.add_argument(
        "--repeats", type=int, default=7, help="measured rounds (after one warm-up)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 iterations x 3 rounds: a smoke run"
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KERAS_GAN_DATA_DIR"),
        help="MNIST folder (else $KERAS_GAN_DATA_DIR, else Keras' download)",
    )
    parser.add_argument(
        "--baseline",
        metavar="CHECKOUT",
        help="another checkout of keras_gan whose train() is measured beside ours",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return serve(args.data_dir)
    if args.quick:
        args.iterations, args.repeats = 20, 3
    variants = comma_list(args.variants, LABELS, parser, "variants")
    models = comma_list(args.models, MODELS, parser, "models")
    backends = comma_list(
        args.backends or keras.backend.backend(), ("tensorflow", "jax", "torch"), parser, "backends"
    )
    if args.baseline:
        if not os.path.isdir(os.path.join(args.baseline, "keras_gan")):
            parser.error(f"--baseline {args.baseline!r} holds no keras_gan package")
        backends.append(f"{backends[0]}@baseline")
    local = not args.backends and not args.baseline
    data = Data(args.data_dir) if local else None
    workers = (
        {}
        if local
        else {
            backend: Worker(backend, args.data_dir, args.baseline if "@" in backend else None)
            for backend in backends
        }
    )

    results, notes = {}, []  # results[(model, batch)][backend] = {variant: [it/s in each round]}
    counts = {}  # counts[(model, batch)] = multiply-adds per iteration of train() (and fused)
    count_here = "fused" in variants and "tensorflow" in backends
    if "fused" in variants and not count_here:
        notes.append(
            "multiply-adds are counted in XLA's TensorFlow program: add tensorflow to --backends"
        )
    groups = [
        (model, int(batch_size)) for model in models for batch_size in args.batch_sizes.split(",")
    ]
    try:
        runners = {}  # every runner of every row, measured in one round-robin
        for model, batch_size in groups:
            for index, backend in enumerate(backends):
                wanted = [v for v in variants if index == 0 or v not in REFERENCES]
                if backend.endswith("@baseline"):
                    wanted = [v for v in wanted if v == "train"]  # the code both versions have
                if local:
                    made, more_notes = make_runners(model, batch_size, wanted, data)
                else:
                    answer = workers[backend].call(
                        setup={"model": model, "batch_size": batch_size, "variants": wanted}
                    )
                    made = {
                        v: RemoteRunner(workers[backend], [model, batch_size, v])
                        for v in answer["variants"]
                    }
                    more_notes = answer["notes"]
                runners.update(
                    {(model, batch_size, backend, v): runner for v, runner in made.items()}
                )
                notes += more_notes
        print(
            f"{len(runners)} loops: {', '.join(f'{m} b{b}' for m, b in groups)} "
            f"on {', '.join(backends)}",
            flush=True,
        )
        for (model, batch_size, backend, variant), rates in measure(
            runners, args.iterations, args.repeats
        ).items():
            results.setdefault((model, batch_size), {b: {} for b in backends})[backend][variant] = (
                rates
            )
        if count_here:
            for model, batch_size in groups:
                counts[(model, batch_size)] = (
                    count_multiply_adds(model, batch_size, data)
                    if local
                    else workers["tensorflow"].call(
                        multiply_adds={"model": model, "batch_size": batch_size}
                    )
                )
    finally:
        for worker in workers.values():
            worker.close()
    print_tables(results, counts, variants, backends, notes, args)
    return 0


def print_tables(results, counts, variants, backends, notes, args):
    columns = [
        v
        for v in variants
        if any(v in per_backend for row in results.values() for per_backend in row.values())
    ]
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"
    print(
        f"\nIterations per second (median of {args.repeats} interleaved rounds of "
        f"{args.iterations}); Keras {keras.__version__}, {machine}. "
        "Ratios: the median of each round's ratio (lowest-highest). "
        f"fused and PyTorch: measured in the {backends[0]} process; "
        "'seed (TF)': the 2018 loop on TensorFlow, Keras' default backend, as people run it"
    )
    header = [
        "model",
        "batch",
        "backend",
        *(LABELS[c] for c in columns),
        "train/seed",
        "train/seed (TF)",
        "train/fused",
        "MACs fused/train",
        "train/torch",
        "train/4 calls",
        "train/R1",
        "no GP/train",
        *(["train/baseline"] if args.baseline else []),
    ]
    table = []
    for (model, batch_size), row in results.items():
        count = counts.get((model, batch_size), {})
        macs = f"{count['fused'] / count['train']:.2f}x" if "fused" in count else "-"
        for backend in backends:
            rates = {v: row[backends[0] if v in REFERENCES else backend].get(v) for v in LABELS}

            def ratio(others, train=rates["train"]):
                if not train or not others:
                    return "-"
                per_round = sorted(ours / theirs for ours, theirs in zip(train, others))
                spread = f" ({per_round[0]:.2f}-{per_round[-1]:.2f})" if len(per_round) > 1 else ""
                return f"{statistics.median(per_round):.2f}x{spread}"

            table.append(
                [
                    model,
                    str(batch_size),
                    backend,
                    *(f"{statistics.median(rates[c]):.1f}" if rates[c] else "-" for c in columns),
                    ratio(rates["seed"]),
                    ratio(row.get("tensorflow", {}).get("seed")),
                    ratio(rates["fused"]),
                    macs,
                    ratio(rates["torch"]),
                    ratio(rates["train-4-calls"]),
                    ratio(rates["train-r1"]),
                    ratio(rates["train"], train=rates["train-no-gp"]),
                    *(
                        [ratio(row.get(f"{backend}@baseline", {}).get("train"))]
                        if args.baseline
                        else []
                    ),
                ]
            )
    widths = [max(len(str(x)) for x in column) for column in zip(header, *table)]
    for cells in [header, *table]:
        print("  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))
    for (model, batch_size), count in counts.items():
        if "error" in count:
            notes.append(count["error"])
            continue
        fused = f", {count['fused'] / 1e9:.3f} G per fused step" if "fused" in count else ""
        print(
            f"{model} b{batch_size}: {count['train'] / 1e9:.3f} G multiply-adds "
            f"per train() iteration{fused} "
            "(XLA's compiled programs, TensorFlow)"
        )
        row = results[(model, batch_size)]
        speeds = [
            f"train() on {backend} "
            f"{count['train'] * statistics.median(row[backend]['train']) / 1e9:.1f} G/s"
            for backend in backends
            if row[backend].get("train")
        ]
        if fused and row[backends[0]].get("fused"):
            speeds.append(
                "fused "
                f"{count['fused'] * statistics.median(row[backends[0]]['fused']) / 1e9:.1f} G/s"
            )
        if speeds:
            print(
                "  multiply-adds per second at the measured rates (TensorFlow's counts): "
                f"{', '.join(speeds)}"
            )
    if any("fused" in count for count in counts.values()):
        print(
            "MACs fused/train: what train()/fused would be if both ran their multiply-adds "
            "at the same rate"
        )
    for note in dict.fromkeys(notes):
        print("note:", note)

    print(
        f"\nMarkdown ({datetime.date.today()}, Keras {keras.__version__}, {machine}, "
        f"Python {platform.python_version()}):\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in table:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
