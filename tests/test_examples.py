"""The example scripts a teacher projects run as written, on real data, and leave their grids."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gan.plots import grid_paths

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *arguments, cwd):
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "examples", name), *map(str, arguments)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.parametrize("script", ["mnist_mlp_gan.py", "mnist_dcgan.py"])
def test_mnist_example_trains_and_saves_grids(script, mnist_data_dir, tmp_path):
    output = tmp_path / "images"
    run_example(script, "--iterations", 20, "--sample-interval", 10, "--output-dir", output,
                "--data-dir", mnist_data_dir, "--seed", 0, cwd=tmp_path)
    assert [os.path.basename(p) for p in grid_paths(str(output))] == ["0.png", "10.png", "20.png"]
    assert (output / "progress.gif").exists() and (output / "checkpoint.npz").exists()


def test_image_folder_example_trains_on_a_folder_of_pictures(tmp_path):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(0)
    for index in range(6):
        size = (20 + index, 24)  # any sizes: the loader crops them
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(pictures / f"{index}.png")
    output = tmp_path / "run"
    run_example("image_folder_dcgan.py", pictures, "--image-size", 16, "--iterations", 2, "--batch-size", 4,
                "--output-dir", output, cwd=tmp_path)
    grid = Image.open(grid_paths(str(output))[-1])
    assert grid.mode == "RGB"
