"""Shared pytest fixtures.

Tests that need genuine MNIST read it from $KERAS_GAN_DATA_DIR, else from ../shared/data/mnist
next to the repository. Without either they fail, naming what to set: a skip would let a run
without data pass silently.
"""

import os

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MNIST_DIR = os.path.join(REPOSITORY_ROOT, "..", "shared", "data", "mnist")


@pytest.fixture(scope="session")
def mnist_data_dir():
    """The folder holding the MNIST IDX .gz files (or mnist.npz)."""
    data_dir = os.environ.get("KERAS_GAN_DATA_DIR")
    if data_dir:
        if not os.path.isdir(data_dir):
            pytest.fail(f"KERAS_GAN_DATA_DIR={data_dir!r} is not a folder; point it at MNIST.")
        return data_dir
    if os.path.isdir(DEFAULT_MNIST_DIR):
        return os.path.normpath(DEFAULT_MNIST_DIR)
    pytest.fail(
        "This test needs genuine MNIST. Set KERAS_GAN_DATA_DIR to a folder holding the four "
        f"MNIST IDX .gz files (or mnist.npz), or put them in {os.path.normpath(DEFAULT_MNIST_DIR)}."
    )
