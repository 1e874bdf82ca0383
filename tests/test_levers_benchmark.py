"""benchmarks/levers.py: every lever builds the model it names and trains; the spectral-normalised
discriminator it measures keeps the freeze (its power-iteration vector included)."""

import os
import sys

import numpy as np
import pytest
from keras import ops

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
import levers  # noqa: E402

from keras_gan import compiled  # noqa: E402


def values(variables):
    return [ops.convert_to_numpy(variable).copy() for variable in variables]


def test_the_dcgan_baseline_has_its_r1_default_and_no_r1_is_the_plain_dcgan():
    shipped, plain = levers.make("dcgan", "baseline", seed=0), levers.make("dcgan", "no-r1", seed=0)
    assert type(shipped.discriminator).__name__ == "PenalizedDiscriminator"
    assert shipped.r1_gamma == 10.0 and plain.r1_gamma == 0.0
    assert type(plain.discriminator).__name__ != "PenalizedDiscriminator"


@pytest.mark.parametrize("lever", levers.LEVERS)
def test_each_lever_sets_what_it_names_and_trains(lever, tmp_path):
    gan = levers.make("gan", lever, seed=0)
    expected = {
        "baseline": lambda: gan.ema_momentum is None and not gan.fakes_in_training_mode,
        "ema": lambda: gan.ema_momentum == 0.999,
        "ttur": lambda: (
            (
                float(gan.discriminator.optimizer.learning_rate),
                float(gan.combined.optimizer.learning_rate),
            )
            == pytest.approx((4e-4, 1e-4))
        ),
        "smoothing": lambda: gan.label_smoothing == 0.1,
        "spectral-norm": lambda: any(
            isinstance(layer, levers.FreezeSafeSpectralNormalization)
            for layer in gan.discriminator.layers
        ),
        "batch-fakes": lambda: gan.fakes_in_training_mode is True,
        "r1": lambda: (
            gan.r1_gamma == 10.0 and type(gan.discriminator).__name__ == "PenalizedDiscriminator"
        ),
        "no-r1": lambda: (
            gan.r1_gamma == 0.0 and type(gan.discriminator).__name__ != "PenalizedDiscriminator"
        ),
    }[lever]
    assert expected(), lever
    data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    history = gan.train(iterations=2, batch_size=8, data=data, output_dir=tmp_path, verbose=0)
    assert all(np.isfinite(value) for column in history.values() for value in column), history


def test_the_spectral_normalised_discriminator_updates_its_power_iteration_in_its_own_step():
    gan = levers.make("gan", "spectral-norm", seed=0)
    rng = np.random.default_rng(1)
    wrapped = [
        layer
        for layer in gan.discriminator.layers
        if isinstance(layer, levers.FreezeSafeSpectralNormalization)
    ]
    before = values(layer.vector_u for layer in wrapped)
    gan.train_discriminator(
        rng.uniform(-1, 1, (8, 28, 28, 1)).astype("float32"),
        rng.normal(size=(8, gan.latent_dim)).astype("float32"),
    )
    assert all(
        not np.array_equal(a, b)
        for a, b in zip(before, values(layer.vector_u for layer in wrapped))
    )


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_a_frozen_spectral_normalised_discriminator_does_not_change_in_the_combined_step(
    one_call,
):
    # An iteration of G's step alone, on the path chosen: D (weights and u) must not move.
    base = type(levers.make("gan", "spectral-norm", seed=0))
    GeneratorStepOnly = type(
        "GeneratorStepOnly",
        (base,),
        {
            "train_iteration": lambda self, real_batches, d_inputs, g_inputs: self.train_generator(
                g_inputs
            )
        },
    )
    gan = GeneratorStepOnly(seed=0, from_logits=True, compile_iteration=one_call)
    assert any(
        isinstance(layer, levers.FreezeSafeSpectralNormalization)
        for layer in gan.discriminator.layers
    )
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    noise = rng.normal(size=(8, gan.latent_dim)).astype("float32")
    d_before, g_before = values(gan.discriminator.weights), values(gan.generator.trainable_weights)
    logs = compiled.run_iteration(gan, [real], [noise], noise)
    assert np.isfinite(logs["g_loss"])
    assert all(
        not np.array_equal(a, b) for a, b in zip(g_before, values(gan.generator.trainable_weights))
    )
    for variable, before in zip(gan.discriminator.weights, d_before):
        np.testing.assert_array_equal(ops.convert_to_numpy(variable), before, err_msg=variable.path)
