"""Mode metrics for toy 2-D data, in the protocol of VEEGAN (Srivastava et al. 2017) and PacGAN
(Lin et al. 2018), with PacGAN's stricter count of a captured mode:

- a sample is *high quality* when it lies within 3 standard deviations (Euclidean distance
  <= 3 * std) of its nearest mode centre;
- a mode is *captured* when at least 1/5 of its expected share of the samples (2500 by default:
  with 8 modes, 2500 / 8 / 5 = 62.5, so 63 samples) are high quality and nearest to it.

    from keras_gan.datasets import load_toy, toy_modes
    mode_quality(load_toy("ring", 2500), *toy_modes("ring"))
    # {'modes_captured': 8, 'modes': 8, 'high_quality_share': 1.0, 'mode_counts': [...], ...}
"""

import numpy as np

QUALITY_RADIUS = 3.0  # in standard deviations
CAPTURE_FRACTION = 0.2  # of a mode's expected share of the samples
SAMPLES = 2500


def mode_quality(samples, centres, std):
    """Modes captured and the share of high-quality samples of `samples` (N, 2), for an equal
    mixture of Gaussians with `centres` (K, 2) and per-coordinate `std`.

    Returns {"modes_captured": int, "modes": K, "high_quality_share": float in [0, 1],
    "mode_counts": K ints, the high-quality samples nearest to each mode,
    "nearest_counts": K ints, all samples nearest to each mode, however far}.
    """
    samples, centres = np.asarray(samples, dtype=np.float64), np.asarray(centres, np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples has shape {samples.shape}: pass 2-D points (N, 2), N >= 1.")
    if centres.ndim != 2 or centres.shape[1] != 2 or len(centres) == 0:
        raise ValueError(f"centres has shape {centres.shape}: pass mode centres (K, 2), K >= 1.")
    if not (np.isfinite(std) and std > 0):
        raise ValueError(f"std must be a number > 0, got {std!r}.")
    if not np.isfinite(samples).all():
        raise ValueError("samples hold NaN or infinite values: the generator has diverged.")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    high_quality = distances.min(axis=1) <= QUALITY_RADIUS * std
    counts = np.bincount(nearest[high_quality], minlength=len(centres))
    needed = CAPTURE_FRACTION * len(samples) / len(centres)
    return {
        "modes_captured": int(np.count_nonzero(counts >= needed)),
        "modes": len(centres),
        "high_quality_share": float(high_quality.mean()),
        "mode_counts": [int(count) for count in counts],
        "nearest_counts": [int(c) for c in np.bincount(nearest, minlength=len(centres))],
    }


def modes_reached(results):
    """How many modes have at least the capture share of samples nearest to them, sharp or not:
    few means G's samples gather in a few places (collapse), not that they are still blurred.
    A user's own `measure_quality()` without "nearest_counts" is read by its modes captured."""
    counts = results.get("nearest_counts")
    if counts is None:
        return results["modes_captured"]
    return sum(count >= CAPTURE_FRACTION * sum(counts) / len(counts) for count in counts)


def describe_modes(results):
    """One line, e.g. '8 of 8 modes captured, 96.4% high-quality samples'."""
    return (
        f"{results['modes_captured']} of {results['modes']} modes captured, "
        f"{100 * results['high_quality_share']:.1f}% high-quality samples"
    )
