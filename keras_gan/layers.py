"""Layers the GANs need beyond stock Keras: a BatchNormalization that survives the freeze,
the WGAN critic's weight clip, and a walk through nested models' layers."""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="keras_gan")
class FreezeSafeBatchNormalization(layers.BatchNormalization):
    """BatchNormalization that keeps using batch statistics while its model is frozen.

    Stock Keras 3 BatchNormalization normalises with the current batch only when
    `training and self.trainable`; a frozen layer falls back to its moving statistics. In the
    combined GAN model the discriminator is frozen, so the generator would be trained against
    an inference-mode discriminator, a different function from the batch-statistics one the
    discriminator's own step trains. The two drift apart and the GAN collapses (measured: by
    iteration 2000 on MNIST, D at 100% accuracy, G producing one or two blobs).

    This layer closes the gap: frozen and called with `training=True`, it normalises with the
    batch's statistics exactly as in the discriminator's step, yet it leaves its moving
    statistics untouched, and since it is frozen no optimizer moves gamma and beta. Unfrozen,
    or at inference, it is the stock layer.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and not self.trainable):
            return super().call(inputs, training=training, mask=mask)
        compute_dtype = keras.backend.result_type(inputs.dtype, "float32")
        inputs = ops.cast(inputs, compute_dtype)
        axis = self.axis % len(inputs.shape)
        reduction_axes = [index for index in range(len(inputs.shape)) if index != axis]
        # Under tf.distribute, `synchronized=True` takes the statistics of the whole global batch,
        # as the stock layer's own training path does.
        mean, variance = ops.moments(inputs, axes=reduction_axes, synchronized=self.synchronized)
        outputs = ops.batch_normalization(
            inputs,
            mean=mean,
            variance=variance,
            axis=self.axis,
            offset=None if self.beta is None else ops.cast(self.beta, compute_dtype),
            scale=None if self.gamma is None else ops.cast(self.gamma, compute_dtype),
            epsilon=self.epsilon,
        )
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="keras_gan")
class ClipWeights(keras.constraints.Constraint):
    """Clip every weight to [-clip_value, clip_value], the WGAN critic's Lipschitz constraint."""

    def __init__(self, clip_value=0.01):
        self.clip_value = clip_value

    def __call__(self, weight):
        return ops.clip(weight, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


def all_layers(model):
    """Every layer of `model`, those of the models inside it too."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def gan_models(gan):
    """Every Keras model a GAN holds as an attribute: generator, discriminator, combined, ..."""
    return [value for value in vars(gan).values() if isinstance(value, keras.Model)]
