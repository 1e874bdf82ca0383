"""How good are a GAN's samples? Measured with a small MNIST classifier that ships with keras_gan.

    from keras_gan.metrics import evaluate
    evaluate(gan.generate(5000), load_mnist(split="test")[:5000])
    # GAN(seed=0) after 5000 iterations:
    # {'frechet_distance': 36.8, 'mnist_score': 6.14, 'digits_covered': 10, 'digit_shares': [...]}
    # Real test digits against other test digits: distance ~0.5, score 9.74, 10 digits.

- `frechet_distance(real, fake)`: the FID formula on the classifier's penultimate features.
  0 for identical sets; lower is better; it sees both the quality and the variety of samples.
- `mnist_score(samples)`: the Inception score with the MNIST classifier, exp E[KL(p(y|x) || p(y))].
  10 at best (every sample a confident digit, all ten digits equally often), 1 at worst.
- `class_coverage(samples)`: which digits the samples show and how often; mode collapse shows
  as few digits covered.

Samples may be float in [-1, 1] (what the generator makes), float in [0, 1], or uint8 in
[0, 255], shaped (N, 28, 28, 1) or (N, 28, 28). Float images with no negative value are read as
[0, 1]. Anything else is a ValueError that says what to pass.
"""

import numpy as np

from keras_gan.metrics.classifier import build_classifier, classifier_record, load_classifier

__all__ = [
    "frechet_distance",
    "mnist_score",
    "class_coverage",
    "conditional_accuracy",
    "evaluate",
    "evaluate_gan",
    "describe",
    "classifier_outputs",
    "to_classifier_input",
    "build_classifier",
    "load_classifier",
    "classifier_record",
]

IMAGE_SHAPE = (28, 28, 1)
BATCH_SIZE = 500
# tanh outputs and rescaled pixels can stray past the range edges by a rounding error.
RANGE_TOLERANCE = 1e-3


def to_classifier_input(samples, name="samples"):
    """Images in any accepted form -> float32 (N, 28, 28, 1) in [-1, 1], or a ValueError."""
    array = np.asarray(samples)
    expected = "Pass MNIST-like images shaped (N, 28, 28, 1) or (N, 28, 28)"
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{name} has shape {np.shape(samples)}. {expected}.")
    if len(array) == 0:
        raise ValueError(f"{name} holds no images. {expected}, with N >= 1.")

    if np.issubdtype(array.dtype, np.integer):
        low, high = array.min(), array.max()
        if low < 0 or high > 255:
            raise ValueError(
                f"{name} holds integers in [{low}, {high}]; integer images must be pixels in "
                "[0, 255] (uint8). Or pass floats in [-1, 1] or [0, 1]."
            )
        return array.astype("float32") / 127.5 - 1.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{name} has dtype {array.dtype}. "
            "Pass floats in [-1, 1] or [0, 1], or uint8 in [0, 255]."
        )

    array = array.astype("float32")
    if not np.isfinite(array).all():
        raise ValueError(
            f"{name} holds {np.count_nonzero(~np.isfinite(array))} NaN or infinite values; "
            "the generator has probably diverged. Pass finite floats in [-1, 1] or [0, 1]."
        )
    low, high = float(array.min()), float(array.max())
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        hint = " For pixels in [0, 255], pass them as uint8." if high > 1 and low >= 0 else ""
        raise ValueError(
            f"{name} holds floats in [{low:.4g}, {high:.4g}]. Pass floats in [-1, 1] (the "
            f"generator's tanh range) or [0, 1].{hint}"
        )
    if low >= 0:  # No negative pixel: a [0, 1] image, whose background is 0, not -1.
        array = array * 2.0 - 1.0
    return np.clip(array, -1.0, 1.0)


def classifier_outputs(samples, name="samples"):
    """The classifier's penultimate features (N, 128) and digit probabilities (N, 10), float64."""
    images = to_classifier_input(samples, name)
    model = load_classifier()
    features, probabilities = [], []
    for start in range(0, len(images), BATCH_SIZE):
        batch_features, batch_probabilities = model.predict_on_batch(
            images[start : start + BATCH_SIZE]
        )
        features.append(np.asarray(batch_features))
        probabilities.append(np.asarray(batch_probabilities))
    return (
        np.concatenate(features).astype("float64"),
        np.concatenate(probabilities).astype("float64"),
    )


def frechet_distance(real, fake):
    """The Frechet distance between the two image sets' feature distributions (FID's formula).

    ||mu_real - mu_fake||^2 + Tr(S_real + S_fake - 2 sqrt(S_real S_fake)), with the means and
    covariances of the classifier's penultimate features. Needs >= 2 images in each set; the
    estimate is biased upwards with few images, so compare values measured on equal-sized sets
    (a few thousand images each is good).
    """
    return _frechet_from_features(
        classifier_outputs(real, "real")[0], classifier_outputs(fake, "fake")[0]
    )


def mnist_score(samples):
    """exp(mean KL(p(y|x) || p(y))): 10 at best, 1 if the classifier sees every sample alike."""
    return _score_from_probabilities(classifier_outputs(samples)[1])


def class_coverage(samples, min_share=0.01):
    """How many digits the classifier sees among the samples, and each digit's share of them.

    A digit counts as covered when at least `min_share` of the samples are classified as it:
    the classifier's rare mistakes on a collapsed generator must not count as variety.
    Returns {"digits_covered": int, "digit_shares": list of 10 floats summing to 1}.
    """
    return _coverage_from_probabilities(classifier_outputs(samples)[1], min_share)


def evaluate(samples, reference, min_share=0.01, labels=None):
    """All the metrics of `samples`, the distance measured against `reference` (real images).

    Returns {"frechet_distance", "mnist_score", "digits_covered", "digit_shares"}, and
    "conditional_accuracy" when `labels` (the digit each sample was asked to be) are given.
    """
    # One pass of the classifier over each set serves all the metrics.
    sample_features, sample_probabilities = classifier_outputs(samples, "samples")
    reference_features, _ = classifier_outputs(reference, "reference")
    results = {
        "frechet_distance": _frechet_from_features(
            reference_features, sample_features, names=("reference", "samples")
        ),
        "mnist_score": _score_from_probabilities(sample_probabilities),
        **_coverage_from_probabilities(sample_probabilities, min_share),
    }
    if labels is not None:
        results["conditional_accuracy"] = _accuracy_from_probabilities(sample_probabilities, labels)
    return results


def _frechet_from_features(features_1, features_2, names=("real", "fake")):
    for name, features in zip(names, (features_1, features_2)):
        if len(features) < 2:
            raise ValueError(
                f"{name} holds {len(features)} image; the Frechet distance needs a covariance, "
                "so pass at least 2 images (a few thousand for a meaningful value)."
            )
    mean_1, mean_2 = features_1.mean(axis=0), features_2.mean(axis=0)
    covariance_1 = np.cov(features_1, rowvar=False)
    covariance_2 = np.cov(features_2, rowvar=False)
    # Tr sqrt(S1 S2) = Tr sqrt(sqrt(S1) S2 sqrt(S1)), and the latter matrix is symmetric
    # positive semi-definite, so symmetric eigendecompositions do it: no scipy, no complex
    # round-off as scipy.linalg.sqrtm on the non-symmetric S1 S2 gives.
    sqrt_covariance_1 = _symmetric_sqrt(covariance_1)
    middle = sqrt_covariance_1 @ covariance_2 @ sqrt_covariance_1
    trace_sqrt_product = np.sqrt(
        np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)
    ).sum()
    distance = (
        np.sum((mean_1 - mean_2) ** 2)
        + np.trace(covariance_1)
        + np.trace(covariance_2)
        - 2 * trace_sqrt_product
    )
    return float(max(distance, 0.0))  # Round-off can dip a few ulps below 0 for identical sets.


def _symmetric_sqrt(matrix):
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def _score_from_probabilities(probabilities):
    probabilities = np.clip(probabilities, 1e-12, 1.0)
    marginal = probabilities.mean(axis=0, keepdims=True)
    kl_divergences = np.sum(probabilities * (np.log(probabilities) - np.log(marginal)), axis=1)
    return float(np.exp(kl_divergences.mean()))


def _coverage_from_probabilities(probabilities, min_share):
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    shares = counts / counts.sum()
    return {
        "digits_covered": int(np.count_nonzero(shares >= min_share)),
        "digit_shares": [round(float(share), 4) for share in shares],
    }


def conditional_accuracy(samples, labels):
    """The share of samples the classifier reads as the digit asked for (`labels`, one each)."""
    return _accuracy_from_probabilities(classifier_outputs(samples)[1], labels)


def _accuracy_from_probabilities(probabilities, labels):
    labels = np.asarray(labels)
    if labels.shape != (len(probabilities),):
        raise ValueError(
            f"labels has shape {labels.shape}: pass one digit per sample, "
            f"shape ({len(probabilities)},)."
        )
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def evaluate_gan(gan, reference, samples=5000, seed=0):
    """`evaluate` on `samples` images of `gan`, drawn with `seed`.

    A conditional GAN (one with `num_classes`) is asked for every digit equally often, and its
    `conditional_accuracy` is added: the share of samples classified as the digit asked for.
    """
    num_classes = getattr(gan, "num_classes", None)
    if num_classes is None:
        return evaluate(gan.generate(samples, seed=seed), reference)
    labels = np.arange(samples) % num_classes
    return evaluate(gan.generate(samples, labels=labels, seed=seed), reference, labels=labels)


def describe(results):
    """One line of results, e.g. 'Frechet distance 24.23, MNIST score 6.75, 10 of 10 digits'."""
    line = (
        f"Frechet distance {results['frechet_distance']:.2f}, "
        f"MNIST score {results['mnist_score']:.2f}, "
        f"{results['digits_covered']} of 10 digits"
    )
    if "conditional_accuracy" in results:
        line += f", conditional accuracy {100 * results['conditional_accuracy']:.1f}%"
    return line
