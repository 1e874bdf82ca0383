"""How good do the samples get, and how fast? Trains the MLP GAN and the DCGAN on MNIST with a
fixed seed and measures their samples at several points along the way.

    python benchmarks/quality.py --data-dir /path/to/mnist                # 5000 iterations
    python benchmarks/quality.py --iterations 2000 --models gan           # quicker

For each model and each checkpoint (0, 500, 1000, 2000, 5000 iterations by default) it generates
`--samples` images and prints the Frechet distance to as many MNIST test images, the MNIST
score and the number of digits covered (see `keras_gan.metrics`), as a table and as markdown
ready to paste into a README.
"""

import argparse
import inspect
import sys
import tempfile
import time

import numpy as np

import keras_gan
from keras_gan import datasets
from keras_gan import metrics

DEFAULT_CHECKPOINTS = (0, 500, 1000, 2000, 5000)


def model_classes(names):
    """The GAN classes to benchmark, by name; a clear error for one this install lacks."""
    classes = {}
    for name in names:
        class_name = {"gan": "GAN", "dcgan": "DCGAN"}[name]
        if not hasattr(keras_gan, class_name):
            raise SystemExit(
                f"keras_gan.{class_name} does not exist in this version of keras_gan; "
                f"benchmark the others with --models {','.join(n for n in names if n != name)}."
            )
        classes[class_name] = getattr(keras_gan, class_name)
    return classes


def train_up_to(gan, iterations, images, batch_size, output_dir):
    """Continue training `gan` until it has done `iterations` iterations, quietly."""
    options = dict(
        iterations=iterations,
        batch_size=batch_size,
        data=images,
        output_dir=output_dir,
        sample_interval=iterations,  # A sample grid per stage is enough: time goes to training.
        checkpoint_interval=iterations,
        overwrite=True,  # Each stage writes into the same folder as the previous one.
        verbose=0,
    )
    accepted = inspect.signature(gan.train).parameters
    gan.train(**{key: value for key, value in options.items() if key in accepted})


def benchmark(gan_class, checkpoints, train_images, reference, samples, batch_size, seed):
    """Rows of (iterations, seconds of training so far, metrics) for one model."""
    gan = gan_class(seed=seed)
    # The same noise at every checkpoint: the changes come from training, not from the draw.
    noise = np.random.default_rng(seed).normal(size=(samples, gan.latent_dim)).astype("float32")
    rows, seconds = [], 0.0
    with tempfile.TemporaryDirectory() as output_dir:
        for iterations in checkpoints:
            if iterations > 0:
                start = time.perf_counter()
                train_up_to(gan, iterations, train_images, batch_size, output_dir)
                seconds += time.perf_counter() - start
            results = metrics.evaluate(gan.generate(samples, noise=noise), reference)
            rows.append((iterations, seconds, results))
            print(
                f"  {gan_class.__name__} {iterations:>6} iterations ({seconds:5.0f} s): "
                f"distance {results['frechet_distance']:.2f}, score {results['mnist_score']:.2f}, "
                f"{results['digits_covered']} digits",
                flush=True,
            )
    return rows


def format_tables(results):
    """The results as a fixed-width table and as a markdown table."""
    header = ["model", "iterations", "train time (s)", "Frechet distance", "MNIST score", "digits covered"]
    lines = []
    for model_name, rows in results.items():
        for iterations, seconds, values in rows:
            lines.append(
                [
                    model_name,
                    str(iterations),
                    f"{seconds:.0f}",
                    f"{values['frechet_distance']:.2f}",
                    f"{values['mnist_score']:.2f}",
                    str(values["digits_covered"]),
                ]
            )
    widths = [max(len(row[column]) for row in [header, *lines]) for column in range(len(header))]
    plain = "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in [header, *lines]
    )
    markdown = "\n".join(
        ["| " + " | ".join(header) + " |", "|:---|" + "|".join("---:" for _ in header[1:]) + "|"]
        + ["| " + " | ".join(row) + " |" for row in lines]
    )
    return plain, markdown


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $KERAS_GAN_DATA_DIR, else download)")
    parser.add_argument("--iterations", type=int, default=5000, help="train each model this long")
    parser.add_argument(
        "--checkpoints",
        default=",".join(map(str, DEFAULT_CHECKPOINTS)),
        help="comma-separated iterations to measure at; those past --iterations are dropped",
    )
    parser.add_argument("--models", default="gan,dcgan", help="comma-separated: gan, dcgan")
    parser.add_argument("--samples", type=int, default=5000, help="images generated per measurement")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    names = [name.strip().lower() for name in args.models.split(",") if name.strip()]
    unknown = sorted(set(names) - {"gan", "dcgan"})
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from gan, dcgan.")
    checkpoints = sorted(
        {int(value) for value in args.checkpoints.split(",") if int(value) < args.iterations}
        | {args.iterations}
    )
    classes = model_classes(names)

    train_images = datasets.load_mnist(args.data_dir, split="train")
    # The distance is measured against held-out digits, as many as there are samples.
    reference = datasets.load_mnist(args.data_dir, split="test")[: args.samples]

    results = {}
    for class_name, gan_class in classes.items():
        print(f"Training {class_name} for {args.iterations} iterations (seed {args.seed})", flush=True)
        results[class_name] = benchmark(
            gan_class, checkpoints, train_images, reference, args.samples, args.batch_size, args.seed
        )
    plain, markdown = format_tables(results)
    print()
    print(plain)
    print()
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
