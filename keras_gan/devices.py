"""Several devices: each backend's own engine, set up from a device count.

    with devices.engine(2):        # TensorFlow: MirroredStrategy; JAX: DataParallel
        gan = DCGAN()              # build the GAN inside it ...
    gan.train(iterations=5000)     # ... and train it as usual

TensorFlow: the models are built under `tf.distribute.MirroredStrategy().scope()` and
compiled.py runs each iteration on every replica, each on its share of the global batch; without
GPUs the CPU is split into logical devices (for checking, not for speed). JAX:
`keras.distribution.DataParallel`. PyTorch: Keras 3 has no multi-device training for it.

BatchNormalization under replicas normalises each replica's share with that share's statistics,
so N replicas of batch B train like N "ghost batches" of B/N; `synchronize_batch_normalization`
makes every BatchNorm use the whole global batch's statistics (TensorFlow only), at the price of
an all-reduce per layer.
"""

import contextlib
import functools

import keras

from keras_gan.layers import all_layers


def engine(devices):
    """A context to build a GAN in so that it trains on `devices` devices (1: nothing to do)."""
    if not isinstance(devices, int) or isinstance(devices, bool) or devices < 1:
        raise ValueError(f"devices must be a whole number of at least 1, got {devices!r}.")
    if devices == 1:
        return contextlib.nullcontext()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return mirrored_strategy(devices).scope()
    if backend == "jax":
        found = keras.distribution.list_devices()
        if len(found) < devices:
            raise ValueError(
                f"{devices} devices were asked for, but JAX sees {len(found)} "
                f"({', '.join(found)}). "
                "On a CPU, make more before JAX starts: "
                f"XLA_FLAGS=--xla_force_host_platform_device_count={devices}."
            )
        keras.distribution.set_distribution(keras.distribution.DataParallel(found[:devices]))
        return contextlib.nullcontext()
    raise ValueError(
        f"Several devices are not supported on the {backend} backend: Keras 3 distributes "
        "training only on TensorFlow (tf.distribute) and JAX (keras.distribution). Use one "
        "device, or KERAS_BACKEND=tensorflow or jax."
    )


@functools.cache
def mirrored_strategy(devices):
    """A MirroredStrategy over `devices` GPUs, or over as many logical CPU devices without GPUs.

    One per device count and process: two strategies over the same devices in one process number
    their all-reduces alike, and the second one's steps fail ("Shape mismatch in the collective").
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if len(gpus) < devices:
            raise ValueError(
                f"{devices} devices were asked for, but TensorFlow sees {len(gpus)} GPUs."
            )
        return tf.distribute.MirroredStrategy([f"/gpu:{index}" for index in range(devices)])
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:  # (asking how many logical devices there are would start TensorFlow: try first)
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )
    except RuntimeError as error:  # TensorFlow has started: its devices are what they are
        if len(tf.config.list_logical_devices("CPU")) < devices:
            raise ValueError(
                f"Cannot split the CPU into {devices} devices once TensorFlow has started: "
                "call keras_gan.devices.engine before anything else runs on TensorFlow."
            ) from error
    return tf.distribute.MirroredStrategy([f"/cpu:{index}" for index in range(devices)])


def synchronize_batch_normalization(model):
    """Make every BatchNormalization of `model` normalise with the global batch's statistics."""
    if keras.backend.backend() != "tensorflow":
        raise ValueError("Synchronised BatchNormalization exists only on the TensorFlow backend.")
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True  # read at each call (BatchNormalization._moments)
    return model
