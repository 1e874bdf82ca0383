"""Real MNIST, real training: the samples move toward the data, and the example script runs.

These read genuine MNIST ($KERAS_GAN_DATA_DIR or ../shared/data/mnist) and train for a while:
they are marked slow (deselect with -m "not slow").
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gan import GAN
from keras_gan.datasets import load_mnist
from keras_gan.plots import grid_paths

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pixel_histogram(images):
    return np.histogram(images, bins=4, range=(-1, 1))[0] / images.size


def distance_to_data(samples, data):
    """How far samples are from MNIST: pixel-histogram L1 and mean-image RMS distance."""
    histogram = np.abs(pixel_histogram(samples) - pixel_histogram(data)).sum()
    mean_image = np.sqrt(np.mean((samples.mean(axis=0) - data.mean(axis=0)) ** 2))
    return histogram, mean_image


@pytest.mark.slow
def test_short_real_run_moves_samples_toward_mnist(mnist_data_dir, tmp_path):
    data = load_mnist(mnist_data_dir)
    gan = GAN(seed=0)
    noise = np.random.default_rng(1).normal(size=(500, gan.latent_dim))
    before = distance_to_data(gan.generate(500, noise=noise), data)
    history = gan.train(iterations=600, sample_interval=300, data=data, output_dir=tmp_path, verbose=0)
    after = distance_to_data(gan.generate(500, noise=noise), data)

    assert np.all(np.isfinite(history["g_loss"])) and np.all(np.isfinite(history["d_loss"]))
    assert after[0] < 0.5 * before[0], f"pixel histogram distance {before[0]:.3f} -> {after[0]:.3f}"
    assert after[1] < 0.5 * before[1], f"mean image distance {before[1]:.3f} -> {after[1]:.3f}"
    # The discriminator has not simply won: it still finds some fakes real.
    assert np.mean(history["d_fake"][-100:]) > 0.05


@pytest.mark.slow
def test_example_script_trains_and_saves_grids(mnist_data_dir, tmp_path):
    output = tmp_path / "images"
    command = [
        sys.executable, os.path.join(REPOSITORY_ROOT, "examples", "mnist_mlp_gan.py"),
        "--iterations", "40", "--sample-interval", "20", "--output-dir", str(output),
        "--data-dir", mnist_data_dir, "--seed", "0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [os.path.basename(p) for p in grid_paths(str(output))] == ["0.png", "20.png", "40.png"]
    assert (output / "progress.gif").exists() and (output / "checkpoint.npz").exists()
