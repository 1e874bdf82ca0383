"""Training speed over 1 and N devices, in float32 and mixed precision: a table for a GPU machine.

    python benchmarks/devices.py                          # MLP and DCGAN, 1 and all GPUs
    python benchmarks/devices.py --devices 2 --models dcgan --batch-size 256 --iterations 200

Each row runs in its own process (a process's devices and precision policy are fixed when it
starts): the GAN is built under `keras_gan.devices.engine(N)` (TensorFlow's MirroredStrategy, or
JAX's DataParallel with KERAS_BACKEND=jax) with the policy set before, trains `--iterations`
iterations after a warm-up that compiles, and reports iterations per second and images per
second. Every row also checks correctness: the largest difference of the weights after
`--check-iterations` iterations from the 1-device float32 run of the same seed (BatchNorm
synchronised, so both runs train the same algorithm; mixed precision rows differ by bfloat16's
or float16's rounding, not by a bug).

Without GPUs the TensorFlow rows run on the CPU split into N logical devices, which share the
same cores: those speeds say nothing about GPUs; only the correctness column means something.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(model, devices, policy, batch_size, iterations, check_iterations, reference):
    import keras
    import numpy as np
    from keras import ops

    from keras_gan import DCGAN, GAN
    from keras_gan import devices as engines

    with engines.engine(devices):
        if policy != "float32":
            keras.mixed_precision.set_global_policy(policy)
        gan = {"mlp": GAN, "dcgan": DCGAN}[model](seed=0)
    if keras.backend.backend() == "tensorflow":
        engines.synchronize_batch_normalization(gan.generator)
        engines.synchronize_batch_normalization(gan.discriminator)
    data = np.random.default_rng(0).uniform(-1, 1, (1024, *gan.img_shape)).astype("float32")
    folder = tempfile.mkdtemp()
    train = dict(batch_size=batch_size, data=data, output_dir=folder, verbose=0)
    train.update(sample_interval=10**9, checkpoint_interval=10**9)
    gan.train(iterations=check_iterations, **train)
    weights = [ops.convert_to_numpy(v).astype("float32") for v in gan.generator.variables]
    difference = None
    if reference:
        saved = np.load(reference)
        difference = max(float(np.max(np.abs(w - saved[str(i)]))) for i, w in enumerate(weights))
    else:
        np.savez(os.path.join(folder, "weights.npz"), **{str(i): w for i, w in enumerate(weights)})
    start = time.perf_counter()
    gan.train(iterations=check_iterations + iterations, **train)
    seconds = time.perf_counter() - start
    return {
        "iterations_per_second": iterations / seconds,
        "images_per_second": iterations * batch_size / seconds,
        "difference": difference,
        "weights": None if reference else os.path.join(folder, "weights.npz"),
    }


def run_row(arguments, model, devices, policy, reference):
    command = [
        sys.executable,
        __file__,
        "--worker",
        json.dumps(
            [
                model,
                devices,
                policy,
                arguments.batch_size,
                arguments.iterations,
                arguments.check_iterations,
                reference,
            ]
        ),
    ]
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if os.environ.get("KERAS_BACKEND") == "jax":
        env.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count={devices}")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{model} on {devices} devices, {policy}: {done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--models", default="mlp,dcgan")
    parser.add_argument("--devices", type=int, help="N (default: every GPU, else 2)")
    parser.add_argument("--policies", default="float32,mixed", help="mixed: float16 on a GPU")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--check-iterations", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.worker:
        print("RESULT", json.dumps(worker(*json.loads(arguments.worker))))
        return
    devices = arguments.devices or gpu_count() or 2
    mixed = "mixed_float16" if gpu_count() else "mixed_bfloat16"
    policies = [mixed if p == "mixed" else p for p in arguments.policies.split(",")]
    print(
        f"{'model':6} {'devices':>7} {'policy':15} {'it/s':>8} {'images/s':>9} "
        f"{'max |dw| vs 1':>14}"
    )
    for model in arguments.models.split(","):
        reference = run_row(arguments, model, 1, "float32", None)
        rows = [(1, "float32", reference)]
        for count in sorted({1, devices}):
            for policy in policies:
                if (count, policy) != (1, "float32"):
                    rows.append(
                        (
                            count,
                            policy,
                            run_row(arguments, model, count, policy, reference["weights"]),
                        )
                    )
        for count, policy, row in rows:
            difference = "reference" if row["difference"] is None else f"{row['difference']:.1e}"
            print(
                f"{model:6} {count:>7} {policy:15} {row['iterations_per_second']:8.1f} "
                f"{row['images_per_second']:9.0f} {difference:>14}",
                flush=True,
            )
    if not gpu_count():
        print(
            "No GPU: the N-device rows shared this CPU's cores; their speed means nothing, "
            "only the weight difference does."
        )


def gpu_count():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return 0
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


if __name__ == "__main__":
    main()
