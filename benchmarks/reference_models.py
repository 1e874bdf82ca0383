"""The recipes the quality benchmark compares with, written as keras_gan subclasses.

`KerasGANCGAN`: the networks of Keras-GAN's `cgan.py` (2018), on keras_gan's loop (so with the
Keras 3 freeze repaired): the label's embedding multiplied into the noise (G) and into the
flattened image (D); D an MLP 512-512-512 with Dropout(0.4). Two differences from the 2018 loop
remain: D sees full batches (the script used half batches), and the fakes of D's step are made
for random labels (the script used the real batch's labels).
"""

import keras
import numpy as np
from keras import layers

from keras_gan import CGAN


class KerasGANCGAN(CGAN):
    """Keras-GAN's cgan.py networks (Mirza & Osindero's CGAN as Keras users copy it)."""

    def build_generator(self):
        noise, label = keras.Input((self.latent_dim,)), keras.Input((), dtype="int32")
        x = layers.Multiply()([noise, layers.Embedding(self.num_classes, self.latent_dim)(label)])
        for units in (256, 512, 1024):
            x = layers.BatchNormalization(momentum=0.8)(
                layers.LeakyReLU(negative_slope=0.2)(layers.Dense(units)(x))
            )
        image = layers.Reshape(self.img_shape)(
            layers.Dense(int(np.prod(self.img_shape)), activation="tanh")(x)
        )
        return keras.Model([noise, label], image, name="generator")

    def build_discriminator(self):
        image, label = keras.Input(self.img_shape), keras.Input((), dtype="int32")
        pixels = int(np.prod(self.img_shape))
        x = layers.Multiply()(
            [layers.Flatten()(image), layers.Embedding(self.num_classes, pixels)(label)]
        )
        x = layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(x))
        for _ in range(2):
            x = layers.Dropout(0.4)(layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(x)))
        return keras.Model(
            [image, label],
            layers.Dense(1, activation=self.output_activation)(x),
            name="discriminator",
        )
