"""CGAN, LSGAN and WGAN: small subclasses, each with its own game, trained by the same loop.

What each must get right: what the networks are given, the loss and its targets, the freeze on
both paths, clear errors for data or settings that do not fit, and (marked slow, on real MNIST)
that a short run moves it toward real digits.
"""

import os

import keras
import numpy as np
import pytest
from keras import layers, ops

from keras_gan import CGAN, DCGAN, GAN, LSGAN, WGAN, WGANGP
from keras_gan.datasets import load_mnist

BATCH = 8


def values(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def moved(before, variables):
    return [not np.array_equal(a, b) for a, b in zip(before, values(variables))]


def labelled_images(count=32, seed=0, num_classes=10):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (count, 28, 28, 1)).astype("float32"), rng.integers(
        0, num_classes, count
    )


def source_lines(module):
    with open(module.__file__) as stream:
        return sum(1 for line in stream if line.strip())


@pytest.mark.parametrize("variant", [CGAN, LSGAN, WGAN, WGANGP])
def test_each_variant_is_a_small_subclass_that_does_not_copy_the_loop(variant):
    import sys

    module = sys.modules[variant.__module__]
    assert issubclass(variant, GAN) and source_lines(module) < 120
    for method in (
        "train",
        "train_iteration",
        "train_discriminator",
        "train_generator",
        "run_iteration",
    ):
        assert method not in vars(variant), f"{variant.__name__} copies {method}"


# --------------------------------------------------------------------------------------------
# CGAN


@pytest.fixture(scope="module")
def cgan():
    return CGAN(seed=0, latent_dim=16, filters=8)


def test_cgan_networks_take_the_label_and_the_combined_model_passes_it_to_both(cgan):
    assert [tuple(i.shape) for i in cgan.generator.inputs] == [(None, 16), (None,)]
    assert [tuple(i.shape) for i in cgan.discriminator.inputs] == [(None, 28, 28, 1), (None,)]
    noise = ops.convert_to_tensor(np.random.default_rng(1).normal(size=(4, 16)).astype("float32"))
    labels = ops.convert_to_tensor(np.array([0, 3, 7, 9], "int32"))
    fakes = cgan.generator([noise, labels], training=False)
    expected = cgan.discriminator([fakes, labels], training=False)
    np.testing.assert_allclose(
        ops.convert_to_numpy(cgan.combined([noise, labels], training=False)),
        ops.convert_to_numpy(expected),
        rtol=1e-5,
        atol=1e-6,
    )
    # The label matters: the same noise makes another image for another class.
    other = cgan.generator(
        [noise, ops.convert_to_tensor(np.array([1, 4, 8, 2], "int32"))], training=False
    )
    assert not np.allclose(ops.convert_to_numpy(fakes), ops.convert_to_numpy(other))


def test_cgan_generates_the_classes_asked_for(cgan):
    noise = np.random.default_rng(2).normal(size=(3, 16)).astype("float32")
    sevens = cgan.generate(3, labels=7, noise=noise)
    np.testing.assert_allclose(sevens, cgan.generate(3, labels=[7, 7, 7], noise=noise), atol=1e-6)
    assert not np.allclose(sevens, cgan.generate(3, labels=[1, 2, 3], noise=noise))
    assert cgan.generate(5).shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(
        cgan.generate(4, labels=2, seed=1), cgan.generate(4, labels=2, seed=1)
    )


def test_cgan_grid_has_one_class_per_row_and_one_noise_per_column(cgan):
    samples, columns = cgan.sample_grid()
    assert samples.shape == (100, 28, 28, 1) and columns == 10
    for digit in (0, 6):
        row = cgan.generate(10, labels=digit, noise=cgan.fixed_noise[:10])
        np.testing.assert_allclose(samples[digit * 10 : digit * 10 + 10], row, atol=1e-5)


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_cgan_freeze_holds_on_both_paths(one_call, tmp_path):
    gan = CGAN(seed=0, latent_dim=16, filters=8, compile_iteration=one_call)
    images, labels = labelled_images()
    d_before, g_before = values(gan.discriminator.weights), values(gan.generator.weights)
    gan.train_discriminator([images[:BATCH], labels[:BATCH]], gan.generator_inputs(BATCH))
    assert any(moved(d_before, gan.discriminator.weights)) and not any(
        moved(g_before, gan.generator.weights)
    )
    d_before, g_before = values(gan.discriminator.weights), values(gan.generator.trainable_weights)
    gan.train_generator(gan.generator_inputs(BATCH))
    assert not any(moved(d_before, gan.discriminator.weights)) and all(
        moved(g_before, gan.generator.trainable_weights)
    )
    # And through train(), on the path chosen:
    d_before = values(gan.discriminator.weights)
    history = gan.train(
        iterations=3, batch_size=BATCH, data=(images, labels), output_dir=tmp_path, verbose=0
    )
    assert all(np.isfinite(history["g_loss"])) and any(moved(d_before, gan.discriminator.weights))


@pytest.mark.parametrize(
    "data, message",
    [
        (lambda x, y: x, r"trains on \(images, labels\)"),
        (lambda x, y: (x, y[:-1]), "32 images but 31 labels"),
        (lambda x, y: (x, y + 10), r"lie in \[10, 19\] but must lie in 0..9"),
        (lambda x, y: (x, y - 1.5), "whole numbers 0..9"),
        (lambda x, y: (x * 255, y), r"must lie in \[-1, 1\]"),
    ],
    ids=["no-labels", "lengths-differ", "out-of-range", "not-whole", "bad-images"],
)
def test_cgan_bad_labelled_data_is_a_clear_error_before_training(cgan, data, message, tmp_path):
    images, labels = labelled_images()
    before = values(cgan.generator.weights)
    with pytest.raises(ValueError, match=message):
        cgan.train(
            iterations=cgan.iteration + 2,
            batch_size=4,
            data=data(images, labels),
            output_dir=tmp_path,
            verbose=0,
        )
    assert not any(moved(before, cgan.generator.weights)) and not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "labels, message", [(10, "0..9"), ([1, 2], r"shape \(2,\)"), ([0.5, 1, 2], "whole numbers")]
)
def test_cgan_bad_labels_to_generate_are_clear_errors(cgan, labels, message):
    with pytest.raises(ValueError, match=message):
        cgan.generate(3, labels=labels)


def test_load_mnist_gives_the_labels_a_cgan_trains_on(mnist_data_dir):
    images, labels = load_mnist(mnist_data_dir, split="test", with_labels=True)
    assert images.shape == (10000, 28, 28, 1) and labels.shape == (10000,)
    assert sorted(np.unique(labels)) == list(range(10))
    CGAN(latent_dim=4, filters=4).check_data((images, labels))


# --------------------------------------------------------------------------------------------
# LSGAN and WGAN: the loss, the targets, the output.


def compiled_loss_and_by_hand(gan, loss):
    """The loss D is compiled with, on a real batch, and the same loss computed by hand from D's
    outputs and the real target.

    Keras' `test_on_batch` evaluates the loss a training step reports, without the step: a
    step's own report is racy on a busy CPU (TensorFlow ran the read of a WGAN critic's last
    kernel after its update and clip in 1 of 60 steps under load), a race in TensorFlow's
    scheduling, not in the loss this test checks.
    """
    real = np.random.default_rng(5).uniform(-1, 1, (BATCH, 28, 28, 1)).astype("float32")
    gan.discriminator.trainable = True
    expected = loss(ops.convert_to_numpy(gan.discriminator(real, training=False)), gan.real_target)
    logs = gan.discriminator.test_on_batch(
        real, gan.targets(gan.real_target, real), return_dict=True
    )
    return float(logs["loss"]), expected


def test_lsgan_is_the_squared_error_on_a_linear_output():
    gan = LSGAN(seed=0, latent_dim=16)
    assert gan.discriminator.layers[-1].activation.__name__ == "linear"
    assert (gan.real_target, gan.fake_target, gan.generator_target) == (1.0, 0.0, 1.0)
    reported, expected = compiled_loss_and_by_hand(
        gan, lambda scores, target: np.mean((scores - target) ** 2)
    )
    assert reported == pytest.approx(expected, rel=1e-4)


def test_wgan_critic_targets_loss_and_clipped_weights_on_both_paths(tmp_path):
    for one_call in (False, True):
        gan = WGAN(seed=0, latent_dim=16, compile_iteration=one_call)
        assert (gan.real_target, gan.fake_target, gan.generator_target) == (-1.0, 1.0, -1.0)
        assert gan.d_steps == 5 and isinstance(
            gan.discriminator.optimizer, keras.optimizers.RMSprop
        )
        assert float(gan.discriminator.optimizer.learning_rate) == pytest.approx(5e-5)
        assert gan.discriminator.layers[-1].activation.__name__ == "linear"
        images = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
        history = gan.train(
            iterations=2,
            batch_size=BATCH,
            data=images,
            output_dir=tmp_path / str(one_call),
            verbose=0,
        )
        weights = values(gan.discriminator.weights)
        assert max(np.abs(w).max() for w in weights) <= 0.01 + 1e-7, "every critic weight clipped"
        assert (
            int(gan.discriminator.optimizer.iterations) == 2 * 5 * 2
        )  # 5 critic steps, real + fake
        assert set(history) == {"d_loss", "wasserstein", "d_real", "d_fake", "g_loss"}
        np.testing.assert_allclose(
            history["wasserstein"], np.subtract(history["d_real"], history["d_fake"]), atol=1e-6
        )


def test_wgangp_has_the_papers_settings_and_a_critic_free_to_leave_the_clip(tmp_path):
    for one_call in (False, True):
        gan = WGANGP(seed=0, latent_dim=16, compile_iteration=one_call)
        assert (gan.real_target, gan.fake_target, gan.generator_target) == (-1.0, 1.0, -1.0)
        assert gan.d_steps == 5 and gan.penalty_weight == 10.0
        for optimizer in (gan.discriminator.optimizer, gan.combined.optimizer):
            assert isinstance(optimizer, keras.optimizers.Adam)
            assert float(optimizer.learning_rate) == pytest.approx(1e-4)
            assert (optimizer.beta_1, optimizer.beta_2) == (0.0, 0.9)
        critic_layers = gan.discriminator.critic.layers
        assert not any(isinstance(layer, layers.BatchNormalization) for layer in critic_layers)
        assert critic_layers[-1].activation.__name__ == "linear"
        assert all(w.constraint is None for w in gan.discriminator.trainable_weights)
        images = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
        history = gan.train(
            iterations=2,
            batch_size=BATCH,
            data=images,
            output_dir=tmp_path / str(one_call),
            verbose=0,
        )
        assert int(gan.discriminator.optimizer.iterations) == 2 * 5 * 2  # 5 steps, real + fake
        assert set(history) == {"d_loss", "wasserstein", "d_real", "d_fake", "g_loss"}
        assert all(np.isfinite(v) for values_ in history.values() for v in values_), history
        # Adam at 1e-4 moves the critic's weights past a WGAN's clip within 20 steps.
        assert max(np.abs(w).max() for w in values(gan.discriminator.weights)) > 0.01


def test_wgan_loss_is_the_mean_of_target_times_score():
    gan = WGAN(seed=0, latent_dim=16)
    reported, expected = compiled_loss_and_by_hand(
        gan, lambda scores, target: np.mean(target * scores)
    )
    assert reported == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    "variant, settings, message",
    [
        (LSGAN, {"from_logits": True}, "LSGAN takes no from_logits"),
        (WGAN, {"from_logits": True}, "WGAN takes no from_logits"),
        (WGAN, {"label_smoothing": 0.1}, "WGAN takes no label_smoothing"),
        (WGAN, {"beta_1": 0.9}, "RMSprop, which has no beta_1"),
        (CGAN, {"num_classes": 0}, "num_classes must be a whole number >= 2"),
        (WGAN, {"clip_value": -1}, "clip_value must be a number > 0"),
        (WGANGP, {"clip_value": 0.01}, "WGANGP takes no clip_value"),
        (WGANGP, {"r1_gamma": 1.0}, "WGANGP takes no r1_gamma"),
        (WGANGP, {"from_logits": True}, "WGANGP takes no from_logits"),
        (WGANGP, {"penalty_weight": 0}, "penalty_weight must be a number > 0"),
        (WGANGP, {"beta_2": 1.0}, "beta_2 must be in"),
    ],
)
def test_settings_that_mean_nothing_for_a_variant_are_refused(variant, settings, message):
    with pytest.raises(ValueError, match=message):
        variant(**settings)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: GAN(seed=0, latent_dim=16, **kw),
        lambda **kw: DCGAN(img_shape=(16, 16, 1), filters=8, latent_dim=16, seed=0, **kw),
        lambda **kw: CGAN(seed=0, latent_dim=16, filters=8, **kw),
        lambda **kw: LSGAN(seed=0, latent_dim=16, **kw),
        lambda **kw: WGAN(seed=0, latent_dim=16, **kw),
        lambda **kw: WGANGP(seed=0, latent_dim=16, **kw),
    ],
    ids=["gan", "dcgan", "cgan", "lsgan", "wgan", "wgangp"],
)
def test_every_model_makes_its_fakes_in_training_mode_when_asked(make):
    gan = make(fakes_in_training_mode=True)
    inputs = gan.generator_inputs(8, rng=np.random.default_rng(0))
    fakes = gan.fake_batch(inputs)
    images = ops.convert_to_numpy(fakes[0] if isinstance(fakes, list) else fakes)
    np.testing.assert_allclose(
        images, ops.convert_to_numpy(gan.generator(inputs, training=True)), atol=1e-5
    )
    assert not np.allclose(
        images, ops.convert_to_numpy(gan.generator(inputs, training=False)), atol=1e-4
    )


def test_a_variant_and_an_architecture_combine_by_inheritance(tmp_path):
    class LeastSquaresDCGAN(LSGAN, DCGAN):
        """LSGAN's loss on DCGAN's networks, with no code of its own."""

    gan = LeastSquaresDCGAN(img_shape=(16, 16, 1), filters=8, seed=0)
    assert any(isinstance(layer, layers.Conv2D) for layer in gan.discriminator.layers)
    assert isinstance(gan.discriminator.loss, keras.losses.MeanSquaredError)
    data = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    assert np.all(
        np.isfinite(
            gan.train(iterations=2, batch_size=4, data=data, output_dir=tmp_path, verbose=0)[
                "d_loss"
            ]
        )
    )


# The variants' real MNIST runs, at the README's lengths, are in tests/test_diagnosis.py: one run
# each, checked there for both quality and a silent diagnosis.
