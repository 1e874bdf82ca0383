"""Several devices through Keras' own distribution support, simulated on CPU.

JAX: `keras.distribution.DataParallel` over two host devices made by
XLA_FLAGS=--xla_force_host_platform_device_count=2. Data parallelism must not change the
algorithm, so the losses must match a one-device run of the same seed.
(TensorFlow's MirroredStrategy is not supported: Keras' predict_on_batch, which makes D's fake
batch, runs each replica on the whole batch under it.)
Each run is a subprocess: the device count and the backend are fixed when a process starts.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRAIN = """
import json, tempfile
import numpy as np
from keras import ops
from keras_gan import GAN

def train(gan):
    weights = gan.generator.trainable_weights + gan.discriminator.trainable_weights
    before = [ops.convert_to_numpy(v).copy() for v in weights]
    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    history = gan.train(
        iterations=3, batch_size=8, data=data, output_dir=tempfile.mkdtemp(), verbose=0
    )
    moved = [not np.array_equal(old, ops.convert_to_numpy(v)) for old, v in zip(before, weights)]
    history = {k: [float(x) for x in v] for k, v in history.items()}
    return {"history": history, "all_moved": all(moved)}
"""

JAX_RUN = (
    TRAIN
    + """
import sys, keras
devices = keras.distribution.list_devices()
result = {"devices": len(devices)}
if sys.argv[1] == "data_parallel":
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
# Record how the training batches are laid out: DataParallel must split each over the devices.
batch_devices, distribute_tensor = set(), keras.distribution.distribute_tensor
def recording_distribute_tensor(tensor, layout):
    tensor = distribute_tensor(tensor, layout)
    batch_devices.add(len(tensor.sharding.device_set))
    return tensor
keras.distribution.distribute_tensor = recording_distribute_tensor
gan = GAN(seed=0)
result["variable_devices"] = len(gan.generator.trainable_weights[0].value.sharding.device_set)
result.update(train(gan))
result["batch_devices"] = sorted(batch_devices)
print("RESULT", json.dumps(result))
"""
)


def run(code, backend, *args, env_extra=None):
    if importlib.util.find_spec(backend) is None:
        pytest.fail(f"this test needs the {backend} package: pip install keras_gan[{backend}]")
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": REPOSITORY_ROOT,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **(env_extra or {}),
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


def test_jax_data_parallel_on_two_devices_trains_like_one_device():
    two_devices = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    parallel = run(JAX_RUN, "jax", "data_parallel", env_extra=two_devices)
    single = run(JAX_RUN, "jax", "single", env_extra=two_devices)
    assert parallel["devices"] == 2
    assert parallel["variable_devices"] == 2, "variables were not replicated over both devices"
    assert single["variable_devices"] == 1
    assert parallel["batch_devices"] == [2], "the batches were not split over both devices"
    assert parallel["all_moved"], "some weights did not train under DataParallel"
    for name, values in parallel["history"].items():
        assert np.all(np.isfinite(values)), (name, values)
        # Same seed, same batches: splitting each batch over devices must not change the maths.
        np.testing.assert_allclose(
            values, single["history"][name], rtol=1e-3, atol=1e-4, err_msg=name
        )
