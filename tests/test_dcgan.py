"""DCGAN: what it builds, how it initialises, and that the freeze holds with BatchNorm inside D."""

import re

import keras
import numpy as np
import pytest
from keras import layers, ops

from keras_gan import DCGAN, dcgan
from keras_gan.layers import FreezeSafeBatchNormalization

BATCH_SIZE = 4


def small_dcgan(img_shape=(28, 28, 1), **settings):
    """A narrow DCGAN, quick to train."""
    return DCGAN(img_shape=img_shape, filters=8, seed=0, **settings)


def random_batches(gan, seed=1):
    rng = np.random.default_rng(seed)
    real_images = rng.uniform(-1, 1, size=(BATCH_SIZE, *gan.img_shape)).astype("float32")
    noise = rng.normal(size=(BATCH_SIZE, gan.latent_dim)).astype("float32")
    return real_images, noise


def snapshot(variables):
    return {variable.path: ops.convert_to_numpy(variable) for variable in variables}


def changed(before, after):
    return {path for path in before if not np.array_equal(before[path], after[path])}


def is_moving_statistic(path):
    return "moving_mean" in path or "moving_variance" in path


# --------------------------------------------------------------------------------------------
# Architecture and initialisation.


@pytest.mark.parametrize("img_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_dcgan_builds_for_mnist_cifar10_and_64x64_images(img_shape):
    gan = DCGAN(img_shape=img_shape)
    assert gan.generator.output_shape == (None, *img_shape)
    assert gan.discriminator.output_shape == (None, 1)
    assert gan.generate(2).shape == (2, *img_shape)
    convolutions = [layer for layer in gan.discriminator.layers if isinstance(layer, layers.Conv2D)]
    smallest_feature_map = 7 if img_shape[0] == 28 else 4
    assert convolutions[-1].output.shape[1:3] == (smallest_feature_map, smallest_feature_map)


def documented_build(network):
    """The rows of dcgan.py's docstring table for `network`: ([layer class names], state size)."""
    table = dcgan.__doc__.split(f"    {network} ")[1].split("\n\n")[0]
    rows = []
    for line in table.splitlines()[1:]:
        names, size = re.fullmatch(r"    (\S.*?)\s{2,}([\d x*=]+)", line).groups()
        names = [re.sub(r" \(.*\)", "", name) for name in names.split(", ")]
        rows.append((names, tuple(int(n) for n in size.split("=")[0].split(" x "))))
    return rows


def built_rows(model, documented):
    """The model's layers grouped as `documented` groups them, each with its last output shape."""
    layers_left = list(model.layers)
    rows = []
    for names, _ in documented:
        group, layers_left = layers_left[: len(names)], layers_left[len(names) :]
        rows.append(([type(layer).__name__ for layer in group], tuple(group[-1].output.shape[1:])))
    assert not layers_left, f"layers the docstring does not list: {layers_left}"
    return rows


@pytest.mark.parametrize("network", ["generator", "discriminator"])
def test_the_docstring_shows_the_default_builds_layers_and_state_sizes(network):
    documented = documented_build(network)
    assert len(documented) >= 5, documented
    model = getattr(DCGAN(), network)
    assert built_rows(model, documented) == documented


@pytest.mark.parametrize("img_shape", [(30, 30, 1), (28, 32, 3), (4, 4, 3), (48, 48, 3)])
def test_dcgan_rejects_shapes_it_cannot_build_and_lists_sizes_that_work(img_shape):
    with pytest.raises(ValueError, match=r"4 \* 2\^k or 7 \* 2\^k.*8, 14, 16, 28, 32, 56, 64"):
        DCGAN(img_shape=img_shape)


def test_discriminator_has_no_batch_norm_on_its_first_block_and_the_freeze_safe_kind_after():
    gan = DCGAN(img_shape=(64, 64, 3))
    kinds = [
        type(layer)
        for layer in gan.discriminator.layers
        if not isinstance(layer, layers.InputLayer)
    ]
    assert kinds[:2] == [layers.Conv2D, layers.LeakyReLU]
    assert kinds.count(FreezeSafeBatchNormalization) == 3
    assert layers.BatchNormalization not in kinds


def test_weights_are_initialised_as_in_the_dcgan_paper():
    gan = DCGAN(seed=0)
    models = (gan.generator, gan.discriminator)
    kernels = [
        ops.convert_to_numpy(layer.kernel).ravel()
        for model in models
        for layer in model.layers
        if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose, layers.Dense))
    ]
    gammas = [
        ops.convert_to_numpy(layer.gamma)
        for model in models
        for layer in model.layers
        if isinstance(layer, layers.BatchNormalization)
    ]
    for kernel in kernels:
        assert abs(kernel.mean()) < 0.005
        assert kernel.std() == pytest.approx(0.02, rel=0.15)
    gammas = np.concatenate(gammas)
    assert gammas.mean() == pytest.approx(1.0, abs=0.005)
    assert gammas.std() == pytest.approx(0.02, rel=0.15)


# --------------------------------------------------------------------------------------------
# The freeze: which weights each step may move.


def test_discriminator_step_trains_discriminator_and_leaves_generator_alone():
    gan = small_dcgan()
    real_images, noise = random_batches(gan)
    generator_before = snapshot(gan.generator.variables)
    discriminator_before = snapshot(gan.discriminator.variables)

    gan.train_discriminator(real_images, noise)

    assert changed(generator_before, snapshot(gan.generator.variables)) == set()
    discriminator_changed = changed(discriminator_before, snapshot(gan.discriminator.variables))
    # Every weight and moving statistic; not the R1 wrapper's random state, which R1 never draws.
    network = {path for path in discriminator_before if "seed_generator" not in path}
    assert discriminator_changed == network
    assert gan.r1_gamma == 10.0  # the DCGAN's default: this is the penalised step


def test_combined_step_trains_generator_and_leaves_discriminator_alone_moving_statistics_too():
    gan = small_dcgan()
    real_images, noise = random_batches(gan)
    gan.train_discriminator(real_images, noise)
    generator_before = snapshot(gan.generator.variables)
    discriminator_before = snapshot(gan.discriminator.variables)
    assert any(is_moving_statistic(path) for path in discriminator_before)

    gan.train_generator(noise)

    assert changed(discriminator_before, snapshot(gan.discriminator.variables)) == set()
    assert changed(generator_before, snapshot(gan.generator.variables)) == set(generator_before)


def test_discriminator_keeps_training_after_combined_steps():
    gan = small_dcgan()
    real_images, noise = random_batches(gan)
    for _ in range(2):
        gan.train_discriminator(real_images, noise)
        gan.train_generator(noise)
    discriminator_before = snapshot(gan.discriminator.trainable_variables)
    gan.train_discriminator(real_images, noise)
    assert changed(discriminator_before, snapshot(gan.discriminator.trainable_variables)) == set(
        discriminator_before
    )


# --------------------------------------------------------------------------------------------
# The BatchNorm trap: G must train against the same D that D's own step trains.


def test_stock_batch_normalization_uses_moving_statistics_when_frozen():
    # The trap itself, pinned down: if Keras changes this, FreezeSafeBatchNormalization may go.
    batch = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 5)).astype("float32")
    stock = layers.BatchNormalization()
    stock.build(batch.shape)
    stock.trainable = False
    np.testing.assert_allclose(ops.convert_to_numpy(stock(batch, training=True)), batch, rtol=1e-3)


def test_frozen_freeze_safe_batch_norm_normalises_with_the_batch_and_keeps_moving_statistics():
    batch = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 5)).astype("float32")
    layer = FreezeSafeBatchNormalization()
    layer.build(batch.shape)
    layer.trainable = False
    before = snapshot(layer.variables)

    outputs = ops.convert_to_numpy(layer(batch, training=True))

    expected = (batch - batch.mean(axis=0)) / np.sqrt(batch.var(axis=0) + layer.epsilon)
    np.testing.assert_allclose(outputs, expected, atol=1e-4)
    assert changed(before, snapshot(layer.variables)) == set()
    np.testing.assert_allclose(ops.convert_to_numpy(layer(batch, training=False)), batch, rtol=1e-3)


def test_frozen_discriminator_is_the_same_function_as_in_its_own_step():
    gan = small_dcgan()
    real_images, noise = random_batches(gan)
    gan.train_discriminator(real_images, noise)  # moves the moving statistics away from 0 and 1

    gan.discriminator.trainable = False
    frozen = ops.convert_to_numpy(gan.discriminator(real_images, training=True))
    inference = ops.convert_to_numpy(gan.discriminator(real_images, training=False))
    gan.discriminator.trainable = True
    unfrozen = ops.convert_to_numpy(gan.discriminator(real_images, training=True))

    np.testing.assert_allclose(frozen, unfrozen, rtol=1e-5, atol=1e-6)
    assert not np.allclose(frozen, inference, rtol=1e-3)


@pytest.mark.parametrize("from_logits", [False, True])
def test_combined_step_trains_generator_against_batch_statistics(from_logits):
    gan = small_dcgan(from_logits=from_logits)
    real_images, noise = random_batches(gan)
    gan.train_discriminator(real_images, noise)
    # Freshly initialised, D's output hardly depends on its input (weights ~ N(0, 0.02)); a
    # larger output layer makes the two BatchNorm modes give clearly different losses.
    output_layer = gan.discriminator.layers[-1]
    output_layer.kernel.assign(output_layer.kernel * 50.0)
    loss = keras.losses.BinaryCrossentropy(from_logits=from_logits)

    # G's step runs G in training mode; D must then compute what it computes in its own step.
    fake_images = gan.generator(noise, training=True)
    valid = np.ones((BATCH_SIZE, 1), "float32")
    with_moving_statistics = float(loss(valid, gan.discriminator(fake_images, training=False)))
    gan.discriminator.trainable = True
    as_in_discriminator_step = float(loss(valid, gan.discriminator(fake_images, training=True)))

    reported = float(gan.train_generator(noise)["g_loss"])

    # Else this test could not tell the two modes apart.
    assert abs(as_in_discriminator_step - with_moving_statistics) > 0.01
    assert reported == pytest.approx(as_in_discriminator_step, rel=1e-4)


@pytest.mark.parametrize("img_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_dcgan_trains_with_the_base_class_loop_and_saves_grids(img_shape, tmp_path):
    gan = DCGAN(img_shape=img_shape, filters=8, seed=0)
    images = np.random.default_rng(0).uniform(-1, 1, size=(8, *img_shape)).astype("float32")

    history = gan.train(
        iterations=2,
        batch_size=BATCH_SIZE,
        sample_interval=1,
        data=images,
        output_dir=str(tmp_path),
        verbose=0,
    )

    assert len(history["g_loss"]) == 2
    assert all(np.isfinite(history["d_loss"]))
    assert (tmp_path / "2.png").exists()
