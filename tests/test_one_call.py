"""The one-call iteration (keras_gan/one_call.py) is the classic iteration, only faster.

Two GANs with the same seed train the same batches, one with four Keras calls per iteration,
one with one compiled call: their weights, BatchNorm statistics, optimizer moments and logs
must agree after several iterations, and the freeze must hold inside the one call.
"""

import numpy as np
import pytest
from keras import ops

from keras_gan import GAN
from keras_gan.dcgan import DCGAN

BATCH = 8


class GANWithBatchNormInD(GAN):
    """The MLP GAN with the freeze-safe BatchNorm in D, whose statistics must not move in G's step."""

    def build_discriminator(self):
        import keras
        from keras_gan.layers import FreezeSafeBatchNormalization

        model = super().build_discriminator()
        return keras.Sequential(
            [keras.Input(self.img_shape), *model.layers[:-1], FreezeSafeBatchNormalization(), model.layers[-1]],
            name="discriminator",
        )


def values(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def run_iterations(gan, count, d_steps=1, batch=BATCH):
    rng = np.random.default_rng(3)
    gan.real_labels = np.full((batch, 1), 0.9, "float32")  # smoothed, to check labels pass through
    gan.fake_labels = np.zeros((batch, 1), "float32")
    gan.valid_labels = np.ones((batch, 1), "float32")
    history = []
    for _ in range(count):
        real = [rng.uniform(-1, 1, (batch, *gan.img_shape)).astype("float32") for _ in range(d_steps)]
        d_noise = [rng.normal(size=(batch, gan.latent_dim)).astype("float32") for _ in range(d_steps)]
        history.append(gan.train_iteration(real, d_noise, rng.normal(size=(batch, gan.latent_dim)).astype("float32")))
    return history


def state(gan):
    return {
        "generator": values(gan.generator.variables),
        "discriminator": values(gan.discriminator.variables),
        "generator_optimizer": values(gan.combined.optimizer.variables),
        "discriminator_optimizer": values(gan.discriminator.optimizer.variables),
    }


@pytest.mark.parametrize(
    "make_gan, d_steps",
    [
        (lambda **kw: GAN(seed=0, **kw), 1),
        (lambda **kw: GAN(seed=0, **kw), 2),
        (lambda **kw: GANWithBatchNormInD(seed=0, **kw), 1),
        (lambda **kw: DCGAN(img_shape=(16, 16, 1), filters=8, seed=0, **kw), 1),
    ],
    ids=["mlp", "mlp-2-d-steps", "batchnorm-in-d", "dcgan"],
)
def test_one_call_gives_the_weights_of_four_calls(make_gan, d_steps):
    four_calls, one_call = make_gan(one_call=False), make_gan(one_call=True)
    assert all(np.array_equal(a, b) for a, b in zip(values(four_calls.generator.variables), values(one_call.generator.variables)))

    four_logs, one_logs = run_iterations(four_calls, 4, d_steps), run_iterations(one_call, 4, d_steps)

    for name, expected in state(four_calls).items():
        got = state(one_call)[name]
        assert len(got) == len(expected), name
        for a, b in zip(expected, got):
            np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-5, err_msg=name)
    for a, b in zip(four_logs, one_logs):
        assert set(a) == set(b) == {"d_loss", "d_accuracy", "d_real", "d_fake", "g_loss"}
        for key in a:
            np.testing.assert_allclose(b[key], a[key], rtol=2e-3, atol=1e-5, err_msg=key)
    # The runs did train: the weights are not where they started.
    assert not np.allclose(values(make_gan().generator.weights)[0], values(one_call.generator.weights)[0])


def test_one_call_trains_both_networks_and_leaves_d_marked_frozen():
    # The freeze itself is proven above: D's statistics and weights match the four calls, whose
    # freeze tests/test_gan.py proves. Here: one call moves every trainable weight of both.
    gan = GAN(seed=0)
    D, G = gan.discriminator, gan.generator
    D.trainable = True
    d_weights, g_weights = list(D.trainable_weights), list(G.trainable_weights)
    D.trainable = False
    assert len(d_weights) == 6 and len(g_weights) == 14
    d_before, g_before = values(d_weights), values(g_weights)
    logs = run_iterations(gan, 1)[0]
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, values(d_weights))), "D did not train"
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, values(g_weights))), "G did not train"
    assert all(np.isfinite(value) for value in logs.values()), logs
    assert not D.trainable  # as after the classic combined step


def test_a_new_batch_size_compiles_anew_and_keeps_training():
    # On JAX the call donates the variables' buffers (XLA writes the new values in place): the
    # old ones are gone afterwards, and the call compiled for a new batch size must not need them.
    # Both ways must still agree after the switch (e.g. train() again with another batch size).
    import keras

    four_calls, one_call = GAN(seed=0, one_call=False), GAN(seed=0)
    for gan in (four_calls, one_call):
        run_iterations(gan, 2)
    old_value = one_call.generator.trainable_weights[0].value
    four_logs, one_logs = run_iterations(four_calls, 2, batch=BATCH // 2), run_iterations(one_call, 2, batch=BATCH // 2)
    for name, expected in state(four_calls).items():
        for a, b in zip(expected, state(one_call)[name]):
            np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-5, err_msg=name)
    for key in one_logs[-1]:  # the metrics were reset for the new batch size's steps too
        np.testing.assert_allclose(one_logs[-1][key], four_logs[-1][key], rtol=2e-3, atol=1e-5, err_msg=key)
    if keras.backend.backend() == "jax":
        assert old_value.is_deleted()


def test_ctrl_c_waits_until_the_variables_hold_their_new_values():
    # On JAX a Ctrl-C between the call (which deletes the old buffers) and the write-back would
    # leave the GAN without weights; the write-back runs under hold_ctrl_c.
    import signal

    from keras_gan.callbacks import StopOnInterrupt
    from keras_gan.callbacks import hold_ctrl_c

    written = []
    with pytest.raises(KeyboardInterrupt):  # Python's own handler: the interrupt comes after
        with hold_ctrl_c():
            signal.raise_signal(signal.SIGINT)
            written.append("all")
    assert written == ["all"]
    with StopOnInterrupt() as interrupt:  # train()'s handler: the first Ctrl-C asks to stop
        with hold_ctrl_c():
            signal.raise_signal(signal.SIGINT)
            assert not interrupt.requested
        assert interrupt.requested
        with pytest.raises(KeyboardInterrupt):  # two at once: the second stops at once, after
            with hold_ctrl_c():
                signal.raise_signal(signal.SIGINT)
                signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_auto_xla_is_what_measured_faster():
    import keras

    from keras_gan.one_call import resolve_jit_compile

    mlp, dcgan = GAN(seed=0), DCGAN(img_shape=(16, 16, 1), filters=8, seed=0)
    # This machine has no GPU. TensorFlow CPU: XLA for dense models only; JAX: always; PyTorch: never.
    expected = {"tensorflow": (True, False), "jax": (True, True), "torch": (False, False)}[keras.backend.backend()]
    assert (resolve_jit_compile(mlp, "auto"), resolve_jit_compile(dcgan, "auto")) == expected
    assert resolve_jit_compile(dcgan, True) is True and resolve_jit_compile(mlp, False) is False
