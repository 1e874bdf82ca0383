"""Clear errors for bad settings, raised before any expensive work starts."""

import numbers

import numpy as np


def is_whole_number(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


# What a setting must be. Each check returns the value (as the GAN stores it) or raises a
# ValueError that finishes the sentence "<Class>: <setting> ..."; `command_line` is how the
# `keras-gan` command reads the value from its flag (settings.py, cli.py).


def whole_number(minimum):
    def check(value):
        if not is_whole_number(value) or value < minimum:
            raise ValueError(f"must be a whole number >= {minimum}")
        return int(value)

    check.command_line = int
    return check


def number(minimum=None, above=None, below=None, hint=""):
    """A finite real number >= minimum (or > above), < below; `hint` says what is usual."""

    def check(value):
        if not is_real_number(value) or not (
            (minimum is None or value >= minimum)
            and (above is None or value > above)
            and (below is None or value < below)
        ):
            raise ValueError(f"must be {describe_range(minimum, above, below)}{hint}")
        return float(value)

    check.command_line = float
    return check


def describe_range(minimum, above, below):
    if below is None:
        return f"a number >= {minimum}" if minimum is not None else f"a number > {above}"
    low = f"[{minimum}" if minimum is not None else f"({above}"
    return f"in {low}, {below})"


def optional(check, meaning):
    """None (which means `meaning`) or a value `check` accepts."""

    def optional_check(value):
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as reason:
            reason = str(reason).removeprefix("must be ")
            raise ValueError(f"must be None ({meaning}) or {reason}") from None

    optional_check.command_line = check.command_line
    return optional_check


def true_or_false(value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError("must be True or False")
    return bool(value)


true_or_false.command_line = bool


def one_of(*choices):
    """One of `choices` (strings or True/False); the command line reads them by name."""

    def check(value):
        if not any(
            value is choice or value == choice and type(value) is type(choice) for choice in choices
        ):
            raise ValueError(f"must be {' or '.join(map(describe_choice, choices))}")
        return value

    by_name = {str(choice).lower(): choice for choice in choices}
    check.command_line = lambda text: by_name[text.lower()] if text.lower() in by_name else text
    check.command_line.__name__ = "choice"  # argparse says "invalid choice value"
    check.choices = tuple(by_name)
    return check


def describe_choice(choice):
    return f'"{choice}"' if isinstance(choice, str) else repr(choice)


def seed(value):
    if value is not None and (not is_whole_number(value) or value < 0):
        raise ValueError("must be a whole number >= 0 or None (a fresh draw each run)")
    return value


seed.command_line = int


def image_shape(value):
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 3
        or not all(is_whole_number(size) and size >= 1 for size in value)
    ):
        raise ValueError("must be (height, width, channels), e.g. (28, 28, 1)")
    return tuple(int(size) for size in value)


image_shape.command_line = None  # the command line sets it from --dataset


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


def check_resume_or_overwrite(resume, overwrite):
    if resume and overwrite:
        raise ValueError(
            "Choose resume=True / --resume (continue the run) or overwrite=True / --overwrite "
            "(start afresh), not both."
        )


def check_batch_size(batch_size, dataset_size):
    if batch_size > dataset_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the data ({dataset_size} images): "
            "use a smaller batch_size or more images."
        )


def check_iterations_ahead(iterations, done):
    if iterations <= done:
        raise ValueError(
            f"This GAN has already trained {done} iterations: `iterations` is the iteration to "
            f"train up to, so pass more than {done}."
        )


def check_count(n, what="n"):
    if not is_whole_number(n) or n < 0:
        raise ValueError(f"{what} must be a whole number >= 0 (how many samples), got {n!r}.")


def check_noise(n, noise, latent_dim, seed):
    """Check generate()'s arguments: `noise`, if given, is one latent vector per sample."""
    check_count(n)
    if noise is None:
        return
    if seed is not None:
        raise ValueError(
            "Pass either noise or seed to generate, not both: the noise fixes the samples."
        )
    if np.shape(noise) != (n, latent_dim):
        raise ValueError(
            f"noise has shape {np.shape(noise)} but generating {n} samples needs shape "
            f"({n}, {latent_dim}): one latent vector per sample."
        )
