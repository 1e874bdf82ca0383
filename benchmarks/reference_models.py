"""The recipes the quality benchmark compares with, written as keras_gan subclasses.

Each is Keras-GAN's 2018 script's networks and settings, on keras_gan's loop (so with the Keras 3
freeze repaired), written out here layer by layer so that a change to keras_gan's own models
does not change its peer.

`KerasGANCGAN`: the networks of Keras-GAN's `cgan.py` (2018), on keras_gan's loop (so with the
Keras 3 freeze repaired): the label's embedding multiplied into the noise (G) and into the
flattened image (D); D an MLP 512-512-512 with Dropout(0.4). Two differences from the 2018 loop
remain: D sees full batches (the script used half batches), and the fakes of D's step are made
for random labels (the script used the real batch's labels).
"""

import keras
import numpy as np
from keras import layers

from keras_gan import CGAN, LSGAN, WGAN
from keras_gan.layers import ClipWeights, FreezeSafeBatchNormalization


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


def kerasgan_mlp_generator(latent_dim, img_shape):
    """gan.py's and lsgan.py's G: Dense 256-512-1024, each LeakyReLU(0.2) then BatchNorm(0.8)."""
    model = keras.Sequential([keras.Input((latent_dim,))], name="generator")
    for units in (256, 512, 1024):
        model.add(layers.Dense(units))
        model.add(layers.LeakyReLU(negative_slope=0.2))
        model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Dense(int(np.prod(img_shape)), activation="tanh"))
    model.add(layers.Reshape(img_shape))
    return model


class KerasGANLSGAN(LSGAN):
    """Keras-GAN's lsgan.py: gan.py's MLPs, D's output linear, MSE, Adam(2e-4, 0.5), batch 32.

    (These are also keras_gan's LSGAN's networks and settings today: this peer shows whether the
    loop alone, 2018's versus keras_gan's, makes a difference, and stays put if LSGAN changes.)"""

    def build_generator(self):
        return kerasgan_mlp_generator(self.latent_dim, self.img_shape)

    def build_discriminator(self):
        return keras.Sequential(
            [
                keras.Input(self.img_shape),
                layers.Flatten(),
                layers.Dense(512),
                layers.LeakyReLU(negative_slope=0.2),
                layers.Dense(256),
                layers.LeakyReLU(negative_slope=0.2),
                layers.Dense(1),  # "no softmax": the score the squared error pulls to 1 or 0
            ],
            name="discriminator",
        )


class KerasGANWGAN(WGAN):
    """Keras-GAN's wgan.py: a convolutional G (upsampling) and critic (16-32-64-128, Dropout 0.25,
    BatchNorm), every critic weight clipped to 0.01, RMSprop(5e-5), 5 critic steps.

    One difference from the 2018 loop remains: the critic sees full batches of real and fake
    images (the script used half batches). Its BatchNorm keeps batch statistics while frozen, as
    Keras 2's did, so G trains against the critic its own step trained."""

    def build_generator(self):
        def upsampling_block(filters):
            return [
                layers.UpSampling2D(),
                layers.Conv2D(filters, kernel_size=4, padding="same"),
                layers.BatchNormalization(momentum=0.8),
                layers.Activation("relu"),
            ]

        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                layers.Dense(128 * 7 * 7, activation="relu"),
                layers.Reshape((7, 7, 128)),
                *upsampling_block(128),
                *upsampling_block(64),
                layers.Conv2D(self.img_shape[-1], kernel_size=4, padding="same"),
                layers.Activation("tanh"),
            ],
            name="generator",
        )

    def build_discriminator(self):
        def block(filters, strides, batch_norm=True, pad=False):
            return [
                layers.Conv2D(filters, kernel_size=3, strides=strides, padding="same"),
                *([layers.ZeroPadding2D(((0, 1), (0, 1)))] if pad else []),
                *([FreezeSafeBatchNormalization(momentum=0.8)] if batch_norm else []),
                layers.LeakyReLU(negative_slope=0.2),
                layers.Dropout(0.25),
            ]

        critic = keras.Sequential(
            [
                keras.Input(self.img_shape),
                *block(16, 2, batch_norm=False),
                *block(32, 2, pad=True),
                *block(64, 2),
                *block(128, 1),
                layers.Flatten(),
                layers.Dense(1),
            ],
            name="discriminator",
        )
        for weight in critic.trainable_weights:  # as WGAN clips its own critic
            weight.constraint = ClipWeights(self.clip_value)
        return critic
