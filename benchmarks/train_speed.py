"""Training speed of `GAN.train()` against the 2018 seed loop, a fused step and PyTorch, side by side.

    python benchmarks/train_speed.py                       # MLP and DCGAN, batch 32 and 128
    KERAS_BACKEND=jax python benchmarks/train_speed.py --quick --models mlp
    python benchmarks/train_speed.py --variants train,seed,fused --batch-sizes 32
    python benchmarks/train_speed.py --backends tensorflow,jax --models mlp   # backends side by side

All variants run round-robin (each repeat runs every variant once, in turn; with --backends,
every variant of every backend, each backend in its own worker process), so a machine shared
with other work slows them alike; the first round (compilation, warm-up) is
not counted, and the table shows medians of iterations per second and ratios to our `train()`.

Beside the measured train()/fused ratio it prints "MACs fused/train": the fused step's
multiply-adds over train()'s, counted in the programs XLA compiles for each (TensorFlow;
`arithmetic.py`), i.e. what train()/fused would be if both ran their multiply-adds at the same
rate, and each loop's multiply-adds per second (count x measured it/s): which one uses the CPU
better. The classic iteration runs G twice (D's fake batch, then G's own step) and D three times,
the fused step G once and D twice.

Variants:
  train()        keras_gan's loop as shipped (one compiled call per iteration, jit_compile
                 "auto"), verbose=0, with its standard callbacks (metrics log, ...)
  train() no-jit the same without XLA (jit_compile=False): what XLA is worth on this backend
  train() 4 calls  the same loop with one_call=False: the four Keras calls the classic code makes
  train() v=1    train() with the progress bar (drawn to /dev/null: its cost, not the terminal's)
  bare steps     train_iteration in a plain loop, no callbacks: the callbacks' cost
  seed loop      the 2018 Keras-GAN loop as written (generator.predict each step, D on real,
                 D on fake, combined), only the freeze repaired so that D trains
  fused TF XLA   one tf.function(jit_compile=True) step with two gradient tapes, the TensorFlow
                 DCGAN tutorial's way: the best-known reference. MLP: plain TF, any Keras
                 backend; DCGAN: the same Keras models, TensorFlow backend only
  PyTorch        the MLP GAN in plain PyTorch (eager), if torch is installed
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

import numpy as np
import keras

import arithmetic  # benchmarks/arithmetic.py, beside this script
from keras_gan import GAN, datasets
from keras_gan.callbacks import Callback

try:  # keras_gan.DCGAN may not exist yet on this branch
    from keras_gan.dcgan import DCGAN
except ImportError:
    DCGAN = None

NEVER = 10**9  # sample and checkpoint intervals that never fall inside a measurement
ALL_VARIANTS = ("train", "train-no-jit", "train-4-calls", "train-verbose", "bare", "seed", "fused", "torch")
LABELS = {
    "train": "train()",
    "train-no-jit": "train() no-jit",
    "train-4-calls": "train() 4 calls",
    "train-verbose": "train() v=1",
    "bare": "bare steps",
    "seed": "seed loop",
    "fused": "fused TF XLA",
    "torch": "PyTorch",
}


# ------------------------------------------------------------------------------------------------
# Our train(), the callback-free steps, and the seed loop: all on the keras_gan models.


class IterationTimes(Callback):
    def on_train_begin(self, gan, iterations):
        self.times = []

    def on_iteration_end(self, gan, iteration, logs):
        self.times.append(time.perf_counter())


class OurTrain:
    """`gan.train()` to a target that grows by `n` per call; timed from its 2nd iteration on,
    so the per-call set-up (callbacks opening files, the final grid and plot) is not counted."""

    def __init__(self, make_gan, images, batch_size, verbose=0, **gan_settings):
        self.gan, self.images, self.batch_size, self.verbose = make_gan(**gan_settings), images, batch_size, verbose
        self.folder = tempfile.mkdtemp(prefix="train_speed_")

    def run(self, n):
        timer = IterationTimes()
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            self.train(n, timer)
        return n / (timer.times[-1] - timer.times[0])

    def train(self, n, timer):
        self.gan.train(iterations=self.gan.iteration + n + 1, batch_size=self.batch_size,
                       data=self.images, verbose=self.verbose, output_dir=self.folder, overwrite=True,
                       sample_interval=NEVER, checkpoint_interval=NEVER, callbacks=[timer])


class BareSteps:
    """The same iterations as train(), without train()'s callbacks."""

    def __init__(self, make_gan, images, batch_size):
        self.gan, self.images, self.batch_size = make_gan(), images, batch_size
        gan = self.gan
        gan.real_labels = np.ones((batch_size, 1), "float32")
        gan.fake_labels = np.zeros((batch_size, 1), "float32")
        gan.valid_labels = np.ones((batch_size, 1), "float32")

    def run(self, n):
        gan, rng = self.gan, self.gan.rng
        start = time.perf_counter()
        for _ in range(n):
            real = self.images[rng.integers(0, len(self.images), self.batch_size)]
            gan.train_iteration([real], [gan.noise(self.batch_size)], gan.noise(self.batch_size))
        return n / (time.perf_counter() - start)


class SeedLoop:
    """Keras-GAN's gan.py loop (2018), line for line, with the freeze toggled so that D trains."""

    def __init__(self, make_gan, images, batch_size):
        gan = make_gan()
        self.generator, self.discriminator, self.combined = gan.generator, gan.discriminator, gan.combined
        self.images, self.batch_size, self.latent_dim = images, batch_size, gan.latent_dim
        self.valid = np.ones((batch_size, 1))
        self.fake = np.zeros((batch_size, 1))

    def run(self, n):
        start = time.perf_counter()
        for _ in range(n):
            idx = np.random.randint(0, self.images.shape[0], self.batch_size)
            imgs = self.images[idx]
            noise = np.random.normal(0, 1, (self.batch_size, self.latent_dim))
            gen_imgs = self.generator.predict(noise, verbose=0)
            self.discriminator.trainable = True  # the repair: Keras 3 needs it (see gan.py)
            d_loss_real = self.discriminator.train_on_batch(imgs, self.valid)
            d_loss_fake = self.discriminator.train_on_batch(gen_imgs, self.fake)
            d_loss = 0.5 * np.add(d_loss_real, d_loss_fake)
            noise = np.random.normal(0, 1, (self.batch_size, self.latent_dim))
            self.discriminator.trainable = False
            g_loss = self.combined.train_on_batch(noise, self.valid)
            # The seed printed a progress line here every iteration; left out, which favours it.
            del d_loss, g_loss
        return n / (time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------
# The fused reference: one XLA-compiled TensorFlow step with two tapes.


class FusedTFMLP:
    """The MLP GAN (same layers, BatchNorm momentum 0.8, Adam(2e-4, 0.5)) in plain TensorFlow, so
    it runs beside any Keras backend; one `tf.function(jit_compile=True)` per iteration."""

    def __init__(self, images, batch_size, latent_dim=100, seed=0):
        import tensorflow as tf

        self.tf, self.images, self.batch_size, self.latent_dim = tf, images, batch_size, latent_dim
        self.rng = np.random.default_rng(seed)
        tf.random.set_seed(seed)

        def dense(n_in, n_out):
            limit = np.sqrt(6.0 / (n_in + n_out))
            w = tf.Variable(self.rng.uniform(-limit, limit, (n_in, n_out)).astype("float32"))
            return [w, tf.Variable(tf.zeros([n_out]))]

        pixels = int(np.prod(images.shape[1:]))
        self.g_dense = [dense(a, b) for a, b in ((latent_dim, 256), (256, 512), (512, 1024), (1024, pixels))]
        self.g_bn = [[tf.Variable(tf.ones([u])), tf.Variable(tf.zeros([u]))] for u in (256, 512, 1024)]
        self.g_moving = [[tf.Variable(tf.zeros([u]), trainable=False), tf.Variable(tf.ones([u]), trainable=False)]
                         for u in (256, 512, 1024)]
        self.d_dense = [dense(a, b) for a, b in ((pixels, 512), (512, 256), (256, 1))]
        self.g_vars = [v for layer in self.g_dense + self.g_bn for v in layer]
        self.d_vars = [v for layer in self.d_dense for v in layer]
        self.g_adam = self._adam_slots(self.g_vars)
        self.d_adam = self._adam_slots(self.d_vars)
        self.step = tf.function(self._step, jit_compile=True)

    def multiply_adds(self):
        batch = self.images[: self.batch_size].reshape(self.batch_size, -1)
        return arithmetic.tensorflow_multiply_adds(self.step, self.tf.constant(batch))

    def _adam_slots(self, variables):
        tf = self.tf
        return ([tf.Variable(tf.zeros_like(v)) for v in variables],
                [tf.Variable(tf.zeros_like(v)) for v in variables], tf.Variable(0.0))

    def _adam(self, slots, variables, grads, lr=2e-4, b1=0.5, b2=0.999, eps=1e-7):
        tf = self.tf
        ms, vs, t = slots
        t.assign_add(1.0)
        alpha = lr * tf.sqrt(1 - b2**t) / (1 - b1**t)
        for var, g, m, v in zip(variables, grads, ms, vs):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * g * g)
            var.assign_sub(alpha * m / (tf.sqrt(v) + eps))

    def _generator(self, z):
        tf = self.tf
        h = z
        for (w, b), (gamma, beta), (mean, var) in zip(self.g_dense, self.g_bn, self.g_moving):
            h = tf.nn.leaky_relu(h @ w + b, 0.2)
            m, v = tf.nn.moments(h, axes=[0])
            mean.assign(0.8 * mean + 0.2 * m)
            var.assign(0.8 * var + 0.2 * v)
            h = tf.nn.batch_normalization(h, m, v, beta, gamma, 1e-3)
        w, b = self.g_dense[-1]
        return tf.tanh(h @ w + b)

    def _discriminator(self, x):
        tf = self.tf
        h = tf.reshape(x, [tf.shape(x)[0], -1])
        for w, b in self.d_dense[:-1]:
            h = tf.nn.leaky_relu(h @ w + b, 0.2)
        w, b = self.d_dense[-1]
        return h @ w + b  # a logit; the loss applies the sigmoid

    def _step(self, real):
        tf = self.tf
        noise = tf.random.normal([self.batch_size, self.latent_dim])
        bce = tf.nn.sigmoid_cross_entropy_with_logits
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self._generator(noise)
            real_logit = self._discriminator(real)
            fake_logit = self._discriminator(fake)
            d_loss = 0.5 * (tf.reduce_mean(bce(tf.ones_like(real_logit), real_logit))
                            + tf.reduce_mean(bce(tf.zeros_like(fake_logit), fake_logit)))
            g_loss = tf.reduce_mean(bce(tf.ones_like(fake_logit), fake_logit))
        self._adam(self.g_adam, self.g_vars, g_tape.gradient(g_loss, self.g_vars))
        self._adam(self.d_adam, self.d_vars, d_tape.gradient(d_loss, self.d_vars))
        return d_loss, g_loss

    def run(self, n):
        flat = self.images.reshape(len(self.images), -1)
        start = time.perf_counter()
        for _ in range(n):
            d_loss, g_loss = self.step(flat[self.rng.integers(0, len(flat), self.batch_size)])
        float(d_loss)  # wait for the last step
        return n / (time.perf_counter() - start)


class FusedKerasTF:
    """The tutorial's fused step on the keras_gan models themselves (TensorFlow backend only)."""

    def __init__(self, make_gan, images, batch_size):
        import tensorflow as tf

        gan = make_gan()
        self.G, self.D, self.images, self.batch_size = gan.generator, gan.discriminator, images, batch_size
        self.latent_dim, self.rng = gan.latent_dim, np.random.default_rng(0)
        self.G.trainable = self.D.trainable = True
        self.g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        bce = keras.losses.BinaryCrossentropy(from_logits=gan.from_logits)

        @tf.function(jit_compile=True)
        def step(real):
            noise = tf.random.normal([batch_size, self.latent_dim])
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = self.G(noise, training=True)
                real_out = self.D(real, training=True)
                fake_out = self.D(fake, training=True)
                d_loss = 0.5 * (bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out))
                g_loss = bce(tf.ones_like(fake_out), fake_out)
            self.g_opt.apply_gradients(zip(g_tape.gradient(g_loss, self.G.trainable_variables), self.G.trainable_variables))
            self.d_opt.apply_gradients(zip(d_tape.gradient(d_loss, self.D.trainable_variables), self.D.trainable_variables))
            return d_loss, g_loss

        self.step = step

    def multiply_adds(self):
        import tensorflow as tf

        return arithmetic.tensorflow_multiply_adds(self.step, tf.constant(self.images[: self.batch_size]))

    def run(self, n):
        start = time.perf_counter()
        for _ in range(n):
            d_loss, _ = self.step(self.images[self.rng.integers(0, len(self.images), self.batch_size)])
        float(d_loss)
        return n / (time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------
# PyTorch reference: the MLP GAN the PyTorch way (D step on real and detached fake, then G step).


class TorchMLP:
    def __init__(self, images, batch_size, latent_dim=100):
        import torch
        from torch import nn

        torch.manual_seed(0)
        self.torch, self.batch_size, self.latent_dim = torch, batch_size, latent_dim
        self.images = torch.from_numpy(images.reshape(len(images), -1).astype("float32"))
        pixels = self.images.shape[1]
        layers = []
        for n_in, n_out in ((latent_dim, 256), (256, 512), (512, 1024)):
            # Keras' momentum 0.8 keeps 80% of the old statistics: PyTorch's momentum 0.2.
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), nn.BatchNorm1d(n_out, eps=1e-3, momentum=0.2)]
        self.G = nn.Sequential(*layers, nn.Linear(1024, pixels), nn.Tanh())
        self.D = nn.Sequential(nn.Linear(pixels, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256),
                               nn.LeakyReLU(0.2), nn.Linear(256, 1))
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()
        self.ones = torch.ones(batch_size, 1)
        self.zeros = torch.zeros(batch_size, 1)

    def run(self, n):
        torch = self.torch
        start = time.perf_counter()
        for _ in range(n):
            real = self.images[torch.randint(0, len(self.images), (self.batch_size,))]
            fake = self.G(torch.randn(self.batch_size, self.latent_dim))
            self.d_opt.zero_grad()
            d_loss = 0.5 * (self.bce(self.D(real), self.ones) + self.bce(self.D(fake.detach()), self.zeros))
            d_loss.backward()
            self.d_opt.step()
            self.g_opt.zero_grad()
            g_loss = self.bce(self.D(fake), self.ones)
            g_loss.backward()
            self.g_opt.step()
            d_loss.item(), g_loss.item()  # the losses a loop would log
        return n / (time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------


def gan_factory(model, images):
    if model == "mlp":
        return lambda **settings: GAN(seed=0, **settings)
    return lambda **settings: DCGAN(img_shape=images.shape[1:], seed=0, **settings)


def make_runners(model, batch_size, variants, images):
    """{variant: runner} for one table row group; a variant that cannot run here says why."""
    make_gan = gan_factory(model, images)
    backend = keras.backend.backend()
    runners, notes = {}, []
    for variant in variants:
        if variant == "train":
            runners[variant] = OurTrain(make_gan, images, batch_size)
        elif variant == "train-no-jit":
            if backend == "torch":
                notes.append("train() no-jit not run on torch: train() runs without jit there already")
            else:
                runners[variant] = OurTrain(make_gan, images, batch_size, jit_compile=False)
        elif variant == "train-4-calls":
            runners[variant] = OurTrain(make_gan, images, batch_size, one_call=False)
        elif variant == "train-verbose":
            runners[variant] = OurTrain(make_gan, images, batch_size, verbose=1)
        elif variant == "bare":
            runners[variant] = BareSteps(make_gan, images, batch_size)
        elif variant == "seed":
            runners[variant] = SeedLoop(make_gan, images, batch_size)
        elif variant == "fused":
            if model == "mlp":
                runners[variant] = FusedTFMLP(images, batch_size)
            elif backend == "tensorflow":
                runners[variant] = FusedKerasTF(make_gan, images, batch_size)
            else:
                notes.append(f"{model} b{batch_size}: fused TF reference for the DCGAN needs KERAS_BACKEND=tensorflow")
        elif variant == "torch":
            if model != "mlp":
                notes.append(f"{model} b{batch_size}: no PyTorch reference for the DCGAN")
            elif not torch_available():
                notes.append("PyTorch reference skipped: torch is not installed (pip install keras_gan[torch])")
            else:
                runners[variant] = TorchMLP(images, batch_size)
    return runners, notes


def count_multiply_adds(model, batch_size, images):
    """Multiply-adds per iteration of train() and of the fused step, as XLA compiles them
    (TensorFlow backend); {"error": ...} if they cannot be counted, so the timings still print."""
    make_gan = gan_factory(model, images)
    try:
        fused = FusedTFMLP(images, batch_size) if model == "mlp" else FusedKerasTF(make_gan, images, batch_size)
        return {"train": arithmetic.train_iteration_multiply_adds(make_gan(), batch_size),
                "fused": fused.multiply_adds()}
    except Exception as error:  # a count is extra information, never worth the measured table
        return {"error": f"{model} b{batch_size}: multiply-adds not counted: {type(error).__name__}: {error}"}


def torch_available():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def measure(runners, iterations, repeats):
    """Round-robin: every repeat runs each variant once; round 0 (compilation) is dropped."""
    rates = {name: [] for name in runners}
    for round_ in range(repeats + 1):
        for name, runner in runners.items():
            rate = runner.run(iterations if round_ else max(3, iterations // 4))
            if round_:
                rates[name].append(rate)
        print(f"  round {round_}/{repeats}: " + ", ".join(
            f"{backend} {LABELS[variant]} {r[-1]:.1f}" for (backend, variant), r in rates.items() if r), flush=True)
    return {name: statistics.median(values) for name, values in rates.items()}, rates


# ------------------------------------------------------------------------------------------------
# Several backends in one run: Keras fixes its backend when it is imported, so each backend gets
# a worker process; the rounds still interleave every variant of every backend, one at a time.

WORKER_PREFIX = "@@ "


class Worker:
    """A `train_speed.py --worker` process on one backend, answering JSON commands one at a time."""

    def __init__(self, backend, data_dir):
        self.backend = backend
        self.log = tempfile.TemporaryFile("w+")
        command = [sys.executable, os.path.abspath(__file__), "--worker"]
        if data_dir:
            command += ["--data-dir", data_dir]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        text=True, env={**os.environ, "KERAS_BACKEND": backend})

    def call(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(WORKER_PREFIX):
                return json.loads(line[len(WORKER_PREFIX):])
        self.log.seek(0)
        raise RuntimeError(f"the {self.backend} worker stopped:\n{self.log.read()[-3000:]}")

    def close(self):
        self.process.stdin.close()
        self.process.wait()


class RemoteRunner:
    def __init__(self, worker, variant):
        self.worker, self.variant = worker, variant

    def run(self, n):
        return self.worker.call(run=self.variant, n=n)["rate"]


def serve(data_dir):
    """The worker's side: set up runners and run them as told, answering on stdout."""
    images = datasets.load_mnist(data_dir)
    runners = {}
    for line in sys.stdin:
        command = json.loads(line)
        if "setup" in command:
            runners, notes = make_runners(command["setup"]["model"], command["setup"]["batch_size"],
                                          command["setup"]["variants"], images)
            answer = {"variants": list(runners), "notes": notes}
        elif "multiply_adds" in command:
            answer = count_multiply_adds(command["multiply_adds"]["model"], command["multiply_adds"]["batch_size"],
                                         images)
        else:
            answer = {"rate": runners[command["run"]].run(command["n"])}
        print(WORKER_PREFIX + json.dumps(answer), flush=True)


REFERENCES = ("fused", "torch")  # backend-independent code: measured once, in the first backend's worker


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="mlp,dcgan", help="comma list of mlp, dcgan")
    parser.add_argument("--batch-sizes", default="32,128", help="comma list")
    parser.add_argument("--variants", default=",".join(ALL_VARIANTS),
                        help="comma list of " + ", ".join(ALL_VARIANTS))
    parser.add_argument("--backends", help="comma list of Keras backends, measured side by side in worker "
                                           "processes (default: this process's backend only)")
    parser.add_argument("--iterations", type=int, default=60, help="iterations per measurement")
    parser.add_argument("--repeats", type=int, default=7, help="measured rounds (after one warm-up)")
    parser.add_argument("--quick", action="store_true", help="20 iterations x 3 rounds: a smoke run")
    parser.add_argument("--data-dir", default=os.environ.get("KERAS_GAN_DATA_DIR"),
                        help="MNIST folder (else $KERAS_GAN_DATA_DIR, else Keras' download)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return serve(args.data_dir)
    if args.quick:
        args.iterations, args.repeats = 20, 3
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(ALL_VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(ALL_VARIANTS)}")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    backends = [b.strip() for b in (args.backends or keras.backend.backend()).split(",") if b.strip()]
    unknown = set(backends) - {"tensorflow", "jax", "torch"}
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}; choose from tensorflow, jax, torch")
    local = backends == [keras.backend.backend()] and not args.backends
    images = datasets.load_mnist(args.data_dir) if local else None
    workers = {} if local else {backend: Worker(backend, args.data_dir) for backend in backends}

    results, notes = {}, []  # results[(model, batch)][backend] = {variant: median it/s}
    counts = {}  # counts[(model, batch)] = multiply-adds per iteration of train() and fused
    count_here = "fused" in variants and "tensorflow" in backends
    if "fused" in variants and not count_here:
        notes.append("multiply-adds are counted in XLA's TensorFlow program: add tensorflow to --backends")
    try:
        for model in models:
            for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
                print(f"{model}, batch {batch_size}, backends {', '.join(backends)}:", flush=True)
                runners = {}
                for index, backend in enumerate(backends):
                    wanted = [v for v in variants if index == 0 or v not in REFERENCES]
                    if local:
                        backend_runners, more_notes = make_runners(model, batch_size, wanted, images)
                    else:
                        answer = workers[backend].call(setup={"model": model, "batch_size": batch_size,
                                                              "variants": wanted})
                        backend_runners = {v: RemoteRunner(workers[backend], v) for v in answer["variants"]}
                        more_notes = answer["notes"]
                    runners.update({(backend, v): runner for v, runner in backend_runners.items()})
                    notes += more_notes
                medians, _ = measure(runners, args.iterations, args.repeats)
                row = results[(model, batch_size)] = {backend: {} for backend in backends}
                for (backend, variant), rate in medians.items():
                    row[backend][variant] = rate
                if count_here:
                    counts[(model, batch_size)] = (
                        count_multiply_adds(model, batch_size, images) if local
                        else workers["tensorflow"].call(multiply_adds={"model": model, "batch_size": batch_size}))
    finally:
        for worker in workers.values():
            worker.close()
    print_tables(results, counts, variants, backends, notes, args)
    return 0


def print_tables(results, counts, variants, backends, notes, args):
    references = {ref: backends[0] for ref in REFERENCES}
    columns = [v for v in variants if any(v in per_backend for row in results.values()
                                          for per_backend in row.values())]
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"
    print(f"\nIterations per second (median of {args.repeats} interleaved rounds of {args.iterations}); "
          f"Keras {keras.__version__}, {machine}. fused and PyTorch: measured in the {backends[0]} process; "
          "'seed (TF)': the 2018 loop on TensorFlow, Keras' default backend, as people run it")
    header = ["model", "batch", "backend", *(LABELS[c] for c in columns), "train/seed", "train/seed (TF)",
              "train/fused", "MACs fused/train", "train/torch", "train/4 calls"]
    table = []
    for (model, batch_size), row in results.items():
        for backend in backends:
            medians = row[backend]
            reference = lambda variant: (row[references[variant]].get(variant)  # noqa: E731
                                         if variant in references else medians.get(variant))

            def ratio(value):
                return f"{medians['train'] / value:.2f}x" if "train" in medians and value else "-"

            seed_tf = row.get("tensorflow", {}).get("seed")
            count = counts.get((model, batch_size), {})
            bound = f"{count['fused'] / count['train']:.2f}x" if "train" in count else "-"
            cells = [model, str(batch_size), backend,
                     *(f"{r:.1f}" if (r := reference(c) if c in REFERENCES else medians.get(c)) else "-"
                       for c in columns),
                     ratio(medians.get("seed")), ratio(seed_tf), ratio(reference("fused")), bound,
                     ratio(reference("torch")), ratio(medians.get("train-4-calls"))]
            table.append(cells)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *table)]
    for cells in [header, *table]:
        print("  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))
    for (model, batch_size), count in counts.items():
        if "error" in count:
            notes.append(count["error"])
            continue
        print(f"{model} b{batch_size}: {count['train'] / 1e9:.3f} G multiply-adds per train() iteration, "
              f"{count['fused'] / 1e9:.3f} G per fused step (XLA's compiled programs, TensorFlow)")
        row = results[(model, batch_size)]
        speeds = [f"train() on {backend} {count['train'] * row[backend]['train'] / 1e9:.1f} G/s"
                  for backend in backends if row[backend].get("train")]
        fused = row[backends[0]].get("fused")
        speeds += [f"fused {count['fused'] * fused / 1e9:.1f} G/s"] if fused else []
        if speeds:
            print(f"  multiply-adds per second at the measured rates (TensorFlow's counts): {', '.join(speeds)}")
    if counts:
        print("MACs fused/train: what train()/fused would be if both ran their multiply-adds at the same rate")
    for note in dict.fromkeys(notes):
        print("note:", note)

    print(f"\nMarkdown ({datetime.date.today()}, Keras {keras.__version__}, {machine}, "
          f"Python {platform.python_version()}):\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in table:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
