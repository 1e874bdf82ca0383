"""keras_gan: the classic Keras combined-model GAN, correct and fast on Keras 3."""

from keras_gan.gan import GAN
from keras_gan.dcgan import DCGAN

__all__ = ["GAN", "DCGAN"]
