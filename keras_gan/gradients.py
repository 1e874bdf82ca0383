"""G's gradient through the frozen D, measured outside the training step (backend glue).

The norm of that gradient is how a vanishing gradient shows in numbers (the saturating loss, a
D that wins). Keras has no backend-neutral gradient, so each backend's autodiff is used here,
on `combined.stateless_call`: measuring trains nothing and leaves every variable (BatchNorm's
moving statistics too) as it was.
"""

import keras
import numpy as np
from keras import ops


def generator_gradient_norm(gan, generator_inputs):
    """The global norm of the gradient of G's loss (combined's loss, target `generator_target`) with
    respect to G's weights, for one batch; a float."""
    combined = gan.combined
    was_trainable = gan.discriminator.trainable
    gan.discriminator.trainable = False  # as in G's step: only G's weights are trainable
    try:
        trainable = [ops.convert_to_tensor(v.value) for v in combined.trainable_variables]
        non_trainable = [ops.convert_to_tensor(v.value) for v in combined.non_trainable_variables]
        inputs = keras.tree.map_structure(ops.convert_to_tensor, generator_inputs)
        targets = gan.targets(gan.generator_target, generator_inputs)

        def loss_of(trainable_values):
            outputs, _ = combined.stateless_call(
                trainable_values, non_trainable, inputs, training=True
            )
            return ops.mean(combined.loss(targets, outputs))

        gradients = _BACKENDS[keras.backend.backend()](loss_of, trainable)
    finally:
        gan.discriminator.trainable = was_trainable
    return float(np.sqrt(sum(np.sum(np.square(ops.convert_to_numpy(g))) for g in gradients)))


def _tensorflow_gradients(loss_of, values):
    import tensorflow as tf

    values = [tf.identity(value) for value in values]
    with tf.GradientTape() as tape:
        tape.watch(values)
        loss = loss_of(values)
    return tape.gradient(loss, values)


def _jax_gradients(loss_of, values):
    import jax

    return jax.grad(loss_of)(values)


def _torch_gradients(loss_of, values):
    import torch

    values = [value.detach().clone().requires_grad_(True) for value in values]
    return torch.autograd.grad(loss_of(values), values)


_BACKENDS = {"tensorflow": _tensorflow_gradients, "jax": _jax_gradients, "torch": _torch_gradients}
