"""A run that says what is going wrong: the diagnosis every `train()` runs (a Keras callback).

Silent while all is well; one line when it sees a classic failure (keras_gan/failures.py makes
each one on demand): what it saw, what that usually means, what to try. Each finding is printed
once per run, kept in `gan.diagnoses`, and written to TensorBoard (keras_gan.callbacks.TensorBoard)
under `diagnosis/`. `keras-gan evaluate RUN` runs the same checks on a finished run.

- **D is not learning**: its weights did not change over `interval` iterations (the 2018 freeze
  on Keras 3), or its accuracy sits at chance with D(x) and D(G(z)) alike (unless a 2-D model
  captures every mode: then chance is the equilibrium the game aims for).
- **D is winning**: its accuracy stays near 1 over a window, and G's loss rises or G's
  gradient through D is tiny (a too-strong D, the saturating loss, a frozen plain BatchNorm).
- **Mode collapse**: a 2-D model that measures its modes (`measure_quality()`, ToyGAN) has
  its samples near too few of them (a blur spread over every mode is no collapse); an MNIST
  model's samples, read by the shipped classifier (keras_gan.metrics), are mostly one digit or
  cover few digits (while training only with `checks=CHECKS`: see DEFAULT_CHECKS; always in
  `keras-gan evaluate`).
- Non-finite losses end the run already (keras_gan/runs.py): not repeated here.

Every threshold is in THRESHOLDS, below; tests/test_diagnosis.py shows they stay silent on the
shipped models' normal runs and name each induced failure. Pass your own
`Diagnosis(thresholds=..., interval=...)` in `callbacks` to replace the default one;
`Diagnosis(checks=())` switches it off (`keras-gan train --no-diagnosis`).
"""

import collections
import dataclasses

import keras
import numpy as np
from keras import ops


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Where each check draws its line, measured on the shipped models (benchmarks/README.md)."""

    warm_up: int = 500  # iterations before the log checks start: every D wins at first
    window: int = 200  # iterations the log checks average over
    chance_accuracy: float = 0.52  # D at chance: mean accuracy at most this ...
    chance_gap: float = 0.01  # ... and mean D(x) - D(G(z)) below this (healthy: above 0.05)
    winning_accuracy: float = 0.98  # D winning: mean accuracy above this ...
    rising_g_loss: float = 0.25  # ... and G's loss up by this much from the window's first half
    tiny_gradient: float = 0.5  # ... or G's gradient norm (keras_gan.gradients) below this
    coverage_warm_up: int = 1000  # iterations before the mode check: blurs read as any digit
    coverage_interval: int = 1000  # the mode check's period (500 samples, about 1 s on a CPU)
    coverage_samples: int = 500
    max_mode_share: float = 0.5  # collapse: one digit (mode) in more than half the samples ...
    min_mode_fraction: float = 0.6  # ... or under 60% of the digits (modes) covered


THRESHOLDS = Thresholds()
SMALL_VARIABLE = 4096  # values: the D variables whose change the freeze check compares
CHECKS = ("discriminator_not_learning", "discriminator_winning", "mode_collapse", "digit_collapse")
# On by default: all but the MNIST digit check while training. Measured (benchmarks/README.md,
# Diagnosis): at iteration 1000 the shipped LSGAN shows 3 digits (84% one) and the WGAN 2, as a
# 10x faster D does, and both the LSGAN and that D spread to 9 digits by 2000. The digit histogram
# cannot yet tell a passing phase from a collapse, so it is opt-in (checks=CHECKS); `keras-gan
# evaluate` still reads the digits of a finished run, and 2-D models their modes.
DEFAULT_CHECKS = CHECKS[:3]

# What each finding usually means, and what to try: one place, read by the printed line and by
# TensorBoard's text.
EXPLANATIONS = {
    "discriminator_not_learning": (
        "D is frozen in its own step too (the 2018 freeze: Keras 3 reads `trainable` when a step "
        "runs, not at compile()), or G outpaces it (a generator_learning_rate far above D's)",
        "set discriminator.trainable = True before D's train_on_batch calls (GAN does); check "
        "discriminator_learning_rate and equal learning rates",
    ),
    "discriminator_winning": (
        "G's gradient through D vanishes: D is too strong (learning rate, d_steps), G's loss "
        "saturates (log(1 - D(G(z)))), or a frozen D's BatchNorm runs in inference mode",
        "equal learning rates and d_steps=1, the non-saturating loss (GAN's), "
        "FreezeSafeBatchNormalization in D, or label_smoothing=0.1",
    ),
    "mode_collapse": (
        "G maps most of its noise to a few modes (digits) that fool D for now",
        "equal learning rates for G and D (10x apart collapses the MLP GAN's digits, and "
        "ToyGAN's ring), fakes_in_training_mode=True, packing (PacGAN), or a conditional GAN",
    ),
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing the diagnosis saw, at an iteration."""

    name: str
    iteration: int
    saw: str

    def __str__(self):
        means, remedy = EXPLANATIONS[self.name]
        return (
            f"diagnosis at iteration {self.iteration}: {self.name.replace('_', ' ')}: "
            f"{self.saw}. This usually means {means}. Try {remedy}."
        )


# --------------------------------------------------------------------------------------------
# The checks, as functions of what a run logs: the callback and `keras-gan evaluate` share them.


def log_findings(logs, iteration, thresholds=THRESHOLDS, gradient_norm=None, equilibrium=None):
    """Findings from a window of per-iteration logs (a dict of lists, the newest last).

    `gradient_norm`: a function giving G's gradient norm now, called only when D's accuracy is
    high (it costs a backward pass). `equilibrium`: a function saying whether D at chance is the
    game won (G covers the data), called only when D's accuracy is at chance."""
    if "d_accuracy" not in logs or len(logs["d_accuracy"]) < thresholds.window:
        return []  # a critic (WGAN) logs no accuracy
    window = {name: np.asarray(values[-thresholds.window :]) for name, values in logs.items()}
    accuracy = float(window["d_accuracy"].mean())
    gap = float((window["d_real"] - window["d_fake"]).mean())
    findings = []
    at_chance = accuracy <= thresholds.chance_accuracy and gap < thresholds.chance_gap
    if at_chance and not (equilibrium is not None and equilibrium()):
        findings.append(
            Finding(
                "discriminator_not_learning",
                iteration,
                f"D's accuracy {accuracy:.2f} (chance: 0.5) and D(x) - D(G(z)) {gap:.3f} over "
                f"{thresholds.window} iterations",
            )
        )
    if accuracy > thresholds.winning_accuracy:
        half = thresholds.window // 2
        rise = float(window["g_loss"][half:].mean() - window["g_loss"][:half].mean())
        norm = gradient_norm() if gradient_norm is not None else None
        if rise > thresholds.rising_g_loss or (
            norm is not None and norm < thresholds.tiny_gradient
        ):
            evidence = f"G's loss up {rise:.2f}" if rise > thresholds.rising_g_loss else ""
            if norm is not None and norm < thresholds.tiny_gradient:
                evidence += (" and " if evidence else "") + f"G's gradient norm {norm:.3g}"
            findings.append(
                Finding(
                    "discriminator_winning",
                    iteration,
                    f"D's accuracy {accuracy:.3f}, D(x) {window['d_real'].mean():.2f}, "
                    f"D(G(z)) {window['d_fake'].mean():.2f} over {thresholds.window} iterations; "
                    + evidence,
                )
            )
    return findings


def frozen_discriminator_finding(before, after, iteration, iterations):
    """A finding if D's weights (snapshots `before` and `after`, `iterations` apart) are equal."""
    if all(np.array_equal(old, new) for old, new in zip(before, after)):
        return Finding(
            "discriminator_not_learning",
            iteration,
            f"D's weights did not change over {iterations} iterations",
        )
    return None


def at_equilibrium(gan):
    """True when a 2-D model captures every mode of its data: D at chance is then the end the
    game aims for (G's fakes are as real as the data), not a D that fails to learn. Only models
    that count their modes can tell; for the others D at chance stays a finding."""
    if not hasattr(gan, "measure_quality"):
        return False
    try:
        quality = gan.measure_quality()
    except ValueError:  # data without modes to count (moons, spiral)
        return False
    return quality["modes_captured"] == quality["modes"]


def coverage_finding(shares, iteration, thresholds=THRESHOLDS, what="digit"):
    """A finding if `shares` (each mode's share of the samples) shows a collapse."""
    shares = np.asarray(shares, dtype="float64")
    covered = int(np.count_nonzero(shares >= 0.01))
    largest = int(shares.argmax())
    if shares[largest] > thresholds.max_mode_share or covered < thresholds.min_mode_fraction * len(
        shares
    ):
        return Finding(
            "mode_collapse",
            iteration,
            f"{covered} of {len(shares)} {what}s in the samples, {100 * shares[largest]:.0f}% "
            f"of them {what} {largest}",
        )
    return None


def mode_finding(gan, iteration, thresholds=THRESHOLDS):
    """The mode check for this GAN's kind of data: modes captured for a model that measures
    them (`measure_quality()` -> {"modes", "nearest_counts", ...}: the toy branch's ToyGAN on the
    ring or the grid), MNIST's digits through the shipped classifier, else nothing."""
    if hasattr(gan, "measure_quality"):
        try:
            quality = gan.measure_quality()
        except ValueError:  # data without modes to count (moons, spiral)
            return None
        from keras_gan.metrics.modes import modes_reached

        # Few modes captured is a collapse only when G's samples gather near few modes: a G still
        # spreading over the plane (the grid at 1000 iterations) captures none and reaches all.
        reached, total = modes_reached(quality), quality["modes"]
        if reached < thresholds.min_mode_fraction * total:
            return Finding(
                "mode_collapse",
                iteration,
                f"G's samples gather near {reached} of {total} modes "
                f"({quality['modes_captured']} captured)",
            )
        return None
    if tuple(gan.img_shape) != (28, 28, 1):
        return None
    from keras_gan import metrics

    count = thresholds.coverage_samples
    if getattr(gan, "num_classes", None):
        samples = gan.generate(count, labels=np.arange(count) % gan.num_classes, seed=0)
    else:
        samples = gan.generate(count, seed=0)
    shares = metrics.class_coverage(samples)["digit_shares"]
    return coverage_finding(shares, iteration, thresholds)


# --------------------------------------------------------------------------------------------
# The callback every run gets.


class Diagnosis(keras.callbacks.Callback):
    """Watch a GAN run for the classic failures; print each one found once, in one line.

    Every `interval` iterations it compares D's weights with the last check's and reads the
    last `thresholds.window` iterations' logs; every `thresholds.coverage_interval` it reads an
    MNIST model's samples (the first check also loads the classifier, a few seconds).
    """

    def __init__(self, interval=50, thresholds=THRESHOLDS, checks=DEFAULT_CHECKS, verbose=1):
        super().__init__()
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"Diagnosis checks {sorted(unknown)} are unknown; pick from {CHECKS}.")
        self.interval, self.thresholds, self.checks, self.verbose = (
            interval,
            thresholds,
            tuple(checks),
            verbose,
        )

    def on_train_begin(self, logs=None):
        self.findings, self.reported = [], set()
        self.model.diagnoses = self.findings
        self.logs = collections.defaultdict(
            lambda: collections.deque(maxlen=self.thresholds.window)
        )
        self.start = self.model.iteration
        self.weights = self.discriminator_weights()
        self.noise = self.model.generator_inputs(64, rng=np.random.default_rng(0))

    def on_train_batch_end(self, iteration, logs=None):
        if not self.checks:
            return
        for name, value in logs.items():
            self.logs[name].append(value)
        if iteration % self.interval == 0:
            self.check_weights(iteration)
            if iteration - self.start >= self.thresholds.warm_up:
                self.report(
                    log_findings(
                        {name: list(values) for name, values in self.logs.items()},
                        iteration,
                        self.thresholds,
                        lambda: self.gradient_norm(),
                        lambda: at_equilibrium(self.model),
                    )
                )
        measures_modes = hasattr(self.model, "measure_quality")  # 2-D data: its modes, else digits
        if (
            ("mode_collapse" if measures_modes else "digit_collapse") in self.checks
            and iteration >= self.thresholds.coverage_warm_up
            and iteration % self.thresholds.coverage_interval == 0
        ):
            self.report([mode_finding(self.model, iteration, self.thresholds)])

    def check_weights(self, iteration):
        weights = self.discriminator_weights()
        if self.discriminator_learns():
            self.report(
                [frozen_discriminator_finding(self.weights, weights, iteration, self.interval)]
            )
        self.weights = weights

    def discriminator_weights(self):
        """D's small variables (biases, the output layer, ...): each step of a learning D
        moves them, and copying them costs microseconds where all of D's weights cost ms."""
        # Not filtered by `trainable`: freezing a Keras 3 model marks its variables untrainable.
        weights = self.model.discriminator.weights
        small = [v for v in weights if int(np.prod(v.shape)) <= SMALL_VARIABLE] or weights
        return [ops.convert_to_numpy(weight) for weight in small]

    def discriminator_learns(self):
        """False when D is meant to stand still (discriminator_learning_rate=0)."""
        learning_rate = self.model.discriminator.optimizer.learning_rate
        return float(ops.convert_to_numpy(learning_rate)) > 0

    def gradient_norm(self):
        from keras_gan.gradients import generator_gradient_norm

        return generator_gradient_norm(self.model, self.noise)

    def report(self, findings):
        for finding in findings:
            if finding is None or finding.name not in self.checks or finding.name in self.reported:
                continue
            self.reported.add(finding.name)
            self.findings.append(finding)
            if self.verbose:
                print(f"\n{finding}", flush=True)


# --------------------------------------------------------------------------------------------
# A finished run, as `keras-gan evaluate` diagnoses it.


def diagnose_finished_run(gan, folder, digit_shares=None, thresholds=THRESHOLDS):
    """The findings on a run from its folder's metrics.csv (the last window of iterations) and,
    for MNIST, the digit shares `evaluate` measured on the checkpoint's samples."""
    import csv
    import os

    logs = {}
    path = os.path.join(folder, "metrics.csv")
    if os.path.exists(path):
        with open(path, newline="") as stream:
            for row in csv.DictReader(stream):
                for name, value in row.items():
                    if name not in ("iteration", "time") and value not in (None, ""):
                        logs.setdefault(name, []).append(float(value))
    noise = gan.generator_inputs(64, rng=np.random.default_rng(0))

    def gradient_norm():
        from keras_gan.gradients import generator_gradient_norm

        return generator_gradient_norm(gan, noise)

    findings = log_findings(
        logs, gan.iteration, thresholds, gradient_norm, lambda: at_equilibrium(gan)
    )
    if digit_shares is not None:
        findings.append(coverage_finding(digit_shares, gan.iteration, thresholds))
    elif hasattr(gan, "measure_quality"):
        findings.append(mode_finding(gan, gan.iteration, thresholds))
    return [finding for finding in findings if finding is not None]
