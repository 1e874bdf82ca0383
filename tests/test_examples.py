"""The example scripts a teacher projects run as written, on real data, leave their grids, and
turn the mistakes a user can fix into one line."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gan.plots import grid_paths

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENSORFLOW_LOG_LINE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before absl)")
# Every MNIST example, found rather than listed, so a new one cannot be left out.
MNIST_EXAMPLES = sorted(
    name
    for name in os.listdir(os.path.join(REPOSITORY_ROOT, "examples"))
    if name.startswith("mnist_")
)


def run_example(name, *arguments, cwd, env=None):
    command = [
        sys.executable,
        os.path.join(REPOSITORY_ROOT, "examples", name),
        *map(str, arguments),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=cwd, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("script", MNIST_EXAMPLES)
def test_mnist_example_trains_and_saves_grids(script, mnist_data_dir, tmp_path):
    output = tmp_path / "images"
    result = run_example(
        script,
        "--iterations",
        4,
        "--sample-interval",
        2,
        "--output-dir",
        output,
        "--data-dir",
        mnist_data_dir,
        "--seed",
        0,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(MNIST_EXAMPLES) >= 6  # the MLP, DCGAN, CGAN, LSGAN, WGAN and WGAN-GP examples
    assert [os.path.basename(p) for p in grid_paths(str(output))] == ["0.png", "2.png", "4.png"]
    for name in ("progress.gif", "checkpoint.npz", "generator.keras", "metrics.csv"):
        assert (output / name).exists(), name
    if script == "mnist_cgan.py":  # a 10 x 10 grid: one digit per row
        assert Image.open(output / "4.png").size == (3 * (10 * 30 + 2),) * 2


def test_image_folder_example_trains_on_a_folder_of_pictures(tmp_path):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(0)
    for index in range(6):
        size = (20 + index, 24)  # any sizes: the loader crops them
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(
            pictures / f"{index}.png"
        )
    output = tmp_path / "run"
    result = run_example(
        "image_folder_dcgan.py",
        pictures,
        "--image-size",
        16,
        "--iterations",
        2,
        "--batch-size",
        4,
        "--output-dir",
        output,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert Image.open(grid_paths(str(output))[-1]).mode == "RGB"


@pytest.mark.parametrize(
    "script, arguments, environment, message",
    [
        (
            "mnist_mlp_gan.py",
            ["--data-dir", "/nonexistent/mnist"],
            {},
            "Data folder '/nonexistent/mnist' does not exist",
        ),
        ("mnist_cgan.py", ["--iterations", "0"], {}, "iterations must be a whole number >= 1"),
        (
            "mnist_dcgan.py",
            ["--batch-size", "many"],
            {},
            "argument --batch-size: invalid int value",
        ),
        (
            "image_folder_dcgan.py",
            ["/nonexistent/pictures"],
            {},
            "Image folder '/nonexistent/pictures' does not exist",
        ),
        # No network: a proxy on a closed port fails every download, on any machine.
        (
            "mnist_lsgan.py",
            ["--iterations", "1"],
            {
                "KERAS_GAN_DATA_DIR": "",
                "KERAS_HOME": "{tmp}/keras",
                "https_proxy": "http://127.0.0.1:9",
                "HTTPS_PROXY": "http://127.0.0.1:9",
            },
            "Could not download MNIST",
        ),
    ],
    ids=["missing-folder", "bad-value", "bad-flag", "missing-pictures", "no-network"],
)
def test_a_mistake_a_user_can_fix_is_one_line_not_a_traceback(
    script, arguments, environment, message, tmp_path
):
    environment = {key: value.format(tmp=tmp_path) for key, value in environment.items()}
    result = run_example(script, *arguments, cwd=tmp_path, env=environment)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not TENSORFLOW_LOG_LINE.match(line)
    ]
    assert len(lines) == 1 and message in lines[0], result.stderr[-3000:]
