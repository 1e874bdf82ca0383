"""Penalties on the gradient of D's output with respect to its input (WGAN-GP, R1).

Such a term cannot be written as a Keras loss: a loss sees D's outputs, not how they change with
D's input. So when a GAN has a gradient penalty (`GAN.penalty_points` returns points), its
discriminator is wrapped in `PenalizedDiscriminator`, a Keras model whose `compute_loss` adds
`gan.gradient_penalty(gradients)` to the loss. Keras' own `train_step` calls `compute_loss`, so
the term is part of D's step on every path: the four classic `train_on_batch` calls and the one
compiled call (compiled.py), on every backend. D's step passes the points beside the images,
`{"images": x, "penalty_points": points}`; every other call of D (the combined model, sampling)
gives it images alone and gets no penalty, so the frozen D in G's step is untouched.

The penalty is written once, with keras.ops, in gan.py and its subclasses. Only
`compiled.input_gradients` differs per backend: it takes the gradient with respect to the input
in a way the outer training step can differentiate again with respect to D's weights (a
second-order gradient): a nested GradientTape on TensorFlow, `jax.grad` on JAX,
`torch.autograd.grad` with `create_graph=True` on PyTorch.
"""

import keras
from keras import ops

from keras_gan.compiled import input_gradients, replica_share


class PenalizedDiscriminator(keras.Model):
    """A discriminator whose loss gains `penalty(gradients)` when it is given penalty points."""

    def __init__(self, critic, penalty, seed=None, **kwargs):
        super().__init__(name=critic.name, **kwargs)
        self.critic = critic
        self.penalty = penalty
        # Random draws inside a traced step (WGAN-GP's interpolation) need state the step carries;
        # as a variable of this model it is saved in checkpoints and carried by the JAX runner.
        self.seed_generator = keras.random.SeedGenerator(seed)

    # The wrapped network's face: `gan.discriminator.layers` and its summary show D's own layers,
    # with a penalty or without (the wrapper adds a loss term, not a layer).
    @property
    def layers(self):
        return self.critic.layers

    @property
    def output_shape(self):
        return self.critic.output_shape

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            inputs = inputs["images"]
        return self.critic(inputs, training=training)

    def compute_output_spec(self, inputs, training=None):
        # Else Keras traces call() on JAX with a dynamic batch, which PacGAN's Pack cannot
        # reshape; the critic's layers give their shapes themselves.
        if isinstance(inputs, dict):
            inputs = inputs["images"]
        return self.critic.compute_output_spec(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if not isinstance(x, dict):
            return loss
        penalty = self.penalty(input_gradients(self.critic, x["penalty_points"]))
        return loss + ops.cast(replica_share(penalty), loss.dtype)


def with_points(images, points):
    """D's input for a step with a penalty: the images, and the points to penalise at."""
    return {"images": images, "penalty_points": points}


def squared_norms(gradients):
    """|gradient|^2 per example, over every axis but the batch's."""
    return ops.sum(ops.square(gradients), axis=tuple(range(1, len(gradients.shape))))


def unit_gradient_penalty(gradients, weight):
    """WGAN-GP (Gulrajani et al., 2017): weight * E[(|grad D(x)| - 1)^2]."""
    # The epsilon keeps the norm's own gradient finite where a gradient is exactly zero.
    norms = ops.sqrt(squared_norms(gradients) + 1e-12)
    return weight * ops.mean(ops.square(norms - 1.0))


def random_interpolation(real_batch, fake_batch, seed_generator):
    """Points on straight lines between real and fake images, one uniform draw per example."""
    shape = (ops.shape(real_batch)[0],) + (1,) * (len(real_batch.shape) - 1)
    alpha = keras.random.uniform(shape, seed=seed_generator)
    return alpha * real_batch + (1.0 - alpha) * fake_batch
