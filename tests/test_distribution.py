"""Several devices through each backend's own engine, simulated on CPU.

JAX: `keras.distribution.DataParallel` over two host devices made by
XLA_FLAGS=--xla_force_host_platform_device_count=2. TensorFlow: `tf.distribute.MirroredStrategy`
over the CPU split into two logical devices (tf.config.set_logical_device_configuration).
Data parallelism must not change the algorithm, so a two-device run must train what a one-device
run of the same seed and global batch trains. On TensorFlow that holds with synchronised
BatchNormalization; stock BatchNormalization normalises each replica's half with its own
statistics, which is another (ghost-batch) algorithm, and the test shows it differs.
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


# Measured on a 2-core CPU, 3 iterations at batch 8: the largest weight difference between a
# two-replica and a one-device run was 1.9e-6 (MLP GAN) and 9.7e-8 (DCGAN), float summation order
# (the one-device MLP run is XLA-compiled, the replicas' is not). With stock BatchNorm (each
# replica's own statistics) it was 0.32 (MLP GAN) and 4.9e-3 (DCGAN).
SAME_WEIGHTS = 1e-4

TF_RUN = """
import contextlib, csv, json, os, sys, tempfile, warnings
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from keras import ops
from keras_gan import DCGAN, GAN
from keras_gan.devices import mirrored_strategy, synchronize_batch_normalization
from keras_gan.gan import batch_length

MODELS = {"gan": (GAN, {}), "dcgan": (DCGAN, {"filters": 8}), "gan-r1": (GAN, {"r1_gamma": 10.0})}
DATA = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
FELL_BACK = "could not run as one compiled call"


def read(variable):
    return tf.identity(variable.value.read_value())


def total_change(model, before):
    changes = [ops.sum(ops.abs(read(v) - b)) for v, b in zip(model.trainable_weights, before)]
    return ops.sum(ops.stack(changes))


def probed(base):
    class Probed(base):
        # Logs what each replica did (its id, its rows) and which weights each step moved.
        def train_discriminator(self, real_batch, generator_inputs):
            self.discriminator.trainable = True  # its weights to compare (the step sets it too)
            before = [read(v) for v in self.discriminator.trainable_weights]
            logs = super().train_discriminator(real_batch, generator_inputs)
            context = tf.distribute.get_replica_context()
            replica_id = context.replica_id_in_sync_group if context else 0
            logs["replica_id"] = ops.cast(replica_id, "float32")
            logs["replica_rows"] = float(batch_length(real_batch))
            logs["d_moved_in_d_step"] = total_change(self.discriminator, before)
            return logs

        def train_generator(self, generator_inputs):
            self.discriminator.trainable = True
            d_before = [read(v) for v in self.discriminator.trainable_weights]
            g_before = [read(v) for v in self.generator.trainable_weights]
            logs = super().train_generator(generator_inputs)
            self.discriminator.trainable = True
            logs["d_moved_in_g_step"] = total_change(self.discriminator, d_before)
            logs["g_moved_in_g_step"] = total_change(self.generator, g_before)
            self.discriminator.trainable = False
            return logs

    return Probed


def build(model, devices, synchronized=True, one_call=True, probe=False):
    kind, settings = MODELS[model]
    strategy = mirrored_strategy(devices) if devices else None
    with strategy.scope() if strategy else contextlib.nullcontext():
        gan = (probed(kind) if probe else kind)(seed=0, compile_iteration=one_call, **settings)
    if synchronized:
        synchronize_batch_normalization(gan.generator)
        synchronize_batch_normalization(gan.discriminator)
    return gan


def weights(gan):
    return [ops.convert_to_numpy(v) for v in gan.generator.variables + gan.discriminator.variables]


def difference(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def equality(model):
    runs = {
        "one_device": dict(devices=0),
        "two_replicas": dict(devices=2),
        "two_replicas_stock_batch_norm": dict(devices=2, synchronized=False),
        "two_replicas_four_calls": dict(devices=2, one_call=False),
    }
    result, reference = {}, None
    for name, options in runs.items():
        gan = build(model, probe=True, **options)
        initial = weights(gan)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = gan.train(iterations=3, batch_size=8, data=DATA, verbose=0,
                                output_dir=tempfile.mkdtemp())
        final = weights(gan)
        reference = final if reference is None else reference
        result[name] = {
            "history": {k: [float(x) for x in v] for k, v in history.items()},
            "four_calls_warned": any(FELL_BACK in str(w.message) for w in caught),
            "moved": difference(initial, final),
            "difference": difference(final, reference),
        }
    return result


def tools():
    def train(gan, iterations, folder, **options):
        gan.train(iterations=iterations, batch_size=8, data=DATA, output_dir=folder, verbose=0,
                  sample_interval=1, checkpoint_interval=1, **options)
        return gan

    straight = weights(train(build("gan", 0), 4, tempfile.mkdtemp()))
    under_strategy, without = tempfile.mkdtemp(), tempfile.mkdtemp()
    train(build("gan", 2), 2, under_strategy)
    resumed_without = train(build("gan", 0), 4, under_strategy, resume=True)
    train(build("gan", 0), 2, without)
    resumed_under = train(build("gan", 2), 4, without, resume=True)
    exported = keras.saving.load_model(os.path.join(without, "generator.keras"))
    noise = np.random.default_rng(1).normal(size=(5, 100)).astype("float32")
    return {
        "strategy_then_none": difference(weights(resumed_without), straight),
        "none_then_strategy": difference(weights(resumed_under), straight),
        "export": float(np.max(np.abs(
            exported.predict_on_batch(noise) - resumed_under.generate(5, noise=noise)
        ))),
        "grids": sorted(name for name in os.listdir(under_strategy) if name.endswith(".png")),
        "metrics_rows": len(open(os.path.join(under_strategy, "metrics.csv")).read().splitlines()),
    }


def callbacks_and_metrics(data_dir):
    from keras_gan.callbacks import QualityLog, TensorBoard

    folder = tempfile.mkdtemp()
    logs = os.path.join(folder, "logs")
    gan = build("gan", 2)
    gan.train(iterations=2, batch_size=8, data=DATA, output_dir=folder, verbose=0,
              callbacks=[QualityLog(1, data_dir=data_dir, samples=200, verbose=0),
                         TensorBoard(logs)])  # fmt: skip
    with open(os.path.join(folder, "quality.csv")) as log:
        rows = list(csv.DictReader(log))
    return {
        "quality": [(int(row["iteration"]), float(row["frechet_distance"])) for row in rows],
        "event_files": sum(name.startswith("events.") for _, _, names in os.walk(logs)
                           for name in names),  # fmt: skip
    }


def uneven():
    try:
        build("gan", 2).train(iterations=1, batch_size=7, data=DATA, verbose=0,
                              output_dir=tempfile.mkdtemp())
    except ValueError as error:
        return str(error)


print("RESULT", json.dumps(globals()[sys.argv[1]](*sys.argv[2:])))
"""


@pytest.mark.parametrize("model", ["gan", "dcgan", "gan-r1"])
def test_tensorflow_two_replicas_train_like_one_device(model):
    result = run(TF_RUN, "tensorflow", "equality", model)
    one, two = result["one_device"], result["two_replicas"]
    for name, outcome in result.items():
        history = outcome["history"]
        assert all(np.all(np.isfinite(values)) for values in history.values()), name
        assert outcome["moved"] > 1e-3, f"{name}: the weights did not train"
        # The freeze under replicas: each step moves only its own network.
        assert min(history["d_moved_in_d_step"]) > 0, name
        assert max(history["d_moved_in_g_step"]) == 0, f"{name}: D moved in the combined step"
        assert min(history["g_moved_in_g_step"]) > 0, name
    # Compiled, not answered by the four calls; both replicas worked, each on half of the batch.
    assert not two["four_calls_warned"] and not one["four_calls_warned"]
    assert two["history"]["replica_id"] == [0.5] * 3, "the logs are not the mean of both replicas"
    assert two["history"]["replica_rows"] == [4.0] * 3
    assert one["history"]["replica_rows"] == [8.0] * 3
    assert two["difference"] < SAME_WEIGHTS, two["difference"]
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        np.testing.assert_allclose(two["history"][name], one["history"][name], rtol=1e-4, atol=1e-5)
    # Stock BatchNorm normalises each replica's half with its own statistics: another algorithm.
    assert result["two_replicas_stock_batch_norm"]["difference"] > 10 * SAME_WEIGHTS
    # The four Keras calls: Keras' train_on_batch hands every replica the whole batch, so they
    # train the one-device weights, without sharing the work.
    four_calls = result["two_replicas_four_calls"]
    assert four_calls["history"]["replica_rows"] == [8.0] * 3
    assert four_calls["difference"] < SAME_WEIGHTS, four_calls["difference"]


def test_tensorflow_checkpoints_resume_across_strategies_and_export():
    result = run(TF_RUN, "tensorflow", "tools")
    assert result["strategy_then_none"] < SAME_WEIGHTS, result
    assert result["none_then_strategy"] < SAME_WEIGHTS, result
    assert result["export"] < 1e-5, result
    # The folder trained to 2 under the strategy, then resumed to 4 without: a grid each iteration.
    assert {f"{iteration}.png" for iteration in range(5)} <= set(result["grids"]), result
    assert result["metrics_rows"] == 5, result  # a header and one row per iteration


def test_tensorflow_callbacks_and_metrics_work_under_a_strategy(mnist_data_dir):
    result = run(TF_RUN, "tensorflow", "callbacks_and_metrics", mnist_data_dir)
    assert [iteration for iteration, _ in result["quality"]] == [0, 1, 2], result
    assert all(np.isfinite(distance) and distance > 0 for _, distance in result["quality"]), result
    assert result["event_files"] >= 1, result


def test_tensorflow_batch_that_replicas_cannot_share_is_refused():
    message = run(TF_RUN, "tensorflow", "uneven")
    assert message and "multiple of 2" in message, message


def test_cli_devices_trains_under_mirrored_strategy(tmp_path):
    command = [sys.executable, "-m", "keras_gan.cli", "train", "--devices", "2", "--iterations"]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": REPOSITORY_ROOT}
    common = ["--sample-interval", "1", "--quiet", "--output-dir"]
    uneven = subprocess.run(
        [*command, "1", "--batch-size", "7", *common, str(tmp_path / "uneven")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    # Only the two replicas' path refuses a batch of 7: the strategy was in use.
    assert uneven.returncode != 0 and "multiple of 2" in uneven.stderr, uneven.stderr[-2000:]
    trained = subprocess.run(
        [*command, "2", "--batch-size", "8", *common, str(tmp_path / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert (tmp_path / "run" / "checkpoint.npz").exists() and (tmp_path / "run" / "2.png").exists()


# Several machines, simulated by two worker processes on this one (loopback, one CPU each).
WORKER = """
import json, os, sys
import tensorflow as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before anything else runs on TF
import numpy as np
from keras import ops
from keras_gan import GAN
from keras_gan.devices import synchronize_batch_normalization

with strategy.scope():
    gan = GAN(seed=0)  # every worker: the same seed, so the same global batches
synchronize_batch_normalization(gan.generator)
synchronize_batch_normalization(gan.discriminator)
data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
history = gan.train(iterations=3, batch_size=8, data=data, output_dir=sys.argv[1], verbose=0)
weights = [ops.convert_to_numpy(v) for v in gan.generator.variables + gan.discriminator.variables]
np.savez(os.path.join(sys.argv[1], "weights.npz"), *weights)
print("RESULT", json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "history": {name: [float(x) for x in values] for name, values in history.items()},
}))
"""


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


# Measured: 30 s at load 4.7 on 2 cores (4 minutes at load 22).
def test_tensorflow_two_local_workers_train_like_one_device(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": REPOSITORY_ROOT,
           "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    workers = [f"localhost:{free_port()}", f"localhost:{free_port()}"]
    runs = {}
    for name, task in (("worker-0", 0), ("worker-1", 1), ("alone", None)):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": task}}
        runs[name] = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(tmp_path / name)],
            env={**env, "TF_CONFIG": json.dumps(config)} if task is not None else env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results, weights = {}, {}
    try:
        for name, process in runs.items():
            stdout, stderr = process.communicate(timeout=1200)
            lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
            assert process.returncode == 0 and lines, f"{name}: {stdout[-2000:]}\n{stderr[-4000:]}"
            results[name] = json.loads(lines[-1][len("RESULT ") :])
            with np.load(tmp_path / name / "weights.npz") as saved:
                weights[name] = [saved[key] for key in saved.files]
    finally:
        for process in runs.values():
            process.kill()
    assert [results[name]["replicas"] for name in runs] == [2, 2, 1]
    for name in ("worker-0", "worker-1"):  # each worker's share, reduced across both
        for metric, values in results["alone"]["history"].items():
            np.testing.assert_allclose(
                results[name]["history"][metric], values, rtol=1e-4, atol=1e-5, err_msg=metric
            )
        assert max(np.max(np.abs(a - b)) for a, b in zip(weights[name], weights["alone"])) < (
            SAME_WEIGHTS
        )
