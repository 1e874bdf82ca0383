"""Write examples/when_gans_fail.ipynb from the cells below: edit here, run this, ruff format."""

import os

import nbformat

CELLS = [
    (
        "markdown",
        """# When GANs fail

The questions GAN users ask most are about failure: *why does my discriminator not train?*, *why
does my DCGAN only make noise?*, *D's loss went to 0*, *the generator makes only 1s*. Here each
classic mistake is one switch (`keras_gan/failures.py`). For each we **break it**, watch the
**diagnosis** every `train()` runs print its one line, and then **fix it**.

Each section takes well under a minute on 2 CPU cores. Run the cells top to bottom; run the
notebook again and each run replaces its own folder (`overwrite=True`).""",
    ),
    (
        "code",
        """# On Colab (or wherever keras_gan is missing) this installs it from GitHub.
try:
    import keras_gan  # noqa: F401
except ImportError:
    %pip install --quiet git+https://github.com/keras-gan/keras_gan""",
    ),
    (
        "code",
        """# ---- Parameters: the only cell to edit ----
import os

ITERATIONS = int(os.environ.get("KERAS_GAN_NOTEBOOK_ITERATIONS", 1000))  # per failure run
DATA_DIR = None  # a folder holding MNIST; None: $KERAS_GAN_DATA_DIR, else Keras downloads it
OUTPUT_DIR = "when_gans_fail_runs"
SEED = 0""",
    ),
    (
        "code",
        """import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from keras import ops

from keras_gan import DCGAN, GAN, doctor, failures, metrics, plots
from keras_gan.datasets import load_mnist
from keras_gan.gradients import generator_gradient_norm

digits = load_mnist(DATA_DIR)


def train(gan, name, iterations=ITERATIONS, **options):
    history = gan.train(
        iterations=iterations, data=digits, output_dir=os.path.join(OUTPUT_DIR, name),
        sample_interval=max(1, iterations // 2), overwrite=True, verbose=0, **options
    )
    if not gan.diagnoses:
        print(f"{name}: no diagnosis: all looked well")
    return history


def weights(model):
    return [ops.convert_to_numpy(variable) for variable in model.variables]


def moved(before, model):
    return sum(not np.array_equal(old, new) for old, new in zip(before, weights(model)))""",
    ),
    (
        "markdown",
        """## 1. The 2018 freeze, as written

The 2018 code froze D once, `discriminator.trainable = False`, before compiling `combined`. Keras 2
read the flag at `compile()`, so D still trained in its own step. Keras 3 reads it when the step
runs: D's `train_on_batch` then finds no trainable weights (Keras warns once), and D never learns.
`ClassicFreezeGAN` is that code; `GAN` sets `trainable = True` right before D's own step.""",
    ),
    (
        "code",
        """broken = failures.ClassicFreezeGAN(seed=SEED)
before = weights(broken.discriminator)
train(broken, "classic_freeze", iterations=100)
print(f"D variables changed by 100 iterations: {moved(before, broken.discriminator)} of 6")""",
    ),
    (
        "markdown",
        """**The diagnosis** compares D's weights every 50 iterations: unchanged, with D's
learning rate above 0, is the freeze bug's signature. **The fix**, the same calls with
keras_gan's freeze:""",
    ),
    (
        "code",
        """fixed = GAN(seed=SEED)
before = weights(fixed.discriminator)
train(fixed, "freeze_fixed", iterations=100)
print(f"D variables changed by 100 iterations: {moved(before, fixed.discriminator)} of 6")""",
    ),
    (
        "markdown",
        """## 2. A frozen D with plain BatchNormalization

`trainable = False` also puts Keras' `BatchNormalization` into inference mode. Inside `combined`
D then normalises with its moving statistics, a different function from the batch-statistics D
that its own step trains: G chases the wrong target, D wins and the DCGAN "only makes noise".
The evidence, without training: a frozen D called in training mode gives exactly its inference
output with the plain layer, and not with `FreezeSafeBatchNormalization` (the DCGAN's).""",
    ),
    (
        "code",
        """batch = digits[:64].astype("float32") / 127.5 - 1
for kind in (failures.PlainBatchNormDCGAN, DCGAN):
    gan = kind(seed=SEED, filters=16)
    gan.discriminator.trainable = False
    training = ops.convert_to_numpy(gan.discriminator(batch, training=True))
    inference = ops.convert_to_numpy(gan.discriminator(batch, training=False))
    difference = np.abs(training - inference).max()
    print(f"{kind.__name__:20} frozen D, training vs inference: differ by {difference:.4f}")""",
    ),
    (
        "markdown",
        """## 3. The saturating loss of the 2014 paper

The paper's game has G minimise log(1 - D(G(z))). Early on D easily tells noise from digits,
D(G(z)) is near 0, and there log(1 - D) is flat: G's gradient vanishes just when G needs it
most. Everyone trains G on -log(D(G(z))) instead, the non-saturating loss (`GAN`'s). Same seed,
G's gradient norm through D over the first 200 iterations:""",
    ),
    (
        "code",
        """noise = np.random.default_rng(1).normal(size=(64, 100)).astype("float32")


class GradientNorms(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.norms = []

    def on_train_batch_end(self, iteration, logs=None):
        if iteration % 10 == 0:
            self.norms.append((iteration, generator_gradient_norm(self.model, noise)))


for kind in (failures.SaturatingGAN, GAN):
    probe = GradientNorms()
    train(kind(seed=SEED), kind.__name__, iterations=200, callbacks=[probe])
    plt.semilogy(*zip(*probe.norms), label=kind.__name__)
plt.xlabel("iteration"); plt.ylabel("norm of G's gradient"); plt.legend(); plt.show()""",
    ),
    (
        "markdown",
        """## 4. A discriminator that is too strong, and mode collapse on MNIST

D learning 10x as fast as G (`failures.STRONG_DISCRIMINATOR`). First D wins: D(x) near 1,
D(G(z)) near 0, G's loss far above the healthy run's. Then G, pushed hard by a D it cannot
fool, hops to whatever D calls real at the moment, all its noise at once: the samples show a
few digits, **mode collapse**, for a while: measured, it spreads back to 9 digits by iteration
2000. The diagnosis can read 500 samples with the classifier shipped in `keras_gan.metrics` every
1000 iterations (`callbacks=[Diagnosis(checks=diagnosis.CHECKS)]`); it does not by default,
because at iteration 1000 a healthy LSGAN shows as few digits. `keras-gan evaluate` reads them.""",
    ),
    (
        "code",
        """strong = GAN(seed=SEED, **failures.STRONG_DISCRIMINATOR)
history = train(strong, "strong_discriminator")
plt.plot(history["d_real"], label="D(x)")
plt.plot(history["d_fake"], label="D(G(z))")
plt.xlabel("iteration")
plt.legend()
plt.show()
display(plots.grid_image(strong.generate(25, seed=0)))""",
    ),
    (
        "markdown",
        """**The fix**: one learning rate for both (2e-4, the default). Digits the classifier reads
in 500 samples of each (the fixed GAN trained for as long):""",
    ),
    (
        "code",
        """healthy = GAN(seed=SEED)
train(healthy, "healthy")
for offset, (name, gan) in enumerate((("D 10x faster", strong), ("equal rates", healthy))):
    shares = metrics.class_coverage(gan.generate(500, seed=0))["digit_shares"]
    plt.bar(np.arange(10) + 0.4 * offset, shares, width=0.4, label=name)
plt.xticks(range(10))
plt.xlabel("digit the classifier reads")
plt.ylabel("share of samples")
plt.legend()
plt.show()""",
    ),
    (
        "markdown",
        """## 5. The opposite: a generator that is too strong

G learning 10x as fast as D (`failures.STRONG_GENERATOR`) overwhelms it: D's accuracy falls
below chance, D(G(z)) above D(x). To the diagnosis that is a D that is not learning.""",
    ),
    (
        "code",
        """history = train(GAN(seed=SEED, **failures.STRONG_GENERATOR), "strong_generator")
print(f"D's accuracy over the last 200 iterations: {np.mean(history['d_accuracy'][-200:]):.2f}")""",
    ),
    (
        "markdown",
        """## 6. Mode collapse on the ring, in 2-D

On 2-D points the whole game can be drawn (`ToyGAN`, as in examples/the_game_in_2d.ipynb): eight
Gaussians on a ring, D's verdict over the plane (green: real), G's fakes (purple) and the arrows
of G's next step; on the right, where G sends a grid of its 2-D noise. With G learning 10x as
fast as D in the plain game (`failures.RING_MODE_COLLAPSE`: ToyGAN's R1 and averaged G off, which
would blur it), each big G step drags all its noise toward the spot D
rates most real just then, and the map folds: by iteration 1000 every fake lies on one point,
which D rejects easily. That is **mode collapse** in its plainest form, the 2-D "generator makes
only 1s". Every 1000 iterations the diagnosis counts, in 2500 samples, the modes G's points lie
near (a blur spread over all of them is no collapse) and the modes captured (VEEGAN's and PacGAN's
count); **the fix** is again one learning rate for both.""",
    ),
    (
        "code",
        """from keras_gan import ToyGAN

RING_SEED = 2  # the seed tests/test_diagnosis.py measures, collapsed and healthy
for name, switch in (("ring_G_10x_faster", failures.RING_MODE_COLLAPSE), ("ring_equal_rates", {})):
    ring = ToyGAN(dataset="ring", seed=RING_SEED, **switch)
    ring.train(iterations=ITERATIONS, sample_interval=max(1, ITERATIONS // 2),
               output_dir=os.path.join(OUTPUT_DIR, name), overwrite=True, verbose=0)  # fmt: skip
    quality = ring.measure_quality()
    print(f"{name}: {quality['modes_captured']} of 8 modes captured, "
          f"{quality['high_quality_share']:.0%} of points near a mode")  # fmt: skip
    if not ring.diagnoses:
        print(f"{name}: no diagnosis: all looked well")
    display(ring.picture())""",
    ),
    (
        "markdown",
        """## 7. Is it this machine? `keras-gan doctor`

Keras has changed these behaviours before, and each change broke the copied code. The doctor
checks, in seconds, that this Keras behaves as the classic pattern needs (also `keras-gan doctor`
in a terminal; it exits non-zero when a check fails).""",
    ),
    ("code", """results = doctor.run_checks()"""),
]


def main():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, source in CELLS:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source))
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "when_gans_fail.ipynb")
    nbformat.write(notebook, path)
    print(f"Wrote {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
