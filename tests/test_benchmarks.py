"""The speed benchmark runs and prints its table: a smoke run, not a measurement (speed is never
asserted in tests: this machine is shared and noisy)."""

import os
import re
import subprocess
import sys

import keras
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_train_speed_prints_side_by_side_table(mnist_data_dir):
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "train_speed.py"),
               "--data-dir", mnist_data_dir, "--models", "mlp", "--batch-sizes", "8",
               "--variants", "train,train-4-calls,seed,fused", "--iterations", "3", "--repeats", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    header = next(line for line in result.stdout.splitlines() if line.startswith("| model |"))
    header = [cell.strip() for cell in header.strip("|").split("|")]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| mlp | 8 |")]
    assert len(rows) == 1, result.stdout
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    rates = [float(cell) for cell in cells[3:7]]  # train(), train() 4 calls, seed loop, fused
    assert all(rate > 0 for rate in rates), cells
    assert cells[7].endswith("x") and float(cells[7][:-1]) > 0, cells  # train/seed
    # the multiply-adds counted in both XLA programs: the classic iteration does more
    if keras.backend.backend() == "tensorflow":  # the count runs in a TensorFlow process only
        ratio = cells[header.index("MACs fused/train")]
        assert ratio.endswith("x") and 0.7 < float(ratio[:-1]) < 0.85, cells
        # ...and each loop's multiply-adds per second: the count times the measured rate
        count = re.search(r"mlp b8: ([\d.]+) G multiply-adds per train\(\) iteration, ([\d.]+) G per fused",
                          result.stdout)
        speeds = re.search(r"per second at the measured rates \(TensorFlow's counts\): "
                           r"train\(\) on tensorflow ([\d.]+) G/s, fused ([\d.]+) G/s", result.stdout)
        assert count and speeds, result.stdout
        for multiply_adds, rate, speed in zip(count.groups(), (rates[0], rates[3]), speeds.groups()):
            assert float(speed) == pytest.approx(float(multiply_adds) * rate, rel=0.05, abs=0.06)


@pytest.mark.slow
def test_profile_sorts_the_jax_iterations_operation_time_by_kind(mnist_data_dir):
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py"),
               "--data-dir", mnist_data_dir, "--batch-size", "8", "--iterations", "3"]
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = dict(re.findall(r"^  (matrix products|optimizer updates|copies|the rest) +[\d.]+ ms +([\d.]+)%$",
                           result.stdout, re.MULTILINE))
    assert set(rows) == {"matrix products", "optimizer updates", "copies", "the rest"}, result.stdout
    # every operation of XLA's program was found in the trace, once per iteration
    timed, in_program, fewest, most = map(int, re.search(
        r"timed (\d+) of the program's (\d+) operations, (\d+)-(\d+) times each", result.stdout).groups())
    assert timed == in_program > 20 and fewest == most == 3, result.stdout
    # the MLP's products and Adam's updates were recognised as such
    assert float(rows["matrix products"]) > 10 and float(rows["optimizer updates"]) > 0, result.stdout
    multiply_adds, rate, lone_rate = map(float, re.search(
        r"The iteration: ([\d.]+) G multiply-adds .*?, ([\d.]+) G/s .*: ([\d.]+) G/s", result.stdout).groups())
    assert multiply_adds == pytest.approx(0.075, abs=0.002) and rate > 0 and lone_rate > 0, result.stdout


def test_profile_says_it_needs_jax():
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py")]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode != 0 and "KERAS_BACKEND=jax" in result.stderr, result.stderr[-3000:]
