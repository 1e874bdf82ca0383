"""keras_gan: the classic Keras combined-model GAN, correct and fast on Keras 3.

    from keras_gan import GAN, DCGAN
"""

__all__ = ["GAN", "DCGAN"]


def __getattr__(name):
    # Importing Keras takes seconds. Loading it only when a model is asked for keeps
    # `keras-gan --help` and the command line's error messages instant and free of its logs.
    if name == "GAN":
        from keras_gan.gan import GAN

        return GAN
    if name == "DCGAN":
        from keras_gan.dcgan import DCGAN

        return DCGAN
    raise AttributeError(f"module 'keras_gan' has no attribute {name!r}")
