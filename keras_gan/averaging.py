"""The averaged generator (`ema_momentum`): samples from a running average of G's weights.

GAN training oscillates; an exponential moving average of G's weights smooths the oscillation
out of the samples (Yazici et al., 2019). Our own, not Keras' optimizer option `use_ema`: that
one hands its average over only by overwriting the trained weights.
"""

import keras
import numpy as np
from keras import layers, ops

from keras_gan.layers import all_layers


def copy_of(generator):
    """A copy of G whose weights will follow the average of G's."""
    average = keras.models.clone_model(generator)
    average.set_weights(generator.get_weights())
    return average


def update(average, generator, momentum, steps):
    """Move the average toward G's weights after G's step number `steps`, a little faster at
    first (the average of only a few steps must not lean on G's random initial weights)."""
    steps = ops.cast(steps, "float32")
    momentum = ops.minimum(momentum, steps / (9.0 + steps))
    for averaged, weight in zip(average.trainable_weights, generator.trainable_weights):
        averaged.assign(momentum * averaged + (1.0 - momentum) * weight)


def estimate_statistics_once(gan):
    """Give the averaged G BatchNorm statistics of its own weights, once per iteration that
    samples (averaging G's own statistics measured no gain)."""
    if getattr(gan, "_statistics_estimated_at", None) != gan.iteration:
        noise = gan.generator_inputs(1000, rng=np.random.default_rng(0))
        estimate_batch_statistics(gan.averaged_generator, noise)
        gan._statistics_estimated_at = gan.iteration


def estimate_batch_statistics(model, inputs):
    """Set every BatchNormalization's moving statistics of `model` to those of one large batch."""
    batch_norms = [
        layer for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization)
    ]
    momenta = [layer.momentum for layer in batch_norms]
    for layer in batch_norms:
        layer.momentum = 0.0  # the moving statistics become this batch's
    try:
        model(inputs, training=True)
    finally:
        for layer, momentum in zip(batch_norms, momenta):
            layer.momentum = momentum
