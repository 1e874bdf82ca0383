"""Tests of keras_gan.metrics: do the Frechet distance, the MNIST score and the digit coverage
tell real digits from bad samples?

    pytest tests/test_metrics.py              # seconds; needs MNIST ($KERAS_GAN_DATA_DIR)
    pytest tests/test_metrics.py -m slow      # also trains a GAN and the classifier (minutes)
"""

import json
import os

import numpy as np
import pytest

from keras_gan import datasets, metrics
from keras_gan.metrics import classifier as classifier_module


@pytest.fixture(scope="module")
def mnist_test(mnist_data_dir):
    """The 10,000 MNIST test images in [-1, 1] and their labels."""
    images, labels = datasets.load_mnist(mnist_data_dir, split="test", with_labels=True)
    return datasets.scale_images(images), labels


@pytest.fixture(scope="module")
def halves(mnist_test):
    """Two disjoint random halves of the test set: two samples of the same distribution.

    Random, not first and last 5000: MNIST's test set puts its neater writers first, and the
    metrics see it (a distance of 4.5 between those halves against 0.3-0.7 between random ones).
    """
    images, _ = mnist_test
    order = np.random.default_rng(0).permutation(len(images))
    return images[order[:5000]], images[order[5000:]]


@pytest.fixture(scope="module")
def halves_distance(halves):
    return metrics.frechet_distance(*halves)


def uniform_noise(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 28, 28, 1)).astype("float32")


# --------------------------------------------------------------------------------------------
# The shipped classifier.


def test_shipped_classifier_is_small_and_reaches_its_recorded_accuracy(mnist_test):
    images, labels = mnist_test
    record = metrics.classifier_record()
    assert record["test_accuracy"] >= 0.99
    assert os.path.getsize(classifier_module.WEIGHTS_PATH) < 1_000_000

    # Recompute the accuracy: the record must describe the weights actually shipped.
    _, probabilities = metrics.classifier_outputs(images)
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(record["test_accuracy"], abs=0.001)


def test_classifier_is_loaded_once():
    assert metrics.load_classifier() is metrics.load_classifier()


# --------------------------------------------------------------------------------------------
# Real digits against bad samples.


def test_halves_of_the_test_set_are_close_and_noise_is_far(halves, halves_distance):
    first_half, _ = halves
    noise_distance = metrics.frechet_distance(first_half, uniform_noise(5000))
    features, _ = metrics.classifier_outputs(first_half)
    spread = np.trace(np.cov(features, rowvar=False))  # the distance of two unrelated sets' scale
    assert halves_distance < 0.01 * spread
    assert halves_distance < 0.01 * noise_distance


def test_real_digits_score_high_and_cover_all_digits_in_their_proportions(mnist_test):
    images, labels = mnist_test
    assert metrics.mnist_score(images) >= 9.5
    coverage = metrics.class_coverage(images)
    assert coverage["digits_covered"] == 10
    label_shares = np.bincount(labels, minlength=10) / len(labels)
    np.testing.assert_allclose(coverage["digit_shares"], label_shares, atol=0.005)


def test_uniform_noise_scores_badly_and_is_far(halves, halves_distance):
    noise = uniform_noise(5000)
    assert metrics.mnist_score(noise) < 2.0
    assert metrics.class_coverage(noise)["digits_covered"] <= 3
    noise_distance = metrics.frechet_distance(halves[0], noise)
    assert noise_distance > 100 * halves_distance


def test_only_ones_score_badly_cover_one_digit_and_are_far(mnist_test, halves, halves_distance):
    images, labels = mnist_test
    ones = images[labels == 1]
    assert metrics.mnist_score(ones) < 1.5
    coverage = metrics.class_coverage(ones)
    assert coverage["digits_covered"] == 1
    assert coverage["digit_shares"][1] > 0.98
    ones_distance = metrics.frechet_distance(halves[0], ones)
    assert ones_distance > 100 * halves_distance


# --------------------------------------------------------------------------------------------
# Properties of the distance.


def test_distance_is_symmetric(halves, halves_distance):
    first_half, second_half = halves
    reversed_distance = metrics.frechet_distance(second_half, first_half)
    assert reversed_distance == pytest.approx(halves_distance, rel=1e-6)
    noise = uniform_noise(2000)
    noise_first, noise_second = (
        metrics.frechet_distance(noise, first_half),
        metrics.frechet_distance(first_half, noise),
    )
    assert noise_first == pytest.approx(noise_second, rel=1e-6)


def test_distance_of_a_set_to_itself_is_zero(halves, halves_distance):
    first_half, _ = halves
    self_distance = metrics.frechet_distance(first_half, first_half)
    assert self_distance < 1e-6 * halves_distance


def test_distance_matches_the_closed_form_for_commuting_covariances():
    # With diagonal covariances, Tr sqrt(S1 S2) = sum sqrt(s1 * s2): a check of the matrix
    # square root independent of the classifier.
    rng = np.random.default_rng(0)
    scales_1, scales_2 = rng.uniform(0.5, 2.0, 8), rng.uniform(0.5, 2.0, 8)
    features_1 = rng.normal(size=(200_000, 8)) * scales_1
    features_2 = rng.normal(size=(200_000, 8)) * scales_2 + 1.0
    expected = 8 * 1.0 + np.sum((scales_1 - scales_2) ** 2)
    assert metrics._frechet_from_features(features_1, features_2) == pytest.approx(
        expected, rel=0.02
    )


def test_evaluate_gathers_all_metrics(halves):
    first_half, second_half = halves
    samples, reference = second_half[:1000], first_half[:1000]
    results = metrics.evaluate(samples, reference)
    assert set(results) == {"frechet_distance", "mnist_score", "digits_covered", "digit_shares"}
    assert results["frechet_distance"] == pytest.approx(
        metrics.frechet_distance(reference, samples)
    )
    assert results["mnist_score"] == pytest.approx(metrics.mnist_score(samples))
    assert results["digits_covered"] == metrics.class_coverage(samples)["digits_covered"]
    assert sum(results["digit_shares"]) == pytest.approx(1.0, abs=1e-3)


def test_ten_thousand_samples_evaluate_in_seconds(mnist_test):
    import time

    images, _ = mnist_test
    metrics.load_classifier()
    # CPU time, not wall time: other jobs sharing the cores must not make this test fail.
    start = time.process_time()
    metrics.evaluate(images, images)
    assert time.process_time() - start < 20  # two passes over 10,000 images: ~2 s on 2 cores


# --------------------------------------------------------------------------------------------
# What the metrics accept.


def test_the_three_input_ranges_and_both_shapes_are_recognised(halves):
    images = halves[0][:300]  # [-1, 1]
    pixels = np.round((images + 1) * 127.5).astype("uint8")
    expected = metrics.to_classifier_input(images)
    for equivalent in (pixels, pixels / 255.0, (pixels / 255.0).astype("float32"), images[..., 0]):
        np.testing.assert_allclose(metrics.to_classifier_input(equivalent), expected, atol=1e-5)
    pixel_score, image_score = metrics.mnist_score(pixels), metrics.mnist_score(images)
    assert pixel_score == pytest.approx(image_score, rel=1e-4)


@pytest.mark.parametrize(
    "samples, message",
    [
        (np.zeros((10, 32, 32, 1), "float32"), "shape"),
        (np.zeros((10, 28, 28, 3), "float32"), "shape"),
        (np.zeros((28, 28), "float32"), "shape"),
        (np.zeros((0, 28, 28, 1), "float32"), "no images"),
        (np.full((10, 28, 28, 1), 255.0, "float32"), "uint8"),
        (np.full((10, 28, 28, 1), -3.0, "float32"), r"\[-1, 1\]"),
        (np.full((10, 28, 28, 1), np.nan, "float32"), "NaN"),
        (np.full((10, 28, 28, 1), np.inf, "float32"), "NaN or infinite"),
        (np.full((10, 28, 28, 1), 300, "int32"), r"\[0, 255\]"),
        (np.full((10, 28, 28, 1), -1, "int8"), r"\[0, 255\]"),
        (np.full((10, 28, 28, 1), "a"), "dtype"),
    ],
)
def test_bad_samples_are_a_clear_error(samples, message):
    with pytest.raises(ValueError, match=message):
        metrics.mnist_score(samples)


def test_distance_needs_two_images_per_set(halves):
    with pytest.raises(ValueError, match="at least 2 images"):
        metrics.frechet_distance(halves[0][:1], halves[1][:100])
    with pytest.raises(ValueError, match="fake"):
        metrics.frechet_distance(halves[0][:100], np.zeros((5, 28, 28, 1), "float64") + 2)
    with pytest.raises(ValueError, match="reference holds 1 image"):
        metrics.evaluate(halves[0][:100], halves[1][:1])


# --------------------------------------------------------------------------------------------
# Slow: real training.


@pytest.mark.slow
def test_classifier_training_script_writes_weights_the_metrics_can_load(mnist_data_dir, tmp_path):
    from keras_gan.metrics import train_classifier

    exit_code = train_classifier.main(
        ["--data-dir", mnist_data_dir, "--epochs", "1", "--output-dir", str(tmp_path)]
    )
    with open(tmp_path / "mnist_classifier.json") as stream:
        record = json.load(stream)
    assert record["epochs"] == 1 and record["seed"] == 1337
    assert record["test_accuracy"] > 0.97  # one epoch is not enough for 0.99 ...
    assert exit_code == (0 if record["test_accuracy"] >= 0.99 else 1)  # ... and says so
    weights_path = tmp_path / "mnist_classifier.weights.h5"
    assert os.path.getsize(weights_path) < 1_000_000
    model = metrics.build_classifier()
    model.load_weights(weights_path)
