"""Gradient penalties (keras_gan/penalties.py): the value and the gradient D's step gets from them,
against hand computations, and the penalty's effect on training on both paths.

These run on whichever backend the suite runs on (CI: TensorFlow, JAX, and PyTorch in .ci/run).
"""

import keras
import numpy as np
import pytest
from keras import layers, ops

from keras_gan import GAN, WGANGP, compiled, penalties

GAMMA, WEIGHT = 10.0, 10.0


def values(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def zero_loss(y_true, y_pred):
    return 0.0 * ops.mean(y_pred)


def critic_after_one_penalty_step(activation, penalty, points):
    """A one-unit Dense critic, wrapped as a GAN's D is; its weights before and after one SGD step
    (learning rate 1) whose loss is the penalty alone: the step moves the weights by -gradient."""
    critic = keras.Sequential(
        [keras.Input((2, 2, 1)), layers.Flatten(), layers.Dense(1, activation=activation)]
    )
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(4, 1)).astype("float32"), np.float32([0.3])
    critic.layers[-1].set_weights([kernel, bias])
    model = penalties.PenalizedDiscriminator(critic, penalty)
    model.compile(loss=zero_loss, optimizer=keras.optimizers.SGD(learning_rate=1.0))
    targets = np.zeros((len(points), 1), "float32")
    logs = model.train_on_batch(penalties.with_points(points, points), targets, return_dict=True)
    new_kernel, new_bias = values(critic.layers[-1].weights)
    return kernel[:, 0], bias[0], new_kernel[:, 0], new_bias[0], logs["loss"]


def points(count=5):
    return np.random.default_rng(1).uniform(-1, 1, (count, 2, 2, 1)).astype("float32")


def r1(gradients):
    return 0.5 * GAMMA * ops.mean(penalties.squared_norms(gradients))


def wgan_gp(gradients):
    return penalties.unit_gradient_penalty(gradients, WEIGHT)


def test_r1_on_a_linear_critic_is_half_gamma_times_the_squared_kernel_and_its_gradient():
    # D(x) = w.x + b: grad_x D = w at every point, so R1 = gamma/2 |w|^2, d R1 / dw = gamma w.
    w, b, new_w, new_b, loss = critic_after_one_penalty_step(None, r1, points())
    np.testing.assert_allclose(loss, 0.5 * GAMMA * np.sum(w**2), rtol=1e-5)
    np.testing.assert_allclose(w - new_w, GAMMA * w, rtol=1e-4)
    np.testing.assert_allclose(new_b, b, atol=1e-6)  # the bias does not change grad_x D


def test_r1_on_a_squared_critic_depends_on_the_points_as_by_hand():
    # D(x) = s^2 with s = w.x + b: grad_x D = 2 s w, so |grad|^2 = 4 s^2 |w|^2 and
    # R1 = gamma/2 mean(4 s^2 |w|^2); d/dw = gamma/2 mean(8 s x |w|^2 + 8 s^2 w); d/db =
    # gamma/2 mean(8 s |w|^2).
    x = points()
    w, b, new_w, new_b, loss = critic_after_one_penalty_step(ops.square, r1, x)
    flat = x.reshape(len(x), -1)
    s = flat @ w + b
    norm2 = np.sum(w**2)
    np.testing.assert_allclose(loss, 0.5 * GAMMA * np.mean(4 * s**2 * norm2), rtol=1e-4)
    grad_w = 0.5 * GAMMA * np.mean(8 * s[:, None] * flat * norm2 + 8 * s[:, None] ** 2 * w, axis=0)
    grad_b = 0.5 * GAMMA * np.mean(8 * s * norm2)
    np.testing.assert_allclose(w - new_w, grad_w, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(b - new_b, grad_b, rtol=1e-3, atol=1e-5)


def test_the_wgan_gp_penalty_on_a_linear_critic_pulls_the_kernel_to_unit_norm_as_by_hand():
    # grad_x D = w: the penalty is weight (|w| - 1)^2, its gradient 2 weight (|w| - 1) w / |w|.
    w, _, new_w, _, loss = critic_after_one_penalty_step(None, wgan_gp, points())
    norm = np.linalg.norm(w)
    np.testing.assert_allclose(loss, WEIGHT * (norm - 1) ** 2, rtol=1e-4)
    np.testing.assert_allclose(w - new_w, 2 * WEIGHT * (norm - 1) * w / norm, rtol=1e-3)


def test_random_interpolation_lies_between_real_and_fake_one_draw_per_example():
    real = np.ones((64, 2, 2, 1), "float32")
    fake = -np.ones((64, 2, 2, 1), "float32")
    mixed = ops.convert_to_numpy(
        penalties.random_interpolation(real, fake, keras.random.SeedGenerator(0))
    )
    assert mixed.shape == real.shape
    assert np.all(mixed >= -1) and np.all(mixed <= 1)
    per_example = mixed.reshape(64, -1)
    assert np.allclose(per_example, per_example[:, :1])  # one alpha per example
    assert per_example[:, 0].std() > 0.3  # uniform alphas spread over [-1, 1]


def train(gan, iterations=3, batch=8):
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (32, *gan.img_shape)).astype("float32")
    for _ in range(iterations):
        real = [gan.sample_batch(data, batch) for _ in range(gan.d_steps)]
        d_inputs = [gan.generator_inputs(batch) for _ in range(gan.d_steps)]
        logs = compiled.run_iteration(gan, real, d_inputs, gan.generator_inputs(batch))
    return logs


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_r1_changes_what_d_learns_and_nothing_of_g_in_ds_step(one_call):
    small = dict(img_shape=(4, 4, 1), latent_dim=3, seed=0, compile_iteration=one_call)
    plain, penalised = GAN(**small), GAN(r1_gamma=GAMMA, **small)
    assert isinstance(penalised.discriminator, penalties.PenalizedDiscriminator)
    assert not isinstance(plain.discriminator, penalties.PenalizedDiscriminator)
    logs = {name: train(gan) for name, gan in (("plain", plain), ("r1", penalised))}
    assert all(np.isfinite(v) for v in logs["r1"].values()), logs
    # Same seed, same batches: only the penalty makes D's weights differ.
    moved = [
        float(np.max(np.abs(a - b)))
        for a, b in zip(
            values(plain.discriminator.weights), values(penalised.discriminator.weights)
        )
    ]
    assert max(moved) > 1e-4, moved

    # The freeze holds: G's step moves no weight of the penalised D.
    before = values(penalised.discriminator.weights)
    penalised.train_generator(penalised.generator_inputs(8))
    assert all(
        np.array_equal(a, b) for a, b in zip(before, values(penalised.discriminator.weights))
    )


def test_a_bad_r1_gamma_is_refused_before_anything_is_built():
    for bad in (-1.0, "10", float("nan"), True):
        with pytest.raises(ValueError, match="r1_gamma must be a number >= 0"):
            GAN(r1_gamma=bad)


def test_the_cgan_refuses_r1_rather_than_ignoring_it():
    from keras_gan import CGAN

    with pytest.raises(ValueError, match="CGAN takes no r1_gamma"):
        CGAN(r1_gamma=1.0)


def test_wgangp_trains_the_same_weights_on_both_paths():
    # jit_compile=False: TensorFlow's XLA draws other random numbers from the same seed, so the
    # interpolated points would differ between paths. Adam with beta_1=0 turns float summation
    # noise in near-zero gradients into whole steps of size learning_rate on a few weights, so the
    # paths are compared by how far they moved the weights, not weight by weight.
    gans = [
        WGANGP(seed=0, latent_dim=16, jit_compile=False, compile_iteration=one)
        for one in (False, True)
    ]
    start = np.concatenate([v.ravel() for v in values(gans[0].discriminator.critic.weights)])
    for gan in gans:
        logs = train(gan, iterations=2)
        assert all(np.isfinite(v) for v in logs.values()), logs
    four, one = (
        np.concatenate([v.ravel() for v in values(gan.discriminator.critic.weights)])
        for gan in gans
    )
    moved = np.linalg.norm(four - start)
    assert moved > 1e-3
    assert np.linalg.norm(one - four) < 0.05 * moved, (np.linalg.norm(one - four), moved)

    # Without the penalty the critic moves elsewhere: the term is really in both paths' loss.
    class NoPenalty(WGANGP):
        def gradient_penalty(self, gradients):
            return 0.0 * ops.sum(gradients)

    plain = NoPenalty(seed=0, latent_dim=16, jit_compile=False)
    train(plain, iterations=2)
    unpenalised = np.concatenate([v.ravel() for v in values(plain.discriminator.critic.weights)])
    assert np.linalg.norm(unpenalised - four) > 0.1 * moved  # measured: 0.19
