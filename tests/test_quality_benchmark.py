"""benchmarks/quality.py trains, measures and prints its two tables (a smoke run on real MNIST: the
numbers must be there and sane, their values are the benchmark's business)."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUALITY = os.path.join(REPOSITORY_ROOT, "benchmarks", "quality.py")
sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
import quality  # noqa: E402


def run_quality(arguments, env=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    result = subprocess.run(
        [sys.executable, QUALITY, *arguments], capture_output=True, text=True, timeout=1800, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def table(stdout, header_start):
    """The rows of the markdown table whose header starts with `header_start`, as lists of cells."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


# The PyTorch peer where torch is installed (CI's torch stage runs this file again), else the DCGAN.
PEER = "torch-dcgan" if importlib.util.find_spec("torch") else "dcgan"


@pytest.mark.slow
def test_prints_metrics_at_checkpoints_and_time_to_quality(mnist_data_dir):
    stdout = run_quality(
        [
            "--data-dir",
            mnist_data_dir,
            "--models",
            f"cgan,{PEER}",
            "--iterations",
            "20",
            "--checkpoints",
            "10",
            "--eval-every",
            "5",
            "--samples",
            "500",
            "--thresholds",
            "1000,1",
        ]
    )

    checkpoints = table(stdout, "| model | iterations |")
    assert [row[:2] for row in checkpoints] == [
        ["cgan", "10"],
        ["cgan", "20"],
        [PEER, "10"],
        [PEER, "20"],
    ], stdout
    for name, _, seconds, distance, score, digits, accuracy in checkpoints:
        assert float(seconds) >= 0 and 0 < float(distance) < 1000, stdout
        assert 1 <= float(score) <= 10 and 1 <= int(digits) <= 10, stdout
        if name == "cgan":  # asked for each digit equally often
            assert accuracy.endswith("%") and 0 <= float(accuracy[:-1]) <= 100, stdout
        else:
            assert accuracy == "—", stdout
    # Training time only grows (each model's rows are in iteration order).
    assert float(checkpoints[1][2]) >= float(checkpoints[0][2]) and float(
        checkpoints[3][2]
    ) >= float(checkpoints[2][2])

    speeds = table(stdout, "| model | train time (s) |")
    assert [row[0] for row in speeds] == ["cgan", PEER], stdout
    for (_name, total, reached, not_reached, best), at_20 in zip(
        speeds, (checkpoints[1], checkpoints[3])
    ):
        assert total == f"{at_20[2]} (20 it)", stdout
        assert reached.startswith("5 it, ") and not_reached == "not reached", (
            stdout
        )  # measured every 5
        distance, iteration = best.split(" at ")
        assert iteration in ("5", "10", "15", "20") and float(distance) <= float(at_20[3]), stdout


def test_says_why_the_torch_peer_is_skipped_without_torch(tmp_path, mnist_data_dir):
    (tmp_path / "torch.py").write_text("raise ImportError('no torch in this test')\n")
    stdout = run_quality(
        ["--data-dir", mnist_data_dir, "--models", "torch-dcgan", "--iterations", "1"],
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert "torch-dcgan skipped: torch is not importable here (no torch in this test)" in stdout, (
        stdout
    )
    assert "torch not importable" in stdout, stdout


def test_first_reached_is_the_first_measurement_at_or_below_the_threshold():
    measurements = [
        quality.Measurement(iteration, iteration / 10, {"frechet_distance": distance})
        for iteration, distance in ((250, 80.0), (500, 30.0), (750, 35.0), (1000, 14.9))
    ]
    assert quality.first_reached(measurements, 30).iteration == 500  # "at most": 30.0 counts
    assert quality.first_reached(measurements, 15).iteration == 1000
    assert quality.first_reached(measurements, 10) is None


@pytest.mark.parametrize("name", ["kerasgan-lsgan", "kerasgan-wgan"])
def test_keras_gan_recipes_train_both_networks_with_their_scripts_settings(name, tmp_path):
    from keras import ops

    gan = quality.build_model(name, seed=0)
    weights = {"D": gan.discriminator, "G": gan.generator}
    before = {
        key: [ops.convert_to_numpy(w) for w in model.weights] for key, model in weights.items()
    }
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    gan.train(iterations=2, batch_size=8, data=images, output_dir=tmp_path / "run", verbose=0)
    for key, model in weights.items():
        moved = [
            not np.array_equal(old, ops.convert_to_numpy(new))
            for old, new in zip(before[key], model.weights)
            # Kernels: a BatchNorm gamma at 1.0 can round a tiny first RMSprop step away.
            if new.path.endswith("kernel")
        ]
        assert len(moved) >= 3 and all(moved), key  # every layer of both networks trained
    assert gan.discriminator.layers[-1].activation.__name__ == "linear"  # a score, no sigmoid
    if name == "kerasgan-wgan":  # wgan.py: 5 clipped critic steps with RMSprop(5e-5)
        assert gan.d_steps == 5 and gan.learning_rate == 5e-5
        clipped = [
            np.abs(ops.convert_to_numpy(w)).max()
            for w in gan.discriminator.weights
            if "moving_" not in w.path
        ]
        assert max(clipped) <= 0.01 + 1e-7
        assert any(type(layer).__name__ == "Conv2D" for layer in gan.discriminator.layers)
    else:  # lsgan.py: Adam(2e-4, 0.5) on the squared error
        assert (gan.learning_rate, gan.beta_1, gan.d_steps) == (2e-4, 0.5, 1)
        assert type(gan.build_loss()).__name__ == "MeanSquaredError"
