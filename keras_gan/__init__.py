"""keras_gan: the classic Keras combined-model GAN, correct and fast on Keras 3."""

from keras_gan.gan import GAN

__all__ = ["GAN"]
