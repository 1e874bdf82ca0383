"""Clear errors for bad settings, raised before any expensive work starts."""

import numbers

import numpy as np


def is_whole_number(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


def check_gan_settings(
    gan,
    img_shape,
    latent_dim,
    learning_rate,
    beta_1,
    generator_learning_rate,
    discriminator_learning_rate,
    d_steps,
    from_logits,
    label_smoothing,
    seed,
    one_call,
    jit_compile,
):
    """Every setting of GAN(...), each with what it must be; raised before anything is built."""
    name = type(gan).__name__
    if (
        not isinstance(img_shape, (tuple, list))
        or len(img_shape) != 3
        or not all(is_whole_number(size) and size >= 1 for size in img_shape)
    ):
        raise ValueError(
            f"{name}: img_shape must be (height, width, channels), e.g. (28, 28, 1); got {img_shape!r}."
        )
    for setting, value in (("latent_dim", latent_dim), ("d_steps", d_steps)):
        if not is_whole_number(value) or value < 1:
            raise ValueError(f"{name}: {setting} must be a whole number >= 1, got {value!r}.")
    for setting, value in (
        ("learning_rate", learning_rate),
        ("generator_learning_rate", generator_learning_rate),
        ("discriminator_learning_rate", discriminator_learning_rate),
    ):
        if value is None and setting != "learning_rate":
            continue
        if not is_real_number(value) or value < 0:
            raise ValueError(
                f"{name}: {setting} must be a number >= 0 (0 freezes that network), got {value!r}."
            )
    if not is_real_number(beta_1) or not 0.0 <= beta_1 < 1.0:
        raise ValueError(
            f"{name}: beta_1 must be in [0, 1) (0.5 is usual for GANs), got {beta_1!r}."
        )
    if not is_real_number(label_smoothing) or not 0.0 <= label_smoothing < 0.5:
        raise ValueError(
            f"{name}: label_smoothing must be in [0, 0.5) (0.1 is usual), got {label_smoothing!r}."
        )
    for setting, value in (("from_logits", from_logits), ("one_call", one_call)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name}: {setting} must be True or False, got {value!r}.")
    if seed is not None and (not is_whole_number(seed) or seed < 0):
        raise ValueError(f"{name}: seed must be a whole number >= 0 or None, got {seed!r}.")
    if not (jit_compile == "auto" or isinstance(jit_compile, bool)):
        raise ValueError(f'{name}: jit_compile must be "auto", True or False, got {jit_compile!r}.')


def check_quality_levers(gan, ema_momentum, fakes_in_training_mode, r1_gamma):
    if ema_momentum is not None and (
        not is_real_number(ema_momentum) or not 0.0 < ema_momentum < 1.0
    ):
        raise ValueError(
            f"{type(gan).__name__}: ema_momentum must be None (no averaged generator) or in (0, 1), "
            f"e.g. 0.999, got {ema_momentum!r}."
        )
    if not isinstance(fakes_in_training_mode, (bool, np.bool_)):
        raise ValueError(
            f"{type(gan).__name__}: fakes_in_training_mode must be True or False, got {fakes_in_training_mode!r}."
        )
    if not is_real_number(r1_gamma) or r1_gamma < 0:
        raise ValueError(
            f"{type(gan).__name__}: r1_gamma must be a number >= 0 (0: no R1 penalty; 10 is "
            f"usual), got {r1_gamma!r}."
        )


def check_whole_number(gan, name, value, minimum):
    if not is_whole_number(value) or value < minimum:
        raise ValueError(
            f"{type(gan).__name__}: {name} must be a whole number >= {minimum}, got {value!r}."
        )


def check_positive_number(gan, name, value):
    if not is_real_number(value) or value <= 0:
        raise ValueError(f"{type(gan).__name__}: {name} must be a number > 0, got {value!r}.")


def check_applicable(gan, arguments):
    """Refuse a setting given to a variant for which it means nothing (it would be ignored)."""
    for name, reason in type(gan).inapplicable_settings.items():
        if name in arguments:
            raise ValueError(f"{type(gan).__name__} takes no {name}: {reason}.")


def check_separate_optimizers(discriminator_optimizer, generator_optimizer):
    if discriminator_optimizer is generator_optimizer:
        raise ValueError(
            "build_optimizer returned the same optimizer for the discriminator and the combined "
            "model. Each compiled model needs its own (an optimizer keeps state for the weights it "
            "updates; Keras 3 fails on a shared one): create a new optimizer on every call."
        )


def check_training_arguments(
    iterations, batch_size, sample_interval, checkpoint_interval, log_interval
):
    for name, value in (
        ("iterations", iterations),
        ("batch_size", batch_size),
        ("sample_interval", sample_interval),
        ("checkpoint_interval", checkpoint_interval),
        ("log_interval", log_interval),
    ):
        if not is_whole_number(value) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")


def check_batch_size(batch_size, dataset_size):
    if batch_size > dataset_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the data ({dataset_size} images): "
            "use a smaller batch_size or more images."
        )


def check_iterations_ahead(iterations, done):
    if iterations <= done:
        raise ValueError(
            f"This GAN has already trained {done} iterations: `iterations` is the iteration to train "
            f"up to, so pass more than {done}."
        )


def check_count(n, what="n"):
    if not is_whole_number(n) or n < 0:
        raise ValueError(f"{what} must be a whole number >= 0 (how many samples), got {n!r}.")


def check_noise(n, noise, latent_dim, seed):
    """The noise to generate `n` samples from: `noise` checked, or drawn with `seed`."""
    check_count(n)
    if noise is None:
        return np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")
    if seed is not None:
        raise ValueError(
            "Pass either noise or seed to generate, not both: the noise fixes the samples."
        )
    noise = np.asarray(noise, dtype="float32")
    if noise.shape != (n, latent_dim):
        raise ValueError(
            f"noise has shape {noise.shape} but generating {n} samples needs shape ({n}, {latent_dim}): "
            "one latent vector per sample."
        )
    return noise
