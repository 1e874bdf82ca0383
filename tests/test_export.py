"""A generator you can take away: generator.keras loads with Keras alone, in a process that has
never imported keras_gan, and draws what `gan.generate` draws."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_gan import CGAN, DCGAN, GAN, cli
from keras_gan.checkpoints import generator_path

LOAD_WITHOUT_KERAS_GAN = """
import json, sys
import numpy as np
import keras
inputs = [np.asarray(x, dtype) for x, dtype in zip(json.loads(sys.argv[2]), ("float32", "int32"))]
generator = keras.saving.load_model(sys.argv[1])
images = generator.predict_on_batch(inputs if len(inputs) > 1 else inputs[0])
assert "keras_gan" not in sys.modules, "keras_gan was imported"
np.save(sys.argv[3], images)
"""


def generate_elsewhere(path, inputs, output):
    """Load `path` in a fresh Python with no keras_gan on its path and run it on `inputs`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(LOAD_WITHOUT_KERAS_GAN),
            str(path),
            json.dumps([np.asarray(x).tolist() for x in inputs]),
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=os.path.dirname(
            str(output)
        ),  # not the repository: keras_gan is not importable from here
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(output)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GAN(seed=0, latent_dim=16),
        lambda: DCGAN(img_shape=(16, 16, 1), filters=8, latent_dim=16, seed=0),
        lambda: CGAN(filters=8, latent_dim=16, seed=0),
        lambda: DCGAN(img_shape=(16, 16, 1), filters=8, latent_dim=16, seed=0, ema_momentum=0.9),
    ],
    ids=["gan", "dcgan", "cgan", "dcgan-averaged"],
)
def test_the_run_writes_a_generator_that_loads_without_keras_gan_and_draws_the_same_images(
    make, tmp_path
):
    gan = make()
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, *gan.img_shape)).astype("float32")
    data = (images, rng.integers(0, 10, 16)) if isinstance(gan, CGAN) else images
    gan.train(
        iterations=3,
        batch_size=8,
        data=data,
        output_dir=tmp_path / "run",
        checkpoint_interval=2,
        verbose=0,
    )

    noise = rng.normal(size=(5, gan.latent_dim)).astype("float32")
    labels = np.array([0, 1, 7, 7, 9], "int32")
    inputs = [noise, labels] if isinstance(gan, CGAN) else [noise]
    expected = gan.generate(5, noise=noise, **({"labels": labels} if isinstance(gan, CGAN) else {}))
    loaded = generate_elsewhere(generator_path(tmp_path / "run"), inputs, tmp_path / "images.npy")
    np.testing.assert_allclose(loaded, expected, atol=1e-5)


def test_the_export_command_writes_the_generator_of_a_run_on_demand(tmp_path):
    gan = GAN(seed=0, latent_dim=8)
    data = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    gan.train(iterations=2, batch_size=8, data=data, output_dir=tmp_path / "run", verbose=0)
    assert (
        cli.main(["export", str(tmp_path / "run"), "--output", str(tmp_path / "mine.keras")]) == 0
    )
    noise = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    loaded = generate_elsewhere(tmp_path / "mine.keras", [noise], tmp_path / "images.npy")
    np.testing.assert_allclose(loaded, gan.generate(3, noise=noise), atol=1e-5)
