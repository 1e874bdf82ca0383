"""WGAN-GP (Gulrajani et al., 2017): the Wasserstein critic kept smooth by a gradient penalty.

    from keras_gan import WGANGP
    WGANGP().train(iterations=5000)

Weight clipping (WGAN) keeps the critic Lipschitz by force and makes it learn slowly. WGAN-GP
asks for the Lipschitz bound where it matters instead: on straight lines between real and fake
images, the critic's gradient should have norm 1, and the critic's loss gains
penalty_weight * mean((|grad D(x)| - 1)^2) at random points on those lines (gan.py's
`penalty_points` and `gradient_penalty` hooks; penalties.py adds the term to D's loss on every
path and backend). The paper's settings: penalty weight 10, Adam(1e-4, beta_1=0, beta_2=0.9),
5 critic steps per generator step, no BatchNorm in the critic (the penalty is per image; batch
statistics would tie the images together). As in the WGAN here, each critic step is two updates,
one on the real half (with the penalty) and one on the fakes, where the paper makes one.
"""

import keras

from keras_gan import checks, penalties
from keras_gan.gan import GAN
from keras_gan.settings import Setting
from keras_gan.wgan import WGAN


class WGANGP(WGAN):
    """The Wasserstein GAN with a gradient penalty instead of clipped weights."""

    learning_rate = WGAN.learning_rate.replace(default=1e-4)
    beta_1 = GAN.beta_1.replace(default=0.0)  # Adam again, so beta_1 means something again
    beta_2 = Setting(
        0.9, checks.number(minimum=0, below=1, hint=" (0.9 is usual)"), "Adam's beta_2"
    )
    penalty_weight = Setting(
        10.0, checks.number(above=0), "the gradient penalty's weight: (|grad D| - 1)^2 times this"
    )
    clip_value = WGAN.clip_value.refused(
        "a WGANGP keeps its critic smooth with the gradient penalty, not clipping"
    )
    r1_gamma = GAN.r1_gamma.refused("a WGANGP has its own gradient penalty (penalty_weight)")

    def build_discriminator(self):
        """The architecture's critic with a linear output and unclipped weights (skips WGAN's)."""
        return super(WGAN, self).build_discriminator()

    def build_optimizer(self, learning_rate, beta_1):
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=self.beta_2)

    def penalty_points(self, real_batch, fake_batch):
        """Random points on the lines between real and fake images."""
        return penalties.random_interpolation(
            real_batch, fake_batch, self.discriminator.seed_generator
        )

    def gradient_penalty(self, gradients):
        """penalty_weight * mean((|grad D(x)| - 1)^2): a critic with unit gradient norm there."""
        return penalties.unit_gradient_penalty(gradients, self.penalty_weight)
