"""Wasserstein GAN (Arjovsky et al., 2017) as a subclass of GAN: a critic instead of a judge.

    from keras_gan import WGAN
    WGAN().train(iterations=5000)

The critic gives real images high scores and fakes low ones; the loss mean(target * score) with
targets -1 (real) and +1 (fake) maximises the gap, an estimate of the Wasserstein distance
between the two distributions, which the logs show as `wasserstein`. For that estimate to hold
the critic must be smooth (Lipschitz): the paper clips every weight to [-0.01, 0.01] after each
update, which Keras' weight constraints do inside the optimizer's step. The critic trains 5
times per generator step, with RMSprop(5e-5). With the paper's settings it learns slowly: on
MNIST its samples are still blurred at 5000 iterations, far behind the classic GAN's (the
measured figures are in benchmarks/README.md, Quality), a lesson in why WGAN-GP replaced weight
clipping.
"""

import keras
from keras import ops

from keras_gan import checks
from keras_gan.gan import GAN
from keras_gan.layers import ClipWeights
from keras_gan.settings import Setting


class WGAN(GAN):
    """The classic GAN with a weight-clipped critic and the Wasserstein loss."""

    real_target, fake_target, generator_target = -1.0, 1.0, -1.0
    output_activation = None  # the critic's score is unbounded

    learning_rate = GAN.learning_rate.replace(default=5e-5)
    d_steps = GAN.d_steps.replace(default=5)
    clip_value = Setting(0.01, checks.number(above=0), "the critic's weights are clipped to +-this")
    from_logits = GAN.from_logits.refused("the critic outputs a score, not a logit")
    label_smoothing = GAN.label_smoothing.refused(
        "the critic's targets are -1 and +1, not probabilities"
    )
    beta_1 = GAN.beta_1.refused("a WGAN trains with RMSprop, which has no beta_1")

    def build_discriminator(self):
        """The GAN's discriminator as a critic: linear output, every weight clipped."""
        critic = super().build_discriminator()
        for weight in critic.trainable_weights:
            weight.constraint = ClipWeights(self.clip_value)  # applied after each optimizer step
        return critic

    def build_optimizer(self, learning_rate, beta_1):
        return keras.optimizers.RMSprop(learning_rate=learning_rate)

    def build_loss(self):
        return wasserstein_loss

    def discriminator_metrics(self):
        return [mean_output]

    def discriminator_logs(self, real, fake):
        return {
            "d_loss": 0.5 * (real["loss"] + fake["loss"]),
            "wasserstein": real["mean_output"] - fake["mean_output"],  # the critic's estimate
            "d_real": real["mean_output"],  # mean critic score of real images
            "d_fake": fake["mean_output"],  # mean critic score of the fakes
        }


def wasserstein_loss(y_true, y_pred):
    return ops.mean(y_true * y_pred)


def mean_output(y_true, y_pred):
    return ops.mean(y_pred)
