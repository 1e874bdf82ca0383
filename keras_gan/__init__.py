"""keras_gan: the classic Keras combined-model GAN, correct and fast on Keras 3.

    from keras_gan import GAN, DCGAN, CGAN, LSGAN, WGAN
"""

import importlib

__all__ = ["GAN", "DCGAN", "CGAN", "LSGAN", "WGAN", "load_gan"]

_HOMES = {"GAN": "gan", "DCGAN": "dcgan", "CGAN": "cgan", "LSGAN": "lsgan", "WGAN": "wgan", "load_gan": "checkpoints"}


def __getattr__(name):
    # Importing Keras takes seconds. Loading it only when a model is asked for keeps
    # `keras-gan --help` and the command line's error messages instant and free of its logs.
    if name in _HOMES:
        return getattr(importlib.import_module(f"keras_gan.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'keras_gan' has no attribute {name!r}")
