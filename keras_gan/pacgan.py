"""PacGAN (Lin et al. 2018) as a subclass of ToyGAN: D judges `packing` points at once.

    from keras_gan import PacGAN
    PacGAN(dataset="grid", packing=4).train(iterations=5000)

The whole change is D's first layer, which concatenates each run of `packing` consecutive
points of a batch into one input, and the targets, one per pack instead of one per point. A
generator that drops modes makes packs that look alike: a packed D sees that at once, where
one point at a time it cannot, so G is pushed to spread out (the paper's cure for mode
collapse). Batches must hold whole packs: batch_size a multiple of `packing`.

In the picture, D's verdict at a point is its verdict on a pack of `packing` copies of it, and
each fake's arrow is the gradient of G's loss through the pack that fake is in.
"""

import keras
import numpy as np
from keras import layers, ops

from keras_gan import checks
from keras_gan.gan import batch_length
from keras_gan.settings import Setting
from keras_gan.toy import ToyGAN


@keras.saving.register_keras_serializable(package="keras_gan")
class Pack(layers.Layer):
    """(batch, d) -> (batch / packing, packing * d): each run of `packing` rows becomes one row."""

    def __init__(self, packing, **options):
        super().__init__(**options)
        self.packing = packing

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.packing * inputs.shape[-1]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.packing
        return (batch, self.packing * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "packing": self.packing}


class PacGAN(ToyGAN):
    """ToyGAN whose discriminator judges packs of `packing` points (PacGAN4 by default)."""

    packing = Setting(4, checks.whole_number(1), "points per D input, concatenated")

    def build_discriminator(self):
        """Pack, then ToyGAN's D on the packed points (its first Dense sees `packing` points)."""
        verdict = layers.Dense(1, activation=self.output_activation)
        return keras.Sequential(
            [keras.Input(shape=self.img_shape), Pack(self.packing), *self.hidden_layers(), verdict],
            name="discriminator",
        )

    def targets(self, value, batch):
        """One target per pack of `packing` points."""
        return ops.full((batch_length(batch) // self.packing, 1), value, dtype="float32")

    def train(self, iterations=5000, batch_size=256, sample_interval=250, **options):
        if not checks.is_whole_number(batch_size) or batch_size % self.packing:
            raise ValueError(
                f"PacGAN packs {self.packing} points per D input: batch_size must be a multiple "
                f"of {self.packing}, got {batch_size!r}."
            )
        return super().train(iterations, batch_size, sample_interval, **options)

    def discriminator_verdicts(self, points):
        """D's verdict on a pack of `packing` copies of each point."""
        return super().discriminator_verdicts(np.repeat(points, self.packing, axis=0))
