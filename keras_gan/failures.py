"""The classic GAN mistakes, each switched on by one small subclass or one setting, to watch.

    from keras_gan.failures import ClassicFreezeGAN, PlainBatchNormDCGAN, SaturatingGAN
    ClassicFreezeGAN(seed=0).train(iterations=200)     # D's weights never change
    GAN(**STRONG_DISCRIMINATOR).train(iterations=1000)  # D wins, then G collapses to few digits
    GAN(**STRONG_GENERATOR).train(iterations=1000)     # D overwhelmed, below chance
    ToyGAN(**RING_MODE_COLLAPSE).train(iterations=1000)  # the plain game: all noise on one point

Each runs on both paths (one compiled call and the four Keras calls) and every backend, and the
diagnosis that is on in every run (keras_gan/diagnosis.py) names each one. The notebook
examples/when_gans_fail.ipynb shows them beside their fixes.
"""

import keras

from keras_gan.dcgan import DCGAN, KERNEL_SIZE, dcgan_gamma_initializer, dcgan_kernel_initializer
from keras_gan.gan import GAN


class ClassicFreezeGAN(GAN):
    """The 2018 freeze as written: D frozen once, before `combined` is compiled, and never again
    unfrozen. Keras 2 read `trainable` at compile(), so D still trained in its own step; Keras 3
    reads it when the step runs, so D's weights never change (on TensorFlow and PyTorch Keras warns
    once, "The model does not have any trainable weights"; on JAX it is silent). The fix is the
    line GAN.train_discriminator starts with.
    """

    def __init__(self, **settings):
        super().__init__(**settings)
        # D's optimizer meets D only frozen, so it keeps no state: built so now, as Keras builds
        # it at the first step, a checkpoint saves and reloads the same (empty) state.
        self.discriminator.optimizer.build([])

    def train_discriminator(self, real_batch, generator_inputs):
        fakes = self.fake_batch(generator_inputs)
        real_target = self.real_target * (1.0 - self.label_smoothing)
        real = self.train_on_batch(
            self.discriminator, real_batch, self.targets(real_target, real_batch)
        )
        fake = self.train_on_batch(self.discriminator, fakes, self.targets(self.fake_target, fakes))
        return self.discriminator_logs(real, fake)


class PlainBatchNormDCGAN(DCGAN):
    """The DCGAN with Keras' own BatchNormalization in D, as the 2018 DCGANs had it.

    Frozen inside `combined`, a stock BatchNormalization normalises with its moving statistics
    (inference mode), so G is trained against a different function from the one D's own step
    trains (batch statistics): D wins and G "only makes noise". The DCGAN's
    FreezeSafeBatchNormalization (keras_gan/layers.py) keeps batch statistics when frozen.
    """

    r1_gamma = DCGAN.r1_gamma.replace(default=0.0)  # the 2018 recipe: no penalty to mask D's win

    def downsample(self, image):
        x = image
        for block in range(self.doublings):
            x = keras.layers.Conv2D(
                self.filters * 2**block,
                KERNEL_SIZE,
                strides=2,
                padding="same",
                use_bias=block == 0,
                kernel_initializer=dcgan_kernel_initializer(),
            )(x)
            if block > 0:
                x = keras.layers.BatchNormalization(gamma_initializer=dcgan_gamma_initializer())(x)
            x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        return keras.layers.Flatten()(x)


class SaturatingGAN(GAN):
    """G minimises log(1 - D(G(z))), the loss of the 2014 paper's minimax game, instead of the
    non-saturating -log(D(G(z))) everyone trains with.

    Early on D easily tells G's noise from digits: D(G(z)) is near 0, where log(1 - D) is flat,
    so G's gradient vanishes just when G most needs it (the paper itself advises the other loss).
    G's target is "fake", and its loss is the negative of D's loss on the fakes.
    """

    generator_target = 0.0

    def __init__(self, **settings):
        super().__init__(**settings)
        self.combined.compile(
            loss=negated(self.build_loss()),
            optimizer=self.combined.optimizer,
            jit_compile=self.jit_compile,
        )


def negated(loss):
    def negated_loss(y_true, y_pred):
        return -loss(y_true, y_pred)

    return negated_loss


# A discriminator that is too strong: it learns 10x as fast as G. Measured (MLP, seed 0, 1000
# iterations): D's accuracy ~95% for the first 500 iterations while G's loss reaches 12, then G
# hops to whatever D calls real: 4 digits of 10 at iteration 1000, 69% of them 8s (mode
# collapse, which the diagnosis names). The fix: one learning rate for both (the default).
STRONG_DISCRIMINATOR = {"discriminator_learning_rate": 2e-3}
MODE_COLLAPSE = STRONG_DISCRIMINATOR  # on MNIST, the too-strong D is what collapses the MLP GAN

# The opposite: G learning 10x as fast as D overwhelms it. Measured: D's accuracy 0.40-0.45,
# below chance, from iteration 500, with D(G(z)) above D(x): the diagnosis says D is not learning.
STRONG_GENERATOR = {"generator_learning_rate": 2e-3}

# On the ring (ToyGAN, whose rate is 1e-3), in the plain game, G learning 10x as fast as D folds
# all its noise onto one point. Measured at iteration 1000, seeds 0, 1 and 2: G's samples near 1
# of 8 modes, 0 captured (seed 0 had all its points on one mode at 750): mode collapse, which the
# diagnosis names. ToyGAN's defaults, R1 and an averaged G, are switched off here: with them the
# same G's average is a blur around the ring (seeds 0 and 2: near all 8 modes, 2 captured, 15-19%
# high quality), no collapse. With equal rates and the defaults seed 2 captures 8 of 8 by 1000.
RING_MODE_COLLAPSE = {"generator_learning_rate": 1e-2, "r1_gamma": 0.0, "ema_momentum": None}
