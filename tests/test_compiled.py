"""The compiled iteration (keras_gan/compiled.py) runs the very step methods of gan.py, and any
override of them: the same weights as the four classic calls, every override honoured.

Two GANs with the same seed train the same batches, one with the four Keras calls per iteration,
one with one compiled call: their weights, BatchNorm statistics, optimizer moments and logs must
agree after several iterations. Subclasses that override each step method must see the override
take effect on both paths; one the compiled call cannot run falls back loudly, never silently.
"""

import ast
import os
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from keras_gan import CGAN, GAN, LSGAN, WGAN, compiled
from keras_gan.dcgan import DCGAN

BATCH = 8
PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras_gan")


class GANWithBatchNormInD(GAN):
    """The MLP GAN with the freeze-safe BatchNorm in D: its statistics must not move in G's step."""

    def build_discriminator(self):
        from keras_gan.layers import FreezeSafeBatchNormalization

        model = super().build_discriminator()
        return keras.Sequential(
            [
                keras.Input(self.img_shape),
                *model.layers[:-1],
                FreezeSafeBatchNormalization(),
                model.layers[-1],
            ],
            name="discriminator",
        )


def values(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def random_data(gan, count=32, seed=3):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count, *gan.img_shape)).astype("float32")
    return (images, rng.integers(0, gan.num_classes, count)) if isinstance(gan, CGAN) else images


def run_iterations(gan, count, batch=BATCH):
    """`count` iterations as train() runs them (the GAN's own batches and noise), their logs."""
    data = gan.check_data(random_data(gan))
    history = []
    for _ in range(count):
        real = [gan.sample_batch(data, batch) for _ in range(gan.d_steps)]
        d_inputs = [gan.generator_inputs(batch) for _ in range(gan.d_steps)]
        history.append(compiled.run_iteration(gan, real, d_inputs, gan.generator_inputs(batch)))
    return history


def state(gan):
    return {
        "generator": values(gan.generator.variables),
        "averaged_generator": values(gan.averaged_generator.trainable_variables)
        if gan.averaged_generator
        else [],
        "discriminator": values(gan.discriminator.variables),
        "generator_optimizer": values(gan.combined.optimizer.variables),
        "discriminator_optimizer": values(gan.discriminator.optimizer.variables),
    }


# Why the two paths are not bit for bit equal, and what they must agree on instead. The compiled
# call fuses the steps into one graph (XLA where it is faster), so its sums run in another order
# than the four Keras calls': each value differs from the other path's in the last bits (float32:
# a relative 1e-7). Adam and RMSprop divide each gradient by its own running size, so an element
# whose gradient nearly cancels over the batch (WGAN's clipped critic passes G tiny ones) can move
# a whole step either way on the strength of those last bits: element by element, no tolerance is
# both safe and meaningful. Over a whole variable, such elements are few: the paths must agree to
# a fraction of how far training moved that variable. A real difference between the paths (a step
# skipped, a target or a freeze lost) moves a variable differently by a large part of its change.
RELATIVE_TO_CHANGE = 0.25


def assert_same_training(four_calls, one_call, four_logs, one_logs, start):
    """The two paths moved every variable alike; `start`: the GANs' state before training."""
    for name, expected in state(four_calls).items():
        got, before = state(one_call)[name], state(start)[name]
        assert len(got) == len(expected), name
        if len(before) != len(expected):  # optimizer variables are made at the first step, zeros
            before = [np.zeros_like(a) for a in expected]
        for index, (a, b, initial) in enumerate(zip(expected, got, before)):
            change, difference = np.linalg.norm(a - initial), np.linalg.norm(b - a)
            # a variable training left alone (a frozen one, a step counter) must agree to rounding
            allowed = RELATIVE_TO_CHANGE * change + 1e-6 * (1.0 + np.linalg.norm(a))
            assert difference <= allowed, (
                f"{name}[{index}] {a.shape}: the paths differ by {difference:.3g}, training "
                f"moved it by {change:.3g}"
            )
    # The logs follow the weights: each may differ by the same fraction of how far it moved over
    # the run. A relative tolerance alone means nothing where a log nearly cancels: WGAN's critic
    # loss is a difference of two near-equal means (-0.0032 at 3 iterations, where the last bits
    # made the paths differ by 2.5e-5 once on a busy machine).
    assert [set(logs) for logs in one_logs] == [set(logs) for logs in four_logs]
    for key in four_logs[0]:
        expected = np.array([float(logs[key]) for logs in four_logs])
        got = np.array([float(logs[key]) for logs in one_logs])
        moved = np.abs(expected - expected[0]).max()
        allowed = 1e-5 + RELATIVE_TO_CHANGE * moved
        np.testing.assert_allclose(got, expected, rtol=2e-3, atol=allowed, err_msg=key)


MODELS = {
    "mlp": lambda **kw: GAN(seed=0, **kw),
    "mlp-2-d-steps-smoothed": lambda **kw: GAN(seed=0, d_steps=2, label_smoothing=0.1, **kw),
    "batchnorm-in-d": lambda **kw: GANWithBatchNormInD(seed=0, **kw),
    "mlp-fakes-in-training-mode": lambda **kw: GAN(seed=0, fakes_in_training_mode=True, **kw),
    "dcgan": lambda **kw: DCGAN(img_shape=(16, 16, 1), filters=8, seed=0, **kw),
    "dcgan-averaged": lambda **kw: DCGAN(
        img_shape=(16, 16, 1), filters=8, seed=0, ema_momentum=0.9, **kw
    ),
    "cgan": lambda **kw: CGAN(seed=0, latent_dim=16, filters=8, **kw),
    "lsgan": lambda **kw: LSGAN(seed=0, latent_dim=16, **kw),
    "wgan": lambda **kw: WGAN(seed=0, latent_dim=16, **kw),
    "mlp-r1": lambda **kw: GAN(seed=0, r1_gamma=10.0, **kw),
    "dcgan-r1": lambda **kw: DCGAN(img_shape=(16, 16, 1), filters=8, seed=0, r1_gamma=10.0, **kw),
}


@pytest.mark.parametrize("model", MODELS)
def test_one_call_gives_the_weights_of_four_calls(model):
    make = MODELS[model]
    four_calls, one_call = make(compile_iteration=False), make(compile_iteration=True)
    start = make()
    four_logs, one_logs = run_iterations(four_calls, 3), run_iterations(one_call, 3)
    assert_same_training(four_calls, one_call, four_logs, one_logs, start)
    # The runs did train: the weights are not where they started.
    assert not np.allclose(
        values(start.generator.weights)[0], values(one_call.generator.weights)[0]
    )


def test_one_call_trains_both_networks_and_leaves_d_marked_frozen():
    gan = GAN(seed=0)
    D, G = gan.discriminator, gan.generator
    D.trainable = True
    d_weights, g_weights = list(D.trainable_weights), list(G.trainable_weights)
    D.trainable = False
    assert len(d_weights) == 6 and len(g_weights) == 14
    d_before, g_before = values(d_weights), values(g_weights)
    logs = run_iterations(gan, 1)[0]
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, values(d_weights))), (
        "D did not train"
    )
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, values(g_weights))), (
        "G did not train"
    )
    assert all(np.isfinite(value) for value in logs.values()), logs
    assert not D.trainable  # as after the classic combined step


# --------------------------------------------------------------------------------------------
# Overrides of the step methods run, and have their effect, on both paths.


class SkipGeneratorStep(GAN):
    def train_generator(self, generator_inputs):
        return {"g_loss": 0.0}  # G is left alone


class SkipDiscriminatorStep(GAN):
    def train_discriminator(self, real_batch, generator_inputs):
        return {"d_loss": 0.0, "d_accuracy": 0.0, "d_real": 0.0, "d_fake": 0.0}


class TwoGeneratorSteps(GAN):
    def train_iteration(self, real_batches, d_generator_inputs, g_generator_inputs):
        logs = super().train_iteration(real_batches, d_generator_inputs, g_generator_inputs)
        logs["g_loss_2"] = self.train_generator(g_generator_inputs)["g_loss"]
        return logs


class NoisyRealTargets(GAN):
    """Real targets 0.7 instead of 1 (a label-noise trick), through the targets hook."""

    def targets(self, value, batch):
        return super().targets(0.7 if value == self.real_target else value, batch)


class WhiteFakes(GAN):
    """D is shown white images as its fakes: G's output never reaches D's step."""

    def fake_batch(self, generator_inputs):
        return ops.ones((generator_inputs.shape[0], *self.img_shape))


class LogsTheGap(GAN):
    def discriminator_logs(self, real, fake):
        return {
            **super().discriminator_logs(real, fake),
            "gap": real["mean_output"] - fake["mean_output"],
        }


class CountsSteps(GAN):
    """Each compiled model's step goes through train_on_batch: count them in the logs."""

    def train_on_batch(self, model, inputs, targets):
        logs = dict(super().train_on_batch(model, inputs, targets))
        logs["doubled_loss"] = 2 * logs["loss"]
        return logs

    def train_generator(self, generator_inputs):
        valid = self.targets(self.generator_target, generator_inputs)
        logs = self.train_on_batch(self.combined, generator_inputs, valid)
        return {"g_loss": logs["loss"], "g_doubled": logs["doubled_loss"]}


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_a_skipped_generator_step_leaves_g_unchanged_and_d_trains(one_call):
    gan = SkipGeneratorStep(seed=0, compile_iteration=one_call)
    g_before, d_before = values(gan.generator.trainable_weights), values(gan.discriminator.weights)
    logs = run_iterations(gan, 2)[-1]
    assert all(
        np.array_equal(a, b) for a, b in zip(g_before, values(gan.generator.trainable_weights))
    )
    assert not all(
        np.array_equal(a, b) for a, b in zip(d_before, values(gan.discriminator.weights))
    )
    assert logs["g_loss"] == 0.0 and int(gan.combined.optimizer.iterations) == 0


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_a_skipped_discriminator_step_leaves_d_unchanged_and_g_trains(one_call):
    gan = SkipDiscriminatorStep(seed=0, compile_iteration=one_call)
    d_before, g_before = values(gan.discriminator.weights), values(gan.generator.trainable_weights)
    run_iterations(gan, 2)
    assert all(np.array_equal(a, b) for a, b in zip(d_before, values(gan.discriminator.weights)))
    assert not all(
        np.array_equal(a, b) for a, b in zip(g_before, values(gan.generator.trainable_weights))
    )


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_an_overridden_iteration_runs_its_extra_generator_step(one_call):
    gan = TwoGeneratorSteps(seed=0, compile_iteration=one_call)
    logs = run_iterations(gan, 3)
    assert int(gan.combined.optimizer.iterations) == 6
    assert all("g_loss_2" in entry and np.isfinite(entry["g_loss_2"]) for entry in logs)


@pytest.mark.parametrize(
    "model",
    [NoisyRealTargets, WhiteFakes, LogsTheGap, CountsSteps],
    ids=["targets", "fake_batch", "discriminator_logs", "train_on_batch"],
)
def test_each_overridden_hook_has_the_same_effect_on_both_paths(model):
    four_calls, one_call = (
        model(seed=0, compile_iteration=False),
        model(seed=0, compile_iteration=True),
    )
    plain = GAN(seed=0, compile_iteration=False)
    four_logs, one_logs, plain_logs = (
        run_iterations(four_calls, 2),
        run_iterations(one_call, 2),
        run_iterations(plain, 2),
    )
    assert_same_training(four_calls, one_call, four_logs, one_logs, model(seed=0))
    # ... and that effect is real: the override trains differently from the plain GAN, or logs more.
    assert set(one_logs[0]) != set(plain_logs[0]) or not np.allclose(
        values(one_call.discriminator.weights)[0], values(plain.discriminator.weights)[0]
    )


@pytest.mark.parametrize("one_call", [False, True], ids=["four-calls", "one-call"])
def test_an_override_that_raises_is_not_swallowed(one_call, tmp_path):
    class Broken(GAN):
        def train_generator(self, generator_inputs):
            raise RuntimeError("the generator step of this subclass is broken")

    with pytest.raises(RuntimeError, match="is broken"):
        Broken(seed=0, compile_iteration=one_call).train(
            iterations=3,
            batch_size=4,
            data=random_data(GAN(latent_dim=2)),
            output_dir=tmp_path,
            verbose=0,
        )


def test_an_override_the_compiled_call_cannot_run_falls_back_loudly_and_is_honoured():
    class PythonLossGAN(GAN):
        """Reads the loss as a NumPy value: fine in the four calls, impossible in a trace."""

        def train_generator(self, generator_inputs):
            logs = super().train_generator(generator_inputs)
            return {"g_loss": np.asarray(logs["g_loss"]).item() + 100.0}

    gan = PythonLossGAN(seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = run_iterations(gan, 2)
    if keras.backend.backend() == "torch":  # eager: nothing is traced, the override just runs
        assert gan.compile_iteration and not [
            w for w in caught if "compiled call" in str(w.message)
        ]
    else:
        messages = [str(w.message) for w in caught if "compiled call" in str(w.message)]
        assert len(messages) == 1 and "PythonLossGAN.train_generator" in messages[0], messages
        assert gan.compile_iteration is True  # the user's setting stays as given
    assert all(entry["g_loss"] > 100.0 for entry in logs)


def test_a_new_batch_size_compiles_anew_and_keeps_training():
    # On JAX the call donates the variables' buffers (XLA writes the new values in place): the
    # old ones are gone afterwards, and the call compiled for a new batch size must not need them.
    four_calls, one_call, start = GAN(seed=0, compile_iteration=False), GAN(seed=0), GAN(seed=0)
    for gan in (four_calls, one_call):
        run_iterations(gan, 2)
    old_value = one_call.generator.trainable_weights[0].value
    four_logs, one_logs = (
        run_iterations(four_calls, 2, batch=BATCH // 2),
        run_iterations(one_call, 2, batch=BATCH // 2),
    )
    assert_same_training(four_calls, one_call, four_logs, one_logs, start)
    if keras.backend.backend() == "jax":
        assert old_value.is_deleted()


def test_auto_xla_is_what_measured_faster():
    from keras_gan.compiled import resolve_jit_compile

    mlp, dcgan = GAN(seed=0), DCGAN(img_shape=(16, 16, 1), filters=8, seed=0)
    # No GPU here. XLA on TensorFlow's CPU: for dense models only; on JAX: always; PyTorch: never.
    expected = {"tensorflow": (True, False), "jax": (True, True), "torch": (False, False)}[
        keras.backend.backend()
    ]
    assert (resolve_jit_compile(mlp, "auto"), resolve_jit_compile(dcgan, "auto")) == expected
    assert resolve_jit_compile(dcgan, True) is True and resolve_jit_compile(mlp, False) is False


# --------------------------------------------------------------------------------------------
# The architecture: one version of the steps, and no import circles.


def package_imports():
    """{module: the keras_gan modules it imports}, read from the source files."""
    graph = {}
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            module = (
                os.path.relpath(path, os.path.dirname(PACKAGE))[:-3]
                .replace(os.sep, ".")
                .removesuffix(".__init__")
            )
            imported = set()
            for node in ast.walk(ast.parse(open(path).read())):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and node.module.startswith("keras_gan")
                ):
                    imported.add(node.module)
                    imported.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    imported.update(
                        alias.name for alias in node.names if alias.name.startswith("keras_gan")
                    )
            graph[module] = imported
    return {
        module: {name for name in imported if name in graph and name != module}
        for module, imported in graph.items()
    }


def test_the_compiled_iteration_does_not_import_the_gan_or_the_run_tools():
    imported = package_imports()["keras_gan.compiled"]
    assert not imported & {
        "keras_gan.gan",
        "keras_gan.callbacks",
        "keras_gan.runs",
        "keras_gan.cli",
    }, imported


def test_no_module_of_the_package_imports_itself_back():
    graph = package_imports()

    def reaches(start, target, seen=()):
        return any(
            module == target or (module not in seen and reaches(module, target, (*seen, module)))
            for module in graph.get(start, ())
        )

    circles = sorted(
        module for module in graph if module != "keras_gan" and reaches(module, module)
    )
    assert circles == [], f"import circles through {circles}"
