"""Mixed precision: every shipped model trains under keras.mixed_precision's "mixed_bfloat16".

The policy is global to a process, so the run is a subprocess, on TensorFlow (JAX and PyTorch
were not tried). On a CPU only bfloat16 runs;
"mixed_float16" (with its loss scaling) needs a GPU and is not tested here.
"""

import json
import os
import subprocess
import sys

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUN = """
import json, tempfile, warnings
import keras
import numpy as np
from keras import ops

keras.mixed_precision.set_global_policy("mixed_bfloat16")
from keras_gan import CGAN, DCGAN, GAN, LSGAN, WGAN

rng = np.random.default_rng(0)
images = rng.uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
data = {"CGAN": (images, rng.integers(0, 10, 32))}
runs = [(GAN, {}, True), (GAN, {}, False), (DCGAN, {"filters": 8}, True), (CGAN, {}, True),
        (LSGAN, {}, True), (WGAN, {}, True)]


def values(model):
    # Every variable, whether or not the model is frozen at the moment (freezing a model also
    # marks its variables untrainable). No shipped D updates BatchNorm statistics while frozen.
    return [ops.convert_to_numpy(v).astype("float32") for v in model.variables]


def moved(before, model):
    return any(not np.array_equal(b, a) for b, a in zip(before, values(model)))


result = {}
for kind, settings, one_call in runs:
    gan = kind(seed=0, compile_iteration=one_call, **settings)
    g_start = values(gan.generator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = gan.train(iterations=2, batch_size=8, data=data.get(kind.__name__, images),
                            output_dir=tempfile.mkdtemp(), verbose=0)
    # The freeze under the policy: G's step leaves D alone, D's step leaves G alone.
    g, d = values(gan.generator), values(gan.discriminator)
    gan.train_generator(gan.generator_inputs(8))
    g_step = {"g_moved": moved(g, gan.generator), "d_moved": moved(d, gan.discriminator)}
    g, d = values(gan.generator), values(gan.discriminator)
    batch = gan.sample_batch(data.get(kind.__name__, images), 8)
    gan.train_discriminator(batch, gan.generator_inputs(8))
    d_step = {"g_moved": moved(g, gan.generator), "d_moved": moved(d, gan.discriminator)}
    samples = gan.generate(4, seed=0)
    result[f"{kind.__name__}/{one_call}"] = {
        "finite": all(bool(np.all(np.isfinite(v))) for v in history.values()),
        "trained": moved(g_start, gan.generator),
        "fell_back": any("could not run as one compiled call" in str(w.message) for w in caught),
        "compute_dtype": gan.generator.layers[-1].compute_dtype,
        "generator_step": g_step,
        "discriminator_step": d_step,
        "samples": [str(samples.dtype), float(samples.min()), float(samples.max())],
    }
print("RESULT", json.dumps(result))
"""


def test_every_model_trains_under_mixed_bfloat16_with_the_freeze():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": REPOSITORY_ROOT}
    done = subprocess.run(
        [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, timeout=900
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    for name, run in json.loads(lines[-1][len("RESULT ") :]).items():
        assert run["finite"] and run["trained"], (name, run)
        assert not run["fell_back"], (name, run)
        assert run["compute_dtype"] == "bfloat16", (name, run)
        assert run["generator_step"] == {"g_moved": True, "d_moved": False}, (name, run)
        assert run["discriminator_step"] == {"g_moved": False, "d_moved": True}, (name, run)
        dtype, low, high = run["samples"]
        assert dtype == "float32" and -1 <= low <= high <= 1, (name, run)
