"""The averaged generator (ema_momentum): an exponential moving average of G's weights, sampled
with BatchNorm statistics estimated for the averaged weights; saved, resumed and exported."""

import numpy as np
import pytest
from keras import layers, ops

from keras_gan import DCGAN, GAN, compiled
from keras_gan.checkpoints import checkpoint_path, load_checkpoint

BATCH = 8


def values(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def random_images(count=32, shape=(28, 28, 1)):
    return np.random.default_rng(0).uniform(-1, 1, (count, *shape)).astype("float32")


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_the_average_follows_the_generators_weights_exactly(one_call, tmp_path):
    momentum = 0.8
    gan = GAN(seed=0, latent_dim=8, ema_momentum=momentum, compile_iteration=one_call)
    expected = values(gan.generator.trainable_weights)  # the average starts as G's copy
    data, recorded = gan.check_data(random_images()), []
    for step in range(1, 6):
        compiled.run_iteration(
            gan,
            [gan.sample_batch(data, BATCH)],
            [gan.generator_inputs(BATCH)],
            gan.generator_inputs(BATCH),
        )
        weights = values(gan.generator.trainable_weights)
        rate = min(momentum, step / (9.0 + step))  # after G's step number `step`
        expected = [
            rate * average + (1 - rate) * weight for average, weight in zip(expected, weights)
        ]
        recorded.append(rate)
    assert recorded[:2] == [0.1, 2 / 11] and recorded[-1] == pytest.approx(5 / 14)  # warming up
    for average, want in zip(values(gan.averaged_generator.trainable_weights), expected):
        np.testing.assert_allclose(average, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(
        values(gan.averaged_generator.trainable_weights)[0],
        values(gan.generator.trainable_weights)[0],
    )


def test_samples_come_from_the_average_with_batch_statistics_estimated_for_it(tmp_path):
    gan = DCGAN(img_shape=(16, 16, 1), filters=8, latent_dim=8, seed=0, ema_momentum=0.9)
    gan.train(
        iterations=3,
        batch_size=BATCH,
        data=random_images(shape=(16, 16, 1)),
        output_dir=tmp_path,
        verbose=0,
    )
    noise = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    samples = gan.generate(4, noise=noise)
    np.testing.assert_allclose(
        samples, ops.convert_to_numpy(gan.averaged_generator(noise, training=False)), atol=1e-6
    )
    assert not np.allclose(
        samples, ops.convert_to_numpy(gan.generator(noise, training=False)), atol=1e-3
    )
    # Its BatchNorm statistics are those of a large batch through the averaged weights.
    first_norm = next(
        layer
        for layer in gan.averaged_generator.layers
        if isinstance(layer, layers.BatchNormalization)
    )
    dense_output = gan.averaged_generator.layers[1](
        gan.generator_inputs(1000, rng=np.random.default_rng(0))
    )
    batch_mean = ops.convert_to_numpy(
        ops.mean(ops.reshape(dense_output, (-1, first_norm.moving_mean.shape[0])), axis=0)
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(first_norm.moving_mean), batch_mean, rtol=1e-4, atol=1e-5
    )


def test_the_average_is_saved_and_resumed_so_four_and_four_iterations_equal_eight(tmp_path):
    data = random_images()
    straight = GAN(seed=3, latent_dim=8, ema_momentum=0.9)
    straight.train(iterations=8, batch_size=BATCH, data=data, output_dir=tmp_path / "a", verbose=0)
    GAN(seed=3, latent_dim=8, ema_momentum=0.9).train(
        iterations=4, batch_size=BATCH, data=data, output_dir=tmp_path / "b", verbose=0
    )
    resumed = GAN(seed=3, latent_dim=8, ema_momentum=0.9)
    resumed.train(
        iterations=8, batch_size=BATCH, data=data, output_dir=tmp_path / "b", resume=True, verbose=0
    )
    for a, b in zip(
        values(straight.averaged_generator.trainable_weights),
        values(resumed.averaged_generator.trainable_weights),
    ):
        np.testing.assert_allclose(
            b, a, rtol=1e-4, atol=1e-5
        )  # float rounding of separate XLA programs
    restored = load_checkpoint(
        GAN(seed=9, latent_dim=8, ema_momentum=0.9), checkpoint_path(str(tmp_path / "b"))
    )
    np.testing.assert_allclose(restored.generate(3, seed=1), resumed.generate(3, seed=1), atol=1e-6)


def test_a_resume_must_keep_the_averaged_generator(tmp_path):
    GAN(seed=0, latent_dim=8, ema_momentum=0.9).train(
        iterations=2, batch_size=BATCH, data=random_images(), output_dir=tmp_path, verbose=0
    )
    with pytest.raises(ValueError, match="ema_momentum 0.9 there, None here"):
        GAN(seed=0, latent_dim=8).train(
            iterations=4,
            batch_size=BATCH,
            data=random_images(),
            output_dir=tmp_path,
            resume=True,
            verbose=0,
        )


@pytest.mark.parametrize("momentum", [0.0, 1.0, -0.5, "0.99"])
def test_a_momentum_outside_zero_one_is_a_clear_error(momentum):
    with pytest.raises(ValueError, match=r"ema_momentum must be None .* or in \(0, 1\)"):
        GAN(ema_momentum=momentum)
