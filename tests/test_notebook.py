"""examples/classroom.ipynb runs top to bottom on real MNIST, proves the freeze, and shows its pictures.

The notebook runs once (20 iterations, via KERAS_GAN_NOTEBOOK_ITERATIONS) in a kernel started from
this very Python (sys.executable), in a temporary folder, and the tests read its outputs.
Needs nbclient, nbformat and ipykernel (the `test` extra): without them the tests fail, naming them.
"""

import base64
import csv
import io
import os
import sys

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(REPOSITORY_ROOT, "examples", "classroom.ipynb")
ITERATIONS = 20
SAMPLE_GRIDS = 5  # the notebook shows samples every ITERATIONS // 5 iterations

pytestmark = pytest.mark.slow  # 20-35 s on 2 CPU cores: a kernel, Keras, MNIST and 20 iterations


def import_notebook_tools():
    try:
        import nbclient
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
        import ipykernel  # noqa: F401  (the kernel itself, run from this Python)
    except ImportError as error:
        pytest.fail(
            f"Running the notebook needs nbclient, nbformat and ipykernel ({error}). "
            "Install the test extra: pip install -e '.[test]'."
        )
    return nbclient, nbformat, KernelSpecManager, KernelManager


def kernel_manager(KernelSpecManager, KernelManager):
    """A manager for ipykernel's own "python3" kernel run by sys.executable.

    kernel_dirs=[] ignores any kernelspec installed on the machine (which may name another
    Python); the native spec ipykernel then provides runs sys.executable. Nothing is installed.
    """
    specs = KernelSpecManager(kernel_dirs=[])
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    command = manager.kernel_spec.argv
    assert os.path.realpath(command[0]) == os.path.realpath(sys.executable), command
    return manager


@pytest.fixture(scope="module")
def run(mnist_data_dir, tmp_path_factory):
    """The executed notebook and the folder it ran in."""
    nbclient, nbformat, KernelSpecManager, KernelManager = import_notebook_tools()
    folder = tmp_path_factory.mktemp("classroom")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = dict(
        os.environ,
        KERAS_GAN_NOTEBOOK_ITERATIONS=str(ITERATIONS),
        KERAS_GAN_DATA_DIR=os.path.abspath(mnist_data_dir),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    client = nbclient.NotebookClient(
        notebook,
        km=kernel_manager(KernelSpecManager, KernelManager),
        timeout=300,
        resources={"metadata": {"path": str(folder)}},  # the kernel's working folder
    )
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"A notebook cell failed:\n{error}")
    return notebook, folder


def cell_with(notebook, text):
    """The one code cell whose source contains `text`."""
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and text in cell.source]
    assert len(cells) == 1, f"expected one code cell containing {text!r}, found {len(cells)}"
    return cells[0]


def printed(cell):
    return "".join(output.text for output in cell.outputs if output.output_type == "stream" and output.name == "stdout")


def pngs(cell):
    """The PNG images a cell displayed, opened with PIL."""
    from PIL import Image

    return [
        Image.open(io.BytesIO(base64.b64decode(output.data["image/png"])))
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result") and "image/png" in output.get("data", {})
    ]


def test_every_cell_ran_without_error(run):
    notebook, _ = run
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count is not None for cell in code_cells)
    errors = [output for cell in code_cells for output in cell.outputs if output.output_type == "error"]
    assert errors == []


def test_the_freeze_cell_shows_each_step_training_only_its_own_network(run):
    notebook, _ = run
    text = printed(cell_with(notebook, "gan.train_discriminator("))
    assert "train_discriminator: D changed: True, G changed: False" in text, text
    assert "train_generator: D changed: False, G changed: True" in text, text
    assert "The freeze works" in text, text


def test_the_summaries_of_the_three_models_are_shown(run):
    notebook, _ = run
    cell = cell_with(notebook, "gan.combined.summary()")
    shown = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in cell.outputs)
    for name in ("generator", "discriminator", "combined"):
        assert f'Model: "{name}"' in shown, name


def test_the_pictures_are_displayed(run):
    notebook, _ = run
    real_digits = pngs(cell_with(notebook, "plots.grid_image(images[:25])"))
    assert len(real_digits) == 1 and real_digits[0].size == (456, 456)  # 5x5 digits, enlarged 3x
    samples = pngs(cell_with(notebook, "class ShowSamples"))
    assert len(samples) == SAMPLE_GRIDS and all(image.size == (304, 304) for image in samples)
    assert "iteration 20: D loss" in printed(cell_with(notebook, "class ShowSamples"))
    for text in ('"losses.png"', '"real_vs_fake.png"', '"interpolation.png"'):
        images = pngs(cell_with(notebook, text))
        assert len(images) == 1 and min(images[0].size) >= 100, text


def test_the_run_trained_the_requested_iterations_into_the_output_folder(run):
    _, folder = run
    output_dir = folder / "classroom_run"
    with open(output_dir / "metrics.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(row["iteration"]) for row in rows] == list(range(1, ITERATIONS + 1))
    for name in ("losses.png", "progress.gif", "real_vs_fake.png", "interpolation.png", f"{ITERATIONS}.png"):
        assert (output_dir / name).is_file(), name


def test_the_stored_notebook_has_no_outputs():
    """Outputs are cleared before committing, so the notebook's diffs stay small and readable."""
    nbclient, nbformat, _, _ = import_notebook_tools()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
