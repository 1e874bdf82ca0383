"""The package runs unchanged on each Keras backend: freeze checks and a short training per backend.

Each backend runs in its own subprocess (Keras picks its backend once, at import). The backends
tested are those named in $KERAS_GAN_BACKENDS (comma list), so CI chooses; by default, whichever
of TensorFlow and JAX the rest of the suite is not running on (it checks its own backend
in-process); a listed backend whose package is missing fails with a message saying what to
install, never skips.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import keras
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KNOWN_BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}  # backend: package
DEFAULT_BACKENDS = ",".join(
    name for name in ("tensorflow", "jax") if name != keras.backend.backend()
)
BACKENDS = [
    name.strip()
    for name in os.environ.get("KERAS_GAN_BACKENDS", DEFAULT_BACKENDS).split(",")
    if name.strip()
]

CHECKS = """
import math, os, sys, tempfile
import numpy as np
import keras
from keras import ops
from keras_gan import GAN, DCGAN, CGAN, LSGAN, WGAN

assert keras.backend.backend() == sys.argv[1], keras.backend.backend()

def values(variables):
    return [ops.convert_to_numpy(variable).copy() for variable in variables]

def changed(before, variables):
    return [not np.array_equal(old, new) for old, new in zip(before, values(variables))]

def check_freeze(gan, batch_size):
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (batch_size, *gan.img_shape)).astype("float32")
    noise = rng.normal(size=(batch_size, gan.latent_dim)).astype("float32")
    G, D = gan.generator, gan.discriminator
    trainable = lambda model: {id(v) for v in model.trainable_weights}
    g_trainable, d_trainable = trainable(G), trainable(D)
    g_moving = [v for v in G.weights if id(v) not in g_trainable]
    d_moving = [v for v in D.weights if id(v) not in d_trainable]

    # D's step: every D weight moves; no G weight moves, not even G's BatchNorm statistics.
    g_before, d_before = values(G.weights), values(D.trainable_weights)
    logs = gan.train_discriminator(real, noise)
    assert all(changed(d_before, D.trainable_weights)), "D did not train in its step"
    assert not any(changed(g_before, G.weights)), "G changed in D's step"
    assert set(logs) == {"d_loss", "d_accuracy", "d_real", "d_fake"}, logs
    assert all(math.isfinite(float(value)) for value in logs.values()), logs
    assert 0.0 <= float(logs["d_accuracy"]) <= 1.0 and 0.0 < float(logs["d_real"]) < 1.0, logs

    # G's step: every G weight moves, its BatchNorm statistics too; nothing of D moves.
    g_before, g_moving_before = values(G.trainable_weights), values(g_moving)
    d_before = values(D.weights)
    logs = gan.train_generator(noise)
    assert all(changed(g_before, G.trainable_weights)), "G did not train in its step"
    assert g_moving and all(changed(g_moving_before, g_moving)), "G's BatchNorm stats did not move"
    assert not any(changed(d_before, D.weights)), "D changed in G's step"
    assert math.isfinite(float(logs["g_loss"])), logs
    return d_moving

def check_training(gan, batch_size, folder):
    data = np.random.default_rng(0).uniform(-1, 1, (4 * batch_size, *gan.img_shape))
    data = data.astype("float32")
    history = gan.train(iterations=3, batch_size=batch_size, data=data, output_dir=folder,
                        sample_interval=2, checkpoint_interval=2, verbose=0)
    assert gan.iteration == 3 and all(len(v) == 3 for v in history.values()), history
    assert all(math.isfinite(float(x)) for v in history.values() for x in v), history
    assert os.path.exists(os.path.join(folder, "checkpoint.npz")), os.listdir(folder)
    samples = gan.generate(5)
    assert samples.shape == (5, *gan.img_shape), samples.shape
    assert np.all(np.isfinite(samples)) and samples.min() >= -1 and samples.max() <= 1
    assert samples.std() > 0, "all samples identical"

def check_overrides_honoured(one_call):
    # A step method a subclass overrides runs, with its effect, on this backend and path.
    class SkipGeneratorStep(GAN):
        def train_generator(self, generator_inputs):
            return {"g_loss": 0.0}

    class TwoGeneratorSteps(GAN):
        def train_iteration(self, real_batches, d_inputs, g_inputs):
            logs = super().train_iteration(real_batches, d_inputs, g_inputs)
            logs["g_loss_2"] = self.train_generator(g_inputs)["g_loss"]
            return logs

    data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    skip = SkipGeneratorStep(seed=0, latent_dim=8, compile_iteration=one_call)
    before = values(skip.generator.trainable_weights)
    history = skip.train(iterations=2, batch_size=8, data=data, output_dir=tempfile.mkdtemp(),
                         verbose=0)
    assert not any(changed(before, skip.generator.trainable_weights)), "a skipped G step trained G"
    assert history["g_loss"] == [0.0, 0.0], history
    two = TwoGeneratorSteps(seed=0, latent_dim=8, compile_iteration=one_call)
    history = two.train(iterations=2, batch_size=8, data=data, output_dir=tempfile.mkdtemp(),
                        verbose=0)
    g_steps = int(ops.convert_to_numpy(two.combined.optimizer.iterations))
    assert g_steps == 4, "the extra G step did not run"
    assert all(math.isfinite(x) for x in history["g_loss_2"]), history

def check_variants_train(folder):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    for model, data in ((CGAN(seed=0, latent_dim=8, filters=4), (images, rng.integers(0, 10, 32))),
                        (LSGAN(seed=0, latent_dim=8), images),
                        (WGAN(seed=0, latent_dim=8), images)):
        name = type(model).__name__
        d_before = values(model.discriminator.weights)
        history = model.train(iterations=2, batch_size=8, data=data,
                              output_dir=os.path.join(folder, name), verbose=0)
        assert all(math.isfinite(x) for v in history.values() for x in v), (name, history)
        assert any(changed(d_before, model.discriminator.weights)), name
    largest = max(float(np.abs(v).max()) for v in values(model.discriminator.weights))
    assert largest <= 0.01 + 1e-7, "WGAN clip"

def check_fakes_in_training_mode():
    # The quality lever: both paths train the same weights with it, and other ones than without.
    data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    trained = {}
    for one_call in (False, True):
        for lever in (False, True):
            gan = GAN(seed=0, latent_dim=8, compile_iteration=one_call,
                      fakes_in_training_mode=lever)
            gan.train(iterations=2, batch_size=8, data=data, output_dir=tempfile.mkdtemp(),
                      verbose=0)
            weights = gan.discriminator.weights + gan.generator.weights
            trained[one_call, lever] = values(weights)
    close = lambda a, b: all(np.allclose(x, y, rtol=1e-3, atol=1e-4) for x, y in zip(a, b))
    assert close(trained[False, True], trained[True, True]), (
        "the paths differ with fakes_in_training_mode")
    assert not close(trained[True, False], trained[True, True]), (
        "fakes_in_training_mode had no effect")

folder = tempfile.mkdtemp()
check_fakes_in_training_mode()
for one_call in (False, True):
    check_overrides_honoured(one_call)
check_variants_train(folder)
mlp = GAN(seed=0)
check_training(mlp, 8, os.path.join(folder, "mlp"))
check_freeze(mlp, 8)
# The DCGAN's D has BatchNorm: its statistics must stay put in G's step as well.
dcgan = DCGAN(img_shape=(16, 16, 1), filters=8, latent_dim=16, seed=0)
check_training(dcgan, 8, os.path.join(folder, "dcgan"))
d_moving = check_freeze(dcgan, 8)
assert d_moving, "the DCGAN's discriminator should have BatchNorm statistics to check"
print("ALL CHECKS PASSED on", keras.backend.backend())
"""


def test_backend_list_is_known():
    unknown = [name for name in BACKENDS if name not in KNOWN_BACKENDS]
    assert BACKENDS and not unknown, (
        f"KERAS_GAN_BACKENDS={os.environ.get('KERAS_GAN_BACKENDS')!r} names unknown backends "
        f"{unknown}; choose from {sorted(KNOWN_BACKENDS)}"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_freeze_and_training_on_backend(backend):
    package = KNOWN_BACKENDS.get(backend)
    if package is None:
        pytest.fail(f"unknown backend {backend!r} in KERAS_GAN_BACKENDS")
    if importlib.util.find_spec(package) is None:
        pytest.fail(
            f"The {backend} backend is listed in KERAS_GAN_BACKENDS "
            f"(default {DEFAULT_BACKENDS!r}) but "
            f"its package is not installed: `pip install keras_gan[{backend}]`, or leave it out "
            "of KERAS_GAN_BACKENDS."
        )
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": REPOSITORY_ROOT,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHECKS), backend],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0 and f"ALL CHECKS PASSED on {backend}" in result.stdout, (
        f"on {backend}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
