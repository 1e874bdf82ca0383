"""Quality levers, one at a time: which of the field's tricks make samples better sooner?

    python benchmarks/levers.py --data-dir ../shared/data/mnist   # all, GAN and DCGAN
    python benchmarks/levers.py --models dcgan --levers baseline,ema --iterations 2000

Each lever keeps the classic combined-model algorithm and changes one thing; every run trains with
seed 0, batch 32, and is measured at 1000, 2000 and 5000 iterations (Frechet distance and MNIST
score of 5000 samples against 5000 MNIST test digits; keras_gan.metrics). The levers:

  baseline        the model as shipped (the DCGAN with R1, r1_gamma=10, since 2026-12-07)
  no-r1           the model without the R1 penalty, r1_gamma=0: the plain DCGAN, the baseline of
                  every DCGAN lever measured before 2026-12-07 (the GAN has none anyway)
  ema             sample from an exponential moving average of G's weights (ema_momentum=0.999),
                  BatchNorm statistics re-estimated for the averaged weights (Yazici et al. 2019)
  ttur            two time-scales: D learns at 4e-4, G at 1e-4 (Heusel et al. 2017)
  smoothing       one-sided label smoothing 0.1: D learns "real" as 0.9 (Salimans et al. 2016)
  spectral-norm   spectral normalization of D's layers (Miyato et al. 2018), freeze-safe (below)
  batch-fakes     D's fake batch made by G in training mode (batch statistics, as PyTorch's DCGAN
                  does) instead of inference mode (moving statistics, as the classic predict()):
                  fakes_in_training_mode=True
  r1              the R1 penalty on D's gradient at real images, r1_gamma=10 (Mescheder et al.
                  2018)
"""

import argparse
import sys
import tempfile
import time

import keras
from keras import layers, ops

from keras_gan import DCGAN, GAN, datasets, metrics

CHECKPOINTS = (1000, 2000, 5000)
LEVERS = ("baseline", "no-r1", "ema", "ttur", "smoothing", "spectral-norm", "batch-fakes", "r1")


class FreezeSafeSpectralNormalization(layers.SpectralNormalization):
    """Keras' SpectralNormalization, safe inside a frozen discriminator.

    In training Keras' layer divides the kernel by its largest singular value and *stores* the
    result and its power-iteration vector: in the combined step, with D frozen, that would change
    D (the BatchNorm trap again). Frozen, this layer gives the same normalised output and stores
    nothing. The wrapped layer must be linear (no activation): its output is then rescaled by
    1/sigma.
    """

    def call(self, inputs, training=False):
        if not (training and not self.trainable):
            return super().call(inputs, training=training)
        _, normalized = self.normalized_weights()
        inverse_sigma = ops.sum(normalized * self.kernel) / ops.sum(self.kernel * self.kernel)
        outputs = self.layer(inputs)
        bias = self.layer.bias if self.layer.use_bias else 0.0
        return (outputs - bias) * inverse_sigma + bias


class SpectralNorm:
    """Wrap each Dense and Conv2D of D (built with a logit output) in spectral normalization."""

    def build_discriminator(self):
        def wrap(layer):
            copy = layer.__class__.from_config(layer.get_config())
            if isinstance(layer, (layers.Dense, layers.Conv2D)):
                return FreezeSafeSpectralNormalization(copy)
            return copy

        return keras.models.clone_model(super().build_discriminator(), clone_function=wrap)


def make(model, lever, seed):
    base = {"gan": GAN, "dcgan": DCGAN}[model]
    settings = {"seed": seed}
    if lever == "ema":
        settings["ema_momentum"] = 0.999
    elif lever == "ttur":
        settings.update(discriminator_learning_rate=4e-4, generator_learning_rate=1e-4)
    elif lever == "smoothing":
        settings["label_smoothing"] = 0.1
    elif lever == "spectral-norm":
        base, settings["from_logits"] = (
            type("SpectralNorm" + base.__name__, (SpectralNorm, base), {}),
            True,
        )
    elif lever == "batch-fakes":
        settings["fakes_in_training_mode"] = True
    elif lever == "r1":
        settings["r1_gamma"] = 10.0
    elif lever == "no-r1":
        settings["r1_gamma"] = 0.0
    return base(**settings)


def measure(model, lever, train_images, reference, iterations, seed):
    gan = make(model, lever, seed)
    rows, seconds = [], 0.0
    with tempfile.TemporaryDirectory() as folder:
        for target in [c for c in CHECKPOINTS if c < iterations] + [iterations]:
            start = time.perf_counter()
            gan.train(
                iterations=target,
                data=train_images,
                output_dir=folder,
                verbose=0,
                sample_interval=target,
                checkpoint_interval=iterations,
            )
            seconds += time.perf_counter() - start
            results = metrics.evaluate_gan(gan, reference, len(reference), seed=seed)
            rows.append((model, lever, target, seconds, results))
            print(
                f"  {model} {lever:>13} {target:>5} it ({seconds:5.0f} s): "
                f"{metrics.describe(results)}",
                flush=True,
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", help="MNIST folder (default: $KERAS_GAN_DATA_DIR, else download)"
    )
    parser.add_argument("--models", default="gan,dcgan")
    parser.add_argument("--levers", default=",".join(LEVERS))
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    models, levers = args.models.split(","), args.levers.split(",")
    unknown = sorted(set(models) - {"gan", "dcgan"}) + sorted(set(levers) - set(LEVERS))
    if unknown:
        parser.error(
            f"unknown model(s) or lever(s): {unknown}; models gan, dcgan; "
            f"levers {', '.join(LEVERS)}."
        )
    train_images = datasets.load_mnist(args.data_dir)
    reference = datasets.load_mnist(args.data_dir, split="test")[:5000]
    rows = [
        row
        for model in models
        for lever in levers
        for row in measure(model, lever, train_images, reference, args.iterations, args.seed)
    ]
    print("\n| model | lever | iterations | train time (s) | Frechet distance | MNIST score |")
    print("|:---|:---|---:|---:|---:|---:|")
    for model, lever, target, seconds, results in rows:
        print(
            f"| {model} | {lever} | {target} | {seconds:.0f} "
            f"| {results['frechet_distance']:.2f} | {results['mnist_score']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
