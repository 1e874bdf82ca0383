"""Each classic mistake of keras_gan/failures.py reproduces its failure, on both paths.

Fast tests use tiny models on random data; those that need real MNIST to show a failure are in
tests/test_diagnosis.py (marked slow)."""

import warnings

import keras
import numpy as np
import pytest
from keras import ops

from keras_gan import DCGAN, GAN
from keras_gan.failures import (
    STRONG_DISCRIMINATOR,
    STRONG_GENERATOR,
    ClassicFreezeGAN,
    PlainBatchNormDCGAN,
    SaturatingGAN,
)
from keras_gan.gradients import generator_gradient_norm
from keras_gan.layers import all_layers

TINY = {"img_shape": (4, 4, 1), "latent_dim": 4, "seed": 0}


def images(count=64, shape=(4, 4, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, *shape)).astype("float32")


def weights(model):
    return [ops.convert_to_numpy(variable) for variable in model.variables]


def unchanged(before, model):
    return all(np.array_equal(old, new) for old, new in zip(before, weights(model)))


@pytest.mark.parametrize("one_call", [True, False], ids=["one_call", "four_calls"])
def test_the_2018_freeze_never_trains_the_discriminator_and_keras_warns_if_it_can(
    tmp_path, one_call
):
    gan = ClassicFreezeGAN(**TINY, compile_iteration=one_call)
    d_before, g_before = weights(gan.discriminator), weights(gan.generator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = gan.train(
            iterations=3, batch_size=8, data=images(), output_dir=tmp_path, verbose=0
        )
    assert unchanged(d_before, gan.discriminator)  # the bug: D never learns
    assert not unchanged(g_before, gan.generator)  # while G trains against the fixed D
    assert all(np.isfinite(history["d_loss"]))
    warned = any("does not have any trainable weights" in str(w.message) for w in caught)
    # Keras' TensorFlow and PyTorch trainers warn; its JAX trainer says nothing (Keras 3.15).
    assert warned is (keras.backend.backend() != "jax")
    assert gan.compile_iteration is one_call  # refused by neither path: no fallback to four calls


@pytest.mark.parametrize("one_call", [True, False], ids=["one_call", "four_calls"])
def test_keras_gans_freeze_trains_the_discriminator_with_the_same_calls(tmp_path, one_call):
    gan = GAN(**TINY, compile_iteration=one_call)
    d_before = weights(gan.discriminator)
    gan.train(iterations=3, batch_size=8, data=images(), output_dir=tmp_path, verbose=0)
    assert not unchanged(d_before, gan.discriminator)


def real_mnist(mnist_data_dir, count=2000):
    from keras_gan.datasets import load_mnist

    return load_mnist(mnist_data_dir)[:count]


@pytest.mark.parametrize("one_call", [True, False], ids=["one_call", "four_calls"])
def test_the_saturating_loss_gives_a_smaller_early_generator_gradient(
    tmp_path, mnist_data_dir, one_call
):
    data = real_mnist(mnist_data_dir)
    noise = np.random.default_rng(1).normal(size=(64, 100)).astype("float32")
    norms, losses = {}, {}
    for kind in (GAN, SaturatingGAN):
        gan = kind(seed=0, compile_iteration=one_call)
        history = gan.train(
            iterations=40, data=data, output_dir=tmp_path / kind.__name__, verbose=0
        )
        norms[kind] = generator_gradient_norm(gan, noise)
        losses[kind] = history["g_loss"][-1]
    # Early on D wins, and log(1 - D(G(z))) is flat where D(G(z)) is near 0.
    assert norms[SaturatingGAN] < 0.5 * norms[GAN], norms
    assert losses[SaturatingGAN] < 0 < losses[GAN]  # log(1 - D) against -log(D)


def test_the_saturating_loss_is_the_negative_of_ds_loss_on_the_fakes():
    gan = SaturatingGAN(**TINY)
    noise = np.random.default_rng(2).normal(size=(8, 4)).astype("float32")
    verdicts = ops.convert_to_numpy(gan.combined(noise, training=False)).ravel()
    loss = float(gan.combined.loss(gan.targets(gan.generator_target, noise), gan.combined(noise)))
    np.testing.assert_allclose(loss, np.mean(np.log(1 - verdicts)), rtol=1e-4)


def frozen_outputs(gan, batch):
    gan.discriminator.trainable = False
    training = ops.convert_to_numpy(gan.discriminator(batch, training=True))
    inference = ops.convert_to_numpy(gan.discriminator(batch, training=False))
    return training, inference


def test_a_frozen_plain_batchnorm_runs_in_inference_mode_and_the_fix_does_not(tmp_path):
    shape = {"img_shape": (16, 16, 1), "filters": 4, "seed": 0}
    plain, safe = PlainBatchNormDCGAN(**shape), DCGAN(**shape)
    assert any(
        type(layer).__name__ == "BatchNormalization" for layer in all_layers(plain.discriminator)
    )
    batch = 2.0 + images(16, (16, 16, 1))
    training, inference = frozen_outputs(plain, batch)
    np.testing.assert_allclose(training, inference, rtol=1e-5)  # the trap: same as inference
    training, inference = frozen_outputs(safe, batch)
    assert np.max(np.abs(training - inference)) > 1e-3  # batch statistics


@pytest.mark.parametrize("one_call", [True, False], ids=["one_call", "four_calls"])
@pytest.mark.parametrize(
    "kind, settings",
    [
        (PlainBatchNormDCGAN, {"img_shape": (16, 16, 1), "filters": 4}),
        (SaturatingGAN, TINY),
        (GAN, {**TINY, **STRONG_DISCRIMINATOR}),
        (GAN, {**TINY, **STRONG_GENERATOR}),
        (ClassicFreezeGAN, TINY),
    ],
    ids=["plain_batchnorm", "saturating", "strong_discriminator", "strong_generator", "freeze"],
)
def test_every_switch_trains_on_both_paths_and_resumes(tmp_path, kind, settings, one_call):
    gan = kind(**{**settings, "seed": 0}, compile_iteration=one_call)
    shape = gan.img_shape
    history = gan.train(
        iterations=2, batch_size=8, data=images(shape=shape), output_dir=tmp_path, verbose=0
    )
    assert all(np.isfinite(value) for values in history.values() for value in values)
    assert gan.compile_iteration is one_call
    from keras_gan import load_gan

    resumed = load_gan(tmp_path)
    assert type(resumed) is kind and resumed.iteration == 2
