"""Least-squares GAN (Mao et al., 2017) as a subclass of GAN: only the loss and D's output differ.

    from keras_gan import LSGAN
    LSGAN().train(iterations=5000)

D's output is a plain number (no sigmoid), pulled towards 1 for real images and 0 for fakes by
the squared error; G pulls its fakes' scores towards 1. Unlike the cross-entropy, the squared
error keeps pushing fakes that D already calls real but that lie far from the real data, which
gives G useful gradients for longer.
"""

import keras

from keras_gan.gan import GAN


class LSGAN(GAN):
    """The classic GAN with a least-squares loss on a linear discriminator output."""

    output_activation = None  # D's verdict is a score, not a probability
    from_logits = GAN.from_logits.refused(
        "an LSGAN's D outputs a score for the squared error, not a logit"
    )

    def build_loss(self):
        return keras.losses.MeanSquaredError()
