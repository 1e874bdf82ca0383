"""The benchmarks run and print what they measure: smoke runs, not measurements (speed is never
asserted in tests: this machine is shared and noisy)."""

import importlib.util
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_train_speed_prints_side_by_side_table(mnist_data_dir):
    command = [
        sys.executable,
        os.path.join(REPOSITORY_ROOT, "benchmarks", "train_speed.py"),
        "--data-dir",
        mnist_data_dir,
        "--models",
        "mlp",
        "--batch-sizes",
        "8",
        "--variants",
        "train,seed,fused",
        "--iterations",
        "3",
        "--repeats",
        "1",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    header = [
        cell.strip()
        for cell in next(line for line in lines if line.startswith("| model |"))
        .strip("|")
        .split("|")
    ]
    rows = [line for line in lines if line.startswith("| mlp | 8 |")]
    assert len(rows) == 1, result.stdout
    row = dict(zip(header, (cell.strip() for cell in rows[0].strip("|").split("|"))))
    rates = [float(row[name]) for name in ("train()", "seed loop", "fused TF XLA")]
    assert all(rate > 0 for rate in rates), row
    # The table prints rates to 0.1 and the ratio (of the unrounded rates) to 0.01: compare the
    # ratio with the range the rounded rates allow, never with their own ratio (a slow seed loop,
    # e.g. 2.4 it/s, makes that rounding alone worth several per cent).
    printed_ratio = float(row["train/seed"].split("x")[0])
    lowest = (rates[0] - 0.05) / (rates[1] + 0.05) - 0.005
    highest = (rates[0] + 0.05) / max(rates[1] - 0.05, 1e-9) + 0.005
    assert lowest <= printed_ratio <= highest, (row, lowest, highest)
    if keras.backend.backend() != "tensorflow":  # the count runs in a TensorFlow process only
        return
    # the multiply-adds counted in both XLA programs: the classic iteration does more
    assert 0.7 < float(row["MACs fused/train"][:-1]) < 0.85, row
    # ...and each loop's multiply-adds per second: the count times the measured rate
    count = re.search(
        r"mlp b8: ([\d.]+) G multiply-adds per train\(\) iteration, ([\d.]+) G per fused",
        result.stdout,
    )
    speeds = re.search(
        r"per second at the measured rates \(TensorFlow's counts\): "
        r"train\(\) on tensorflow ([\d.]+) G/s, fused ([\d.]+) G/s",
        result.stdout,
    )
    assert count and speeds, result.stdout
    for multiply_adds, rate, speed in zip(count.groups(), (rates[0], rates[2]), speeds.groups()):
        # the same rounding: counts printed to 0.001, rates and speeds to 0.1
        multiply_adds = float(multiply_adds)
        lowest = (multiply_adds - 0.0005) * (rate - 0.05) - 0.05
        highest = (multiply_adds + 0.0005) * (rate + 0.05) + 0.05
        assert lowest <= float(speed) <= highest, (speed, multiply_adds, rate)


@pytest.mark.slow
def test_variants_train_on_their_data_and_say_what_an_iteration_is(mnist_data_dir):
    sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
    try:
        import train_speed
    finally:
        sys.path.pop(0)
    data = train_speed.Data(mnist_data_dir)
    # The CGAN trains on (images, labels): its four-call train() runs on them.
    runners, notes = train_speed.make_runners("cgan", 8, ["train-4-calls", "seed"], data)
    assert list(runners) == ["train-4-calls"], runners
    assert runners["train-4-calls"].rate(2) > 0
    assert (
        runners["train-4-calls"].gan.iteration == 3
    )  # one more than timed: the clock starts after it
    assert notes == ["cgan: no reference loops (seed, fused, PyTorch); compare its train() rows"], (
        notes
    )
    # A WGAN iteration holds 5 critic steps, and its row says so.
    runners, notes = train_speed.make_runners("wgan", 8, ["train"], data)
    assert notes == ["wgan: it/s counts generator iterations, each with 5 critic steps"], notes


def test_reference_loops_train_both_networks():
    sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
    try:
        import reference_loops
    finally:
        sys.path.pop(0)
    from keras_gan import GAN

    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    gan = GAN(seed=0)
    loops = {
        # the 2018 loop on the GAN's models: with the freeze repaired, D trains too
        "seed": (
            reference_loops.SeedLoop(gan, images, 8),
            gan.generator.weights,
            gan.discriminator.weights,
        ),
    }
    fused = reference_loops.FusedTFMLP(images, 8)
    loops["fused"] = (fused, fused.g_vars, fused.d_vars)
    if importlib.util.find_spec("torch") is not None:  # an optional extra, as in train_speed.py
        torch_mlp = reference_loops.TorchMLP(images, 8)
        loops["torch"] = (torch_mlp, list(torch_mlp.G.parameters()), list(torch_mlp.D.parameters()))

    def values(weights):  # Keras and TensorFlow variables, PyTorch parameters
        return [np.array(w.detach() if hasattr(w, "detach") else w) for w in weights]

    for name, (loop, g_weights, d_weights) in loops.items():
        g_before, d_before = values(g_weights), values(d_weights)
        loop.train(2)
        for network, before, weights in (("G", g_before, g_weights), ("D", d_before, d_weights)):
            after = values(weights)
            assert any(not np.array_equal(old, new) for old, new in zip(before, after)), (
                f"{name}: {network} did not train"
            )
            assert all(np.isfinite(new).all() for new in after), (
                f"{name}: {network} has non-finite weights"
            )


@pytest.mark.slow
def test_profile_sorts_the_jax_iterations_operation_time_by_kind(mnist_data_dir):
    command = [
        sys.executable,
        os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py"),
        "--data-dir",
        mnist_data_dir,
        "--batch-size",
        "8",
        "--iterations",
        "3",
    ]
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = dict(
        re.findall(
            r"^  (matrix products|optimizer updates|copies|the rest) +[\d.]+ ms +([\d.]+)%$",
            result.stdout,
            re.MULTILINE,
        )
    )
    assert set(rows) == {"matrix products", "optimizer updates", "copies", "the rest"}, (
        result.stdout
    )
    # every operation of XLA's program was found in the trace, once per iteration
    timed, in_program, fewest, most = map(
        int,
        re.search(
            r"timed (\d+) of the program's (\d+) operations, (\d+)-(\d+) times each", result.stdout
        ).groups(),
    )
    assert timed == in_program > 20 and fewest == most == 3, result.stdout
    # the MLP's products and Adam's updates were recognised as such
    assert float(rows["matrix products"]) > 10 and float(rows["optimizer updates"]) > 0, (
        result.stdout
    )
    multiply_adds, rate, lone_rate = map(
        float,
        re.search(
            r"The iteration: ([\d.]+) G multiply-adds .*?, ([\d.]+) G/s .*: ([\d.]+) G/s",
            result.stdout,
        ).groups(),
    )
    assert multiply_adds == pytest.approx(0.075, abs=0.002) and rate > 0 and lone_rate > 0, (
        result.stdout
    )


def test_profile_says_it_needs_jax():
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py")]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1500, env=env)
    assert result.returncode != 0 and "KERAS_BACKEND=jax" in result.stderr, result.stderr[-3000:]
