"""Real MNIST, real training: the samples move toward the data.

These read genuine MNIST ($KERAS_GAN_DATA_DIR or ../shared/data/mnist) and train for a while:
they are marked slow (deselect with -m "not slow").
"""

import numpy as np
import pytest

from keras_gan import GAN
from keras_gan.datasets import load_mnist, to_float


def pixel_histogram(images):
    return np.histogram(images, bins=4, range=(-1, 1))[0] / images.size


def distance_to_data(samples, data):
    """How far samples are from MNIST: pixel-histogram L1 and mean-image RMS distance."""
    data = to_float(data)  # MNIST comes as uint8 pixels; samples are in [-1, 1]
    histogram = np.abs(pixel_histogram(samples) - pixel_histogram(data)).sum()
    mean_image = np.sqrt(np.mean((samples.mean(axis=0) - data.mean(axis=0)) ** 2))
    return histogram, mean_image


@pytest.mark.slow
def test_short_real_run_moves_samples_toward_mnist(mnist_data_dir, tmp_path):
    data = load_mnist(mnist_data_dir)
    gan = GAN(seed=0)
    noise = np.random.default_rng(1).normal(size=(500, gan.latent_dim))
    before = distance_to_data(gan.generate(500, noise=noise), data)
    history = gan.train(
        iterations=600, sample_interval=300, data=data, output_dir=tmp_path, verbose=0
    )
    after = distance_to_data(gan.generate(500, noise=noise), data)

    assert np.all(np.isfinite(history["g_loss"])) and np.all(np.isfinite(history["d_loss"]))
    assert after[0] < 0.5 * before[0], f"pixel histogram distance {before[0]:.3f} -> {after[0]:.3f}"
    assert after[1] < 0.5 * before[1], f"mean image distance {before[1]:.3f} -> {after[1]:.3f}"
    # The discriminator has not simply won: it still finds some fakes real.
    assert np.mean(history["d_fake"][-100:]) > 0.05
