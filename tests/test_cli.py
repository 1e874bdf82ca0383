"""The `keras-gan` command: it trains, samples, animates, and every mistake is one clear line."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gan import GAN, cli

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def keras_gan(*arguments, timeout=300):
    """Run the command as a user would (a fresh process), returning the finished process."""
    env = {**os.environ, "PYTHONPATH": REPOSITORY_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "keras_gan.cli", *map(str, arguments)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    GAN(seed=0).train(iterations=3, batch_size=8, data=data, output_dir=str(folder), verbose=0)
    return folder


def test_sample_writes_a_grid_from_a_run_folder(trained_run, tmp_path):
    result = keras_gan("sample", trained_run, "--output", tmp_path / "grid.png", "--seed", 1)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "grid.png").size == (3 * 152, 3 * 152)


def test_sample_writes_an_array_of_samples(trained_run, tmp_path):
    # In-process: main() is what the console script calls.
    assert cli.main(["sample", str(trained_run / "checkpoint.npz"), "-n", "7", "--output", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (7, 28, 28, 1) and samples.min() >= -1 and samples.max() <= 1


def test_gif_command_animates_the_grids(trained_run, tmp_path):
    assert cli.main(["gif", str(trained_run), "--output", str(tmp_path / "p.gif")]) == 0
    assert Image.open(tmp_path / "p.gif").n_frames == 2  # 0.png and 3.png


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "--model", "transformer"], "argument --model: invalid choice: 'transformer'"),
        (["train", "--iterations", "many"], "argument --iterations: invalid int value"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["train", "--dataset", "folder"], "--dataset folder needs --folder PATH"),
        (["train", "--dataset", "folder", "--folder", "/nonexistent/faces"], "is not a folder"),
        (["train", "--iterations", "0"], "--iterations must be >= 1, got 0"),
        (["sample", "/nonexistent/run"], "No checkpoint at"),
        (["gif", "/nonexistent/run"], "is not a folder"),
        (["evaluate", "/nonexistent/run", "-n", "1"], "--count must be >= 2"),
        (["train", "--dataset", "cifar10", "--eval-interval", "5"], "use it with --dataset mnist"),
    ],
)
def test_each_error_is_one_line_and_a_failure_status(arguments, message):
    # These are all caught before Keras loads, so not even TensorFlow's start-up logs appear.
    result = keras_gan(*arguments)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert message in lines[0] and "error" in lines[0]


def test_help_reads_well():
    result = keras_gan("train", "--help")
    assert result.returncode == 0
    for flag in ("--model", "--dataset", "--resume", "--iterations", "--output-dir", "--d-steps",
                 "--learning-rate", "--beta-1", "--from-logits", "--label-smoothing", "--jit-compile", "--four-calls"):
        assert flag in result.stdout


def test_train_then_resume_from_the_command_line(tmp_path, mnist_data_dir):
    common = ["train", "--data-dir", mnist_data_dir, "--output-dir", tmp_path, "--batch-size", 8,
              "--sample-interval", 2, "--quiet", "--seed", 0]
    first = keras_gan(*common, "--iterations", 3, "--eval-interval", 2)
    assert first.returncode == 0, first.stderr
    again = keras_gan(*common, "--iterations", 3)
    assert again.returncode != 0
    assert "already holds a run" in again.stderr.splitlines()[-1]
    # Resumed the classic four-calls way without XLA: both ways share the models and their state.
    resumed = keras_gan(*common, "--iterations", 5, "--resume", "--eval-interval", 2,
                        "--four-calls", "--jit-compile", "false")
    assert resumed.returncode == 0, resumed.stderr
    assert "iteration 5" in resumed.stdout
    rows = (tmp_path / "metrics.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == [1, 2, 3, 4, 5]
    quality = [row.split(",") for row in (tmp_path / "quality.csv").read_text().splitlines()[1:]]
    assert [int(row[0]) for row in quality] == [0, 2, 4]
    assert all(float(row[1]) > 0 and 1 <= float(row[2]) <= 10 for row in quality)

    evaluated = keras_gan("evaluate", tmp_path, "--data-dir", mnist_data_dir, "-n", 500, "--seed", 0)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "iteration 5: Frechet distance" in evaluated.stdout
