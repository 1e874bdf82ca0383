"""DCGAN (Radford et al., 2015) as a subclass of GAN: the two networks differ, and R1 is on.

    from keras_gan import DCGAN
    gan = DCGAN(img_shape=(32, 32, 3))
    gan.train(iterations=5000, data=images)

The generator projects the noise to a small feature map (4x4 or 7x7) and doubles its size with
stride-2 transposed convolutions until it reaches the image; the discriminator mirrors it with
stride-2 convolutions. So square sizes 4 * 2^k (8, 16, 32, 64, 128, ...) and 7 * 2^k
(14, 28, 56, 112, ...) work. D's step adds the R1 penalty (`r1_gamma=10`, Mescheder et al. 2018).

The default build, for MNIST's 28x28x1 (filters=64, latent_dim=100), with the state size after
each row's last layer (tests/test_dcgan.py builds it and checks every row):

    generator                                           state size
    InputLayer (z)                                      100
    Dense                                               6272 = 7 * 7 * 128
    Reshape, BatchNormalization, ReLU                   7 x 7 x 128
    Conv2DTranspose, BatchNormalization, ReLU           14 x 14 x 64
    Conv2DTranspose (tanh)                              28 x 28 x 1

    discriminator                                       state size
    InputLayer (image)                                  28 x 28 x 1
    Conv2D, LeakyReLU                                   14 x 14 x 64
    Conv2D, FreezeSafeBatchNormalization, LeakyReLU     7 x 7 x 128
    Flatten                                             6272
    Dense (sigmoid)                                     1
"""

import keras
from keras import layers

from keras_gan import checks
from keras_gan.gan import GAN
from keras_gan.layers import FreezeSafeBatchNormalization
from keras_gan.settings import Setting

BASE_SIZES = (4, 7)
KERNEL_SIZE = 4  # divisible by the stride 2, which avoids checkerboard artefacts


def dcgan_image_shape(shape):
    """An image shape a DCGAN can build (square, 4 * 2^k or 7 * 2^k on a side)."""
    shape = checks.image_shape(shape)
    feature_map_plan(shape)
    return shape


class DCGAN(GAN):
    """Convolutional generator and discriminator, sized from `img_shape`."""

    img_shape = GAN.img_shape.replace(check=dcgan_image_shape)
    filters = Setting(64, checks.whole_number(1), "width of the largest feature maps (G's last)")
    # R1 on: it beat the plain DCGAN at 1000, 2000 and 5000 iterations with two seeds
    # (Frechet 23.9 -> 20.1 at 5000; benchmarks/README.md, "Levers"). r1_gamma=0: the paper's.
    r1_gamma = GAN.r1_gamma.replace(default=10.0)

    @property
    def base_size(self):
        """The side of G's first feature map: 4 or 7."""
        return feature_map_plan(self.img_shape)[0]

    @property
    def doublings(self):
        """How many stride-2 layers grow the first feature map into the image."""
        return feature_map_plan(self.img_shape)[1]

    def build_generator(self):
        """Noise -> `upsample` -> image."""
        noise = keras.Input((self.latent_dim,), name="z")
        return keras.Model(noise, self.upsample(noise), name="generator")

    def build_discriminator(self):
        """Image -> `downsample` -> one output."""
        image = keras.Input(self.img_shape, name="image")
        verdict = layers.Dense(
            1, activation=self.output_activation, kernel_initializer=dcgan_kernel_initializer()
        )(self.downsample(image))
        return keras.Model(image, verdict, name="discriminator")

    def upsample(self, x):
        """Dense to base x base, then ConvTranspose(stride 2) + BatchNorm + ReLU; tanh image out."""
        width = self.filters * 2 ** (self.doublings - 1)
        x = layers.Dense(
            self.base_size * self.base_size * width,
            use_bias=False,
            kernel_initializer=dcgan_kernel_initializer(),
        )(x)
        x = layers.Reshape((self.base_size, self.base_size, width))(x)
        x = layers.ReLU()(generator_batch_normalization()(x))
        # state size: base x base x filters * 2^(doublings - 1); 7 x 7 x 128 for 28x28
        for _ in range(self.doublings - 1):
            width //= 2
            x = layers.Conv2DTranspose(
                width,
                KERNEL_SIZE,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=dcgan_kernel_initializer(),
            )(x)
            x = layers.ReLU()(generator_batch_normalization()(x))
            # state size: each pass doubles the side, halves the depth; 14 x 14 x 64 for 28x28
        # the image, one last doubling: 28 x 28 x 1
        return layers.Conv2DTranspose(
            self.img_shape[-1],
            KERNEL_SIZE,
            strides=2,
            padding="same",
            activation="tanh",
            kernel_initializer=dcgan_kernel_initializer(),
        )(x)

    def downsample(self, image):
        """Conv2D(stride 2) + LeakyReLU(0.2), BatchNorm after the first block; the features flat."""
        x = image
        for block in range(self.doublings):
            x = layers.Conv2D(
                self.filters * 2**block,
                KERNEL_SIZE,
                strides=2,
                padding="same",
                use_bias=block == 0,
                kernel_initializer=dcgan_kernel_initializer(),
            )(x)
            # Not on the first block, as in the paper: normalising the image layer itself
            # made their samples oscillate. The freeze-safe kind, because D is frozen inside
            # the combined model (see keras_gan/layers.py).
            if block > 0:
                x = FreezeSafeBatchNormalization(gamma_initializer=dcgan_gamma_initializer())(x)
            x = layers.LeakyReLU(negative_slope=0.2)(x)
            # state size: each block halves the side, doubles the depth; for 28x28,
            # 14 x 14 x 64, then 7 x 7 x 128
        # flat: 7 * 7 * 128 = 6272 for 28x28
        return layers.Flatten()(x)


def feature_map_plan(img_shape):
    """(base size, number of doublings) that grow a base x base map into the image."""
    height, width = tuple(img_shape)[:2]
    if height == width:
        for base_size in BASE_SIZES:
            size, doublings = height, 0
            while size > base_size and size % 2 == 0:
                size, doublings = size // 2, doublings + 1
            if size == base_size and doublings >= 1:
                return base_size, doublings
    working = sorted(base * 2**k for base in BASE_SIZES for k in range(1, 6))
    raise ValueError(
        f"must be square, 4 * 2^k or 7 * 2^k on a side, i.e. one of "
        f"{', '.join(map(str, working))}, ... "
        "Resize your images (load_image_folder(path, image_size=64) does it) or subclass "
        "DCGAN and override the builders"
    )


# Weights as the DCGAN paper initialises them. A fresh initializer per layer: one unseeded
# instance shared by several layers would give them all the same weights.
def dcgan_kernel_initializer():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def dcgan_gamma_initializer():
    return keras.initializers.RandomNormal(mean=1.0, stddev=0.02)


def generator_batch_normalization():
    # The generator makes D's fake batch at inference (moving statistics) but trains with batch
    # statistics; momentum 0.8 keeps the moving statistics close to the recent batches.
    return layers.BatchNormalization(momentum=0.8, gamma_initializer=dcgan_gamma_initializer())
