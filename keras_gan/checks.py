"""Clear errors for bad settings, raised before any expensive work starts."""

import os

import numpy as np

from keras_gan.checkpoints import checkpoint_path
from keras_gan.files import check_writable
from keras_gan.plots import grid_paths


def _is_whole_number(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_gan_settings(img_shape, latent_dim, d_steps, label_smoothing, jit_compile="auto"):
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
    if not (jit_compile == "auto" or isinstance(jit_compile, bool)):
        raise ValueError(f'jit_compile must be "auto", True or False, got {jit_compile!r}.')


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


RUN_FILES = ("checkpoint.npz", "metrics.csv", "quality.csv", "losses.png", "progress.gif")


def prepare_output_dir(gan, output_dir, resume, overwrite):
    """Check the output folder; with `overwrite`, clear the earlier run's files from it.

    A fresh run must never silently mix with, or replace, an earlier run's files (or a user's own
    numbered pictures): it is refused unless the folder is the one this GAN is already training
    into, or `overwrite` says to start afresh.
    """
    check_writable(output_dir)
    if resume and overwrite:
        raise ValueError("Choose resume=True (continue the run) or overwrite=True (start afresh), not both.")
    if resume and not os.path.exists(checkpoint_path(output_dir)):
        raise ValueError(
            f"Cannot resume: no checkpoint in {output_dir!r}. Give the output folder of the run "
            "to continue, or train without resume."
        )
    earlier_files = [
        os.path.basename(path)
        for path in [os.path.join(output_dir, name) for name in RUN_FILES] + grid_paths(output_dir)
        if os.path.exists(path)
    ]
    continuing = gan.iteration > 0 and getattr(gan, "output_dir", None) == os.path.realpath(output_dir)
    if earlier_files and not (resume or overwrite or continuing):
        raise ValueError(
            f"{output_dir!r} already holds a run ({', '.join(earlier_files[:3])}"
            f"{', ...' if len(earlier_files) > 3 else ''}). Continue it with resume=True (--resume), "
            "replace it with overwrite=True (--overwrite), or choose another output folder."
        )
    if overwrite:
        for name in earlier_files:
            os.remove(os.path.join(output_dir, name))
    gan.output_dir = os.path.realpath(output_dir)


def check_iterations_ahead(iterations, done):
    if iterations <= done:
        raise ValueError(
            f"This GAN has already trained {done} iterations: `iterations` is the iteration to train "
            f"up to, so pass more than {done}."
        )
