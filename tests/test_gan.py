"""The classic GAN on Keras 3: the right models, the freeze working on every call the loop makes,
the step methods usable by hand, and every setting checked."""

import random

import keras
import numpy as np
import pytest
from keras import layers, ops

from keras_gan import GAN, load_gan

BATCH = 8


def random_images(count=BATCH, shape=(28, 28, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, *shape)).astype("float32")


def random_noise(gan, count=BATCH, seed=1):
    return np.random.default_rng(seed).normal(size=(count, gan.latent_dim)).astype("float32")


def snapshot(model):
    """Copies of every variable (weights, BatchNorm statistics, ...) of a model."""
    return [ops.convert_to_numpy(variable) for variable in model.variables]


def changed(before, model):
    return [
        not np.array_equal(old, ops.convert_to_numpy(new))
        for old, new in zip(before, model.variables)
    ]


class GANWithBatchNormInD(GAN):
    """The MLP GAN with BatchNormalization in the discriminator, to test its statistics."""

    def build_discriminator(self):
        model = super().build_discriminator()
        hidden = model.layers[:-1]
        return keras.Sequential(
            [keras.Input(self.img_shape), *hidden, layers.BatchNormalization(), model.layers[-1]],
            name="discriminator",
        )


class TargetRecordingGAN(GAN):
    """Records the targets each step trains towards (four calls, so they are numpy-readable)."""

    def train_on_batch(self, model, inputs, targets):
        self.recorded = getattr(self, "recorded", [])
        self.recorded.append((model.name, ops.convert_to_numpy(targets).ravel().tolist()))
        return super().train_on_batch(model, inputs, targets)


@pytest.fixture(scope="module")
def gan():
    return GAN(seed=0)


def test_defaults_are_the_classic_ones(gan):
    def dense_units(model):
        return [layer.units for layer in model.layers if isinstance(layer, layers.Dense)]

    assert dense_units(gan.generator) == [256, 512, 1024, 28 * 28]
    assert dense_units(gan.discriminator) == [512, 256, 1]
    assert gan.generator.output_shape == (None, 28, 28, 1)
    assert gan.latent_dim == 100
    momenta = [
        layer.momentum
        for layer in gan.generator.layers
        if isinstance(layer, layers.BatchNormalization)
    ]
    assert momenta == [0.8, 0.8, 0.8]
    for model in (gan.discriminator, gan.combined):
        assert float(model.optimizer.learning_rate) == pytest.approx(2e-4)
        assert model.optimizer.beta_1 == 0.5


def test_each_compiled_model_has_its_own_optimizer(gan):
    assert gan.discriminator.optimizer is not gan.combined.optimizer


def test_a_build_optimizer_returning_one_optimizer_twice_is_refused_at_construction():
    class SharedOptimizerGAN(GAN):
        def build_optimizer(self, learning_rate, beta_1):
            if not hasattr(self, "shared"):
                self.shared = super().build_optimizer(learning_rate, beta_1)
            return self.shared

    with pytest.raises(ValueError, match="same optimizer.*needs its own"):
        SharedOptimizerGAN()


def test_combined_model_is_generator_then_discriminator(gan):
    noise = random_noise(gan)
    expected = gan.discriminator(gan.generator(noise, training=False), training=False)
    np.testing.assert_allclose(
        ops.convert_to_numpy(gan.combined(noise, training=False)),
        ops.convert_to_numpy(expected),
        rtol=1e-5,
        atol=1e-6,
    )


def test_discriminator_step_trains_discriminator_not_generator(gan):
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    logs = gan.train_discriminator(random_images(), random_noise(gan))
    assert all(changed(d_before, gan.discriminator)), "every D weight must move in D's step"
    assert not any(changed(g_before, gan.generator)), "G must not change in D's step"
    assert set(logs) == {"d_loss", "d_accuracy", "d_real", "d_fake"}
    assert all(np.isfinite(float(value)) for value in logs.values())
    assert 0.0 <= float(logs["d_accuracy"]) <= 1.0 and 0.0 < float(logs["d_real"]) < 1.0


def test_generator_step_trains_generator_through_frozen_discriminator(gan):
    gan.train_discriminator(random_images(), random_noise(gan))  # the loop's order: D, then G
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    logs = gan.train_generator(random_noise(gan))
    assert not any(changed(d_before, gan.discriminator)), "D is frozen in the combined step"
    trainable = {id(v) for v in gan.generator.trainable_variables}
    moved = changed(g_before, gan.generator)
    assert all(m for m, v in zip(moved, gan.generator.variables) if id(v) in trainable)
    assert np.isfinite(float(logs["g_loss"]))


def test_fakes_in_training_mode_follow_the_batch_statistics_and_train_no_g_weight():
    # The quality lever (benchmarks/levers.py "batch-fakes"): D's fakes from G in training mode.
    plain, lever = GAN(seed=0), GAN(seed=0, fakes_in_training_mode=True)
    images, noise = random_images(), random_noise(plain)
    trainable = {id(v) for v in lever.generator.trainable_variables}
    g_before = snapshot(lever.generator)
    plain_logs = plain.train_discriminator(images, noise)
    lever_logs = lever.train_discriminator(images, noise)
    moved = changed(g_before, lever.generator)
    assert not any(m for m, v in zip(moved, lever.generator.variables) if id(v) in trainable), (
        "G trained in D's step"
    )
    assert all(m for m, v in zip(moved, lever.generator.variables) if id(v) not in trainable), (
        "G's BatchNorm statistics should follow the fake batch"
    )
    assert float(lever_logs["d_fake"]) != pytest.approx(float(plain_logs["d_fake"]), rel=1e-3), (
        "D saw the same fakes"
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(lever.fake_batch(noise)),
        ops.convert_to_numpy(lever.generator(noise, training=True)),
        atol=1e-5,
    )


def test_step_methods_work_by_hand_before_train_for_any_batch_size():
    # Called by hand in a fresh notebook (no train() yet), with batches of two sizes: the targets
    # are made for the batch each step is given.
    gan = GAN(seed=1)
    for size in (3, 5):
        d_logs = gan.train_discriminator(random_images(size), random_noise(gan, size))
        g_logs = gan.train_generator(random_noise(gan, size))
        assert np.isfinite(float(d_logs["d_loss"])) and np.isfinite(float(g_logs["g_loss"]))


def test_discriminator_frozen_in_combined_step_including_batchnorm_statistics():
    gan = GANWithBatchNormInD(seed=0)
    batchnorm = next(
        layer for layer in gan.discriminator.layers if isinstance(layer, layers.BatchNormalization)
    )

    def statistics():
        return [ops.convert_to_numpy(v) for v in (batchnorm.moving_mean, batchnorm.moving_variance)]

    before = statistics()
    gan.train_discriminator(random_images(), random_noise(gan))
    assert not np.array_equal(before[0], statistics()[0]), "D's own step updates its BN statistics"

    before, d_before = statistics(), snapshot(gan.discriminator)
    gan.train_generator(random_noise(gan))
    np.testing.assert_array_equal(before[0], statistics()[0])
    np.testing.assert_array_equal(before[1], statistics()[1])
    assert not any(changed(d_before, gan.discriminator))


def test_freeze_holds_over_many_alternating_steps():
    # Keras 3 builds each train function once: the freeze must hold on later calls too.
    gan = GAN(seed=3)
    for step in range(3):
        d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
        gan.train_discriminator(random_images(seed=step), random_noise(gan, seed=step))
        assert any(changed(d_before, gan.discriminator)) and not any(
            changed(g_before, gan.generator)
        )
        d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
        gan.train_generator(random_noise(gan, seed=10 + step))
        assert any(changed(g_before, gan.generator)) and not any(
            changed(d_before, gan.discriminator)
        )


def test_targets_are_one_for_real_zero_for_fake_one_for_valid_with_one_sided_smoothing(tmp_path):
    gan = TargetRecordingGAN(seed=0, label_smoothing=0.1, compile_iteration=False)
    gan.train(iterations=1, batch_size=4, data=random_images(8), output_dir=tmp_path, verbose=0)
    assert gan.recorded == [
        ("discriminator", [pytest.approx(0.9)] * 4),  # real, smoothed on one side only
        ("discriminator", [0.0] * 4),  # fake
        ("combined", [1.0] * 4),  # what G asks D to say
    ]


def test_generate_returns_samples_in_range(gan):
    samples = gan.generate(30, batch_size=7)
    assert samples.shape == (30, 28, 28, 1)
    assert samples.dtype == np.float32
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    assert samples.std() > 0.0
    noise = random_noise(gan, 4)
    np.testing.assert_allclose(gan.generate(4, noise=noise), gan.generate(4, noise=noise))


def test_generate_with_a_seed_is_reproducible_and_without_one_is_not(gan):
    np.testing.assert_array_equal(gan.generate(6, seed=3), gan.generate(6, seed=3))
    assert not np.array_equal(gan.generate(6, seed=3), gan.generate(6, seed=4))
    assert not np.array_equal(gan.generate(6), gan.generate(6))
    assert gan.generate(0).shape == (0, 28, 28, 1)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"n": 3, "noise": np.zeros((5, 100))}, r"noise has shape \(5, 100\).*\(3, 100\)"),
        ({"n": 2, "noise": np.zeros((2, 7))}, r"shape \(2, 100\)"),
        ({"n": -1}, "n must be a whole number >= 0"),
        ({"n": 2.5}, "n must be a whole number >= 0"),
        ({"n": 2, "noise": np.zeros((2, 100)), "seed": 1}, "either noise or seed"),
    ],
)
def test_bad_generate_arguments_are_clear_errors(gan, arguments, message):
    with pytest.raises(ValueError, match=message):
        gan.generate(**arguments)


def test_same_seed_gives_same_losses(tmp_path):
    data = random_images(64)
    runs = [
        GAN(seed=7).train(
            iterations=5, batch_size=8, data=data, output_dir=tmp_path / str(i), verbose=0
        )
        for i in range(2)
    ]
    assert runs[0] == runs[1]
    other = GAN(seed=8).train(
        iterations=5, batch_size=8, data=data, output_dir=tmp_path / "o", verbose=0
    )
    assert other["g_loss"] != runs[0]["g_loss"]


def test_a_seed_fixes_the_weights_without_touching_the_callers_random_state():
    random.seed(123)
    np.random.seed(123)
    expected_python, expected_numpy = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(123)
    first = GAN(seed=5)
    assert (random.random(), np.random.random()) == (expected_python, expected_numpy)
    second = GAN(seed=5)
    for a, b in zip(
        first.generator.weights + first.discriminator.weights,
        second.generator.weights + second.discriminator.weights,
    ):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    third = GAN(seed=6)
    assert not np.array_equal(
        ops.convert_to_numpy(first.generator.weights[0]),
        ops.convert_to_numpy(third.generator.weights[0]),
    )


def test_logits_train_and_report_probabilities(tmp_path):
    gan = GAN(seed=0, from_logits=True)
    assert gan.discriminator.layers[-1].activation.__name__ == "linear"
    history = gan.train(
        iterations=3, batch_size=8, data=random_images(32), output_dir=tmp_path, verbose=0
    )
    assert np.all(np.isfinite(history["d_loss"]))
    assert all(0.0 < p < 1.0 for p in history["d_real"]), "D(x) is reported as a probability"


def test_smoothed_labels_still_count_as_real_for_accuracy():
    gan = GAN(seed=0, label_smoothing=0.1)
    images = random_images()
    gan.discriminator.trainable = True
    logs = gan.discriminator.test_on_batch(
        images, np.full((BATCH, 1), 0.9, "float32"), return_dict=True
    )
    predicted_real = np.mean(ops.convert_to_numpy(gan.discriminator(images)) > 0.5)
    assert logs["accuracy"] == pytest.approx(predicted_real)


def test_d_steps_and_separate_learning_rates(tmp_path):
    gan = GAN(seed=0, d_steps=3, generator_learning_rate=1e-3, discriminator_learning_rate=5e-5)
    assert float(gan.combined.optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(gan.discriminator.optimizer.learning_rate) == pytest.approx(5e-5)
    gan.train(iterations=2, batch_size=8, data=random_images(32), output_dir=tmp_path, verbose=0)
    # Each D step is two optimizer updates (real, then fake); each G step one.
    assert int(gan.discriminator.optimizer.iterations) == 2 * 3 * 2
    assert int(gan.combined.optimizer.iterations) == 2


def test_a_learning_rate_of_zero_freezes_that_network(tmp_path):
    # The classroom experiment "freeze D and watch G": 0 is a rate, not "use the default".
    gan = GAN(seed=0, discriminator_learning_rate=0.0)
    assert float(gan.discriminator.optimizer.learning_rate) == 0.0
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    gan.train(iterations=2, batch_size=8, data=random_images(32), output_dir=tmp_path, verbose=0)
    assert not any(changed(d_before, gan.discriminator))
    assert any(changed(g_before, gan.generator))


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"img_shape": (28, 28)}, "img_shape"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"d_steps": 1.5}, "d_steps"),
        ({"label_smoothing": 0.7}, "label_smoothing"),
        ({"jit_compile": "xla"}, "jit_compile"),
        ({"learning_rate": -1e-4}, "learning_rate must be a number >= 0"),
        ({"generator_learning_rate": float("nan")}, "generator_learning_rate"),
        ({"discriminator_learning_rate": "fast"}, "discriminator_learning_rate"),
        ({"beta_1": 1.5}, r"beta_1 must be in \[0, 1\)"),
        ({"compile_iteration": "yes"}, "compile_iteration must be True or False"),
        ({"from_logits": 1}, "from_logits must be True or False"),
        ({"seed": -3}, "seed must be a whole number"),
        ({"fakes_in_training_mode": "yes"}, "fakes_in_training_mode must be True or False"),
    ],
)
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        GAN(**settings)


def test_numpy_numbers_are_taken_as_settings_and_saved_as_plain_numbers(tmp_path):
    # e.g. a seed or a size from a NumPy array: Python's random.seed and JSON take no np.int64.
    gan = GAN(seed=np.int64(3), latent_dim=np.int64(8), img_shape=(np.int64(28), 28, 1))
    assert gan.get_config() == {"seed": 3, "latent_dim": 8, "img_shape": (28, 28, 1)}
    assert all(type(value) is int for value in (gan.seed, gan.latent_dim, *gan.img_shape))
    np.testing.assert_array_equal(
        GAN(seed=3, latent_dim=8).generator.get_weights()[0], gan.generator.get_weights()[0]
    )
    gan.train(iterations=1, batch_size=4, data=random_images(8), output_dir=tmp_path, verbose=0)
    assert load_gan(str(tmp_path)).latent_dim == 8


def test_get_config_rebuilds_the_same_gan():
    gan = GAN(latent_dim=16, learning_rate=1e-3, seed=2)
    assert gan.get_config() == {"latent_dim": 16, "learning_rate": 1e-3, "seed": 2}
    rebuilt = type(gan)(**gan.get_config())
    for a, b in zip(gan.generator.weights, rebuilt.generator.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
