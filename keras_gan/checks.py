"""Clear errors for bad settings, raised before any expensive work starts."""

import os

import numpy as np

from keras_gan.checkpoints import checkpoint_path
from keras_gan.files import check_writable


def _is_whole_number(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_gan_settings(img_shape, latent_dim, d_steps, label_smoothing):
    if len(img_shape) != 3 or not all(_is_whole_number(size) and size >= 1 for size in img_shape):
        raise ValueError(
            f"img_shape must be (height, width, channels), e.g. (28, 28, 1); got {img_shape}."
        )
    for name, value in (("latent_dim", latent_dim), ("d_steps", d_steps)):
        if not _is_whole_number(value) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(
            f"label_smoothing must be in [0, 0.5) (0.1 is usual), got {label_smoothing!r}."
        )


def check_training_arguments(iterations, batch_size, sample_interval, checkpoint_interval, log_interval):
    for name, value in (
        ("iterations", iterations),
        ("batch_size", batch_size),
        ("sample_interval", sample_interval),
        ("checkpoint_interval", checkpoint_interval),
        ("log_interval", log_interval),
    ):
        if not _is_whole_number(value) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")


def check_batch_size(batch_size, dataset_size):
    if batch_size > dataset_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the data ({dataset_size} images): "
            "use a smaller batch_size or more images."
        )


def check_output_dir(gan, output_dir, resume, overwrite):
    """The folder must be writable, and a fresh run must not silently replace an earlier one."""
    check_writable(output_dir)
    if resume and overwrite:
        raise ValueError("Choose resume=True (continue the run) or overwrite=True (start afresh), not both.")
    earlier_run = os.path.exists(checkpoint_path(output_dir))
    if resume and not earlier_run:
        raise ValueError(
            f"Cannot resume: no checkpoint in {output_dir!r}. Give the output folder of the run "
            "to continue, or train without resume."
        )
    if earlier_run and not resume and not overwrite and gan.iteration == 0:
        raise ValueError(
            f"{output_dir!r} already holds a run (it has {os.path.basename(checkpoint_path(output_dir))}). "
            "Continue it with resume=True (--resume), replace it with overwrite=True (--overwrite), "
            "or choose another output folder."
        )
