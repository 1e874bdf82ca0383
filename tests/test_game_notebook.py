"""examples/the_game_in_2d.ipynb runs headless, twice in one folder, and keeps both runs.

Each kernel runs the notebook top to bottom with KERAS_GAN_NOTEBOOK_ITERATIONS=30 (a few
seconds of training): the picture, one D step and one G step with their pictures, live training
(LiveGame redraws in place), the mode count, then a plain GAN and a PacGAN on the grid.
"""

import hashlib
import os

import pytest
from test_notebook import import_notebook_tools, kernel_manager

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(REPOSITORY_ROOT, "examples", "the_game_in_2d.ipynb")
ITERATIONS = 30


def execute(folder):
    nbclient, nbformat, KernelSpecManager, KernelManager = import_notebook_tools()

    class RecordingClient(nbclient.NotebookClient):
        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] in ("display_data", "update_display_data"):
                self.displays.append((cell_index, msg["msg_type"], msg["content"]["data"]))
            return super().process_message(msg, cell, cell_index)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = RecordingClient(
        notebook,
        km=kernel_manager(KernelSpecManager, KernelManager),
        timeout=600,
        resources={"metadata": {"path": str(folder)}},
    )
    client.displays = []
    env = dict(os.environ, KERAS_GAN_NOTEBOOK_ITERATIONS=str(ITERATIONS), TF_CPP_MIN_LOG_LEVEL="2")
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"A notebook cell failed:\n{error}")
    return notebook, client.displays


def digests(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir()}


def printed(cell):
    return "".join(
        output.get("text", "") for output in cell.outputs if output.output_type == "stream"
    )


@pytest.mark.slow  # two kernels, each training three small models
def test_the_game_notebook_runs_twice_in_one_folder_and_keeps_both_runs(tmp_path):
    first, first_displays = execute(tmp_path)
    run = tmp_path / "the_game_in_2d_run"
    first_files = digests(run)
    assert {"0.png", f"{ITERATIONS}.png", "progress.gif", "checkpoint.npz"} <= set(first_files)

    second, _ = execute(tmp_path)
    assert digests(run) == first_files, "the second kernel must not touch the first run"
    for folder in (
        "the_game_in_2d_run",
        "the_game_in_2d_run_grid_plain",
        "the_game_in_2d_run_grid_pacgan",
    ):
        again = tmp_path / f"{folder}-2"
        assert {"0.png", f"{ITERATIONS}.png", "checkpoint.npz"} <= set(digests(again)), folder

    cells = first.cells
    steps = [cell for cell in cells if "before_and_after" in cell.source]
    assert [printed(cell).split(":")[0] for cell in steps] == ["D's step", "G's step"]
    assert all(any("image/png" in o.get("data", {}) for o in cell.outputs) for cell in steps)
    train_index = next(i for i, cell in enumerate(cells) if "callbacks=[LiveGame()]" in cell.source)
    live = [kind for index, kind, data in first_displays if index == train_index]
    assert live[0] == "display_data" and "update_display_data" in live, live
    counts = next(cell for cell in cells if "gan.measure_quality()" in cell.source)
    assert " of 8 modes" in printed(counts)
    compared = printed(cells[-1])
    assert "ToyGAN:" in compared and "PacGAN:" in compared and "of 25 modes" in compared
