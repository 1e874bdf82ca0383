"""examples/classroom.ipynb works as a class uses it; keras_gan.notebook.LivePlot redraws in place.

The notebook runs in kernels started from this very Python (sys.executable), all in one temporary
folder, as a teacher would run it: top to bottom (20 iterations, via KERAS_GAN_NOTEBOOK_ITERATIONS),
then "raise ITERATIONS, run the parameters cell and the training cell again" (to 40); then all of
that once more in a second kernel. The tests read the notebooks' outputs and the files they left.
Needs nbclient, nbformat and ipykernel (the `test` extra): without them the tests fail, naming them.

What nbclient records of a display updated in place (`display(..., display_id=True)`, then the
handle's `.update(...)`): the kernel sends one display_data message and then update_display_data
messages with the same display_id; nbclient keeps the one output of the first, replacing its data
with each update's, adds no output for an update, and stores no display_id. So an executed cell
holds only the last picture, where the first one was. The tests see the messages themselves too.
"""

import base64
import csv
import dataclasses
import hashlib
import io
import os
import re
import sys
import warnings

import numpy as np
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(REPOSITORY_ROOT, "examples", "classroom.ipynb")
ITERATIONS = 20
RAISED_ITERATIONS = 40  # "raise ITERATIONS and run the training cell again"
OUTPUT_DIR = "classroom_run"  # the notebook's OUTPUT_DIR
REPOSITORY = "https://github.com/keras-gan/keras_gan"

slow = (
    pytest.mark.slow
)  # the notebook tests: 2 kernels, Keras, MNIST and 2 x 40 iterations on 2 CPU cores


def sample_intervals(start, end):
    """The iterations after `start` up to `end` at which the notebook redraws its picture."""
    interval = max(1, end // 5)  # the parameters cell's SAMPLE_INTERVAL
    return [i for i in range(start + 1, end + 1) if i % interval == 0 or i == end]


# --------------------------------------------------------------------------------------------
# Running the notebook.


def import_notebook_tools():
    try:
        import ipykernel  # noqa: F401  (the kernel itself, run from this Python)
        import nbclient
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
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


@dataclasses.dataclass
class Display:
    """One display message from the kernel."""

    cell_index: int
    kind: str  # "display_data" or "update_display_data"
    display_id: str | None
    data: dict


@dataclasses.dataclass
class Execution:
    """A notebook run in one kernel: its own cells, then the raised-ITERATIONS training cell."""

    cells: list
    raised_train_cell: object
    train_cell_index: int
    raised_train_cell_index: int
    displays: list


def execute(folder, mnist_data_dir):
    """Run the notebook in a new kernel in `folder`, then raise ITERATIONS and train again."""
    nbclient, nbformat, KernelSpecManager, KernelManager = import_notebook_tools()

    class RecordingClient(nbclient.NotebookClient):
        """nbclient's client, keeping every display message the kernel sends as well."""

        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] in ("display_data", "update_display_data"):
                display_id = (msg["content"].get("transient") or {}).get("display_id")
                self.displays.append(
                    Display(cell_index, msg["msg_type"], display_id, msg["content"]["data"])
                )
            return super().process_message(msg, cell, cell_index)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    own_cells = list(notebook.cells)
    parameters, train = (
        cell_with(own_cells, "# ---- Parameters"),
        cell_with(own_cells, "gan.train("),
    )
    raised = re.sub(
        r"^ITERATIONS = .*$",
        f"ITERATIONS = {RAISED_ITERATIONS}",
        parameters.source,
        flags=re.MULTILINE,
    )
    assert raised != parameters.source, "the parameters cell sets ITERATIONS on a line of its own"
    notebook.cells += [nbformat.v4.new_code_cell(raised), nbformat.v4.new_code_cell(train.source)]
    env = dict(
        os.environ,
        KERAS_GAN_NOTEBOOK_ITERATIONS=str(ITERATIONS),
        KERAS_GAN_DATA_DIR=os.path.abspath(mnist_data_dir),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    client = RecordingClient(
        notebook,
        km=kernel_manager(KernelSpecManager, KernelManager),
        timeout=1500,
        resources={"metadata": {"path": str(folder)}},  # the kernel's working folder
    )
    client.displays = []
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"A notebook cell failed:\n{error}")
    return Execution(
        own_cells,
        notebook.cells[-1],
        own_cells.index(train),
        len(notebook.cells) - 1,
        client.displays,
    )


def files_and_contents(folder):
    """Each file in `folder` -> (its SHA-256, its modification time): what "unchanged" compares."""
    return {
        path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in folder.iterdir()
    }


@pytest.fixture(scope="module")
def runs(mnist_data_dir, tmp_path_factory):
    """Both kernels' executions, the folder they ran in, and the first run's files as the first
    kernel left them."""
    folder = tmp_path_factory.mktemp("classroom")
    first = execute(folder, mnist_data_dir)
    first_files = files_and_contents(folder / OUTPUT_DIR)
    second = execute(folder, mnist_data_dir)
    return {"first": first, "second": second, "folder": folder, "first_files": first_files}


def cell_with(cells, text):
    """The one code cell whose source contains `text`."""
    found = [cell for cell in cells if cell.cell_type == "code" and text in cell.source]
    assert len(found) == 1, f"expected one code cell containing {text!r}, found {len(found)}"
    return found[0]


def printed(cell):
    return "".join(
        output.text
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def shown(cell):
    """The data of each picture a cell shows (display_data or execute_result with a PNG)."""
    return [
        output.data
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result")
        and "image/png" in output.get("data", {})
    ]


def image(data):
    """A display's PNG, opened with PIL."""
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(data["image/png"])))


def metrics_iterations(folder):
    with open(folder / "metrics.csv", newline="") as stream:
        return [int(row["iteration"]) for row in csv.DictReader(stream)]


# --------------------------------------------------------------------------------------------
# The notebook, as a class runs it.


@slow
@pytest.mark.parametrize("kernel", ["first", "second"])
def test_every_cell_ran_without_error(runs, kernel):
    execution = runs[kernel]
    code_cells = [
        cell for cell in execution.cells + [execution.raised_train_cell] if cell.cell_type == "code"
    ]
    assert code_cells and all(cell.execution_count is not None for cell in code_cells)
    errors = [
        output for cell in code_cells for output in cell.outputs if output.output_type == "error"
    ]
    assert errors == []


@slow
def test_the_install_cell_installs_nothing_where_keras_gan_is_importable(runs):
    for kernel in ("first", "second"):
        install = next(cell for cell in runs[kernel].cells if cell.cell_type == "code")
        assert "%pip install" in install.source
        assert install.execution_count is not None and install.outputs == [], (
            install.outputs
        )  # %pip always prints


@slow
def test_the_freeze_cell_shows_each_step_training_only_its_own_network(runs):
    text = printed(cell_with(runs["first"].cells, "gan.train_discriminator("))
    assert "train_discriminator: D changed: True, G changed: False" in text, text
    assert "train_generator: D changed: False, G changed: True" in text, text
    assert "The freeze works" in text, text


@slow
def test_the_summaries_of_the_three_models_are_shown(runs):
    cell = cell_with(runs["first"].cells, "gan.combined.summary()")
    text = "".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for output in cell.outputs
    )
    for name in ("generator", "discriminator", "combined"):
        assert f'Model: "{name}"' in text, name


@slow
def test_the_real_digits_and_the_pictures_after_training_are_displayed(runs):
    cells = runs["first"].cells
    data_cell = cell_with(cells, "plots.grid_image(images[:25])")
    assert "60000 images of shape (28, 28, 1), uint8 pixels from 0 to 255" in printed(data_cell)
    real_digits = shown(data_cell)
    assert len(real_digits) == 1 and image(real_digits[0]).size == (
        456,
        456,
    )  # 5x5 digits, enlarged 3x
    for text in ('"real_vs_fake.png"', '"interpolation.png"'):
        pictures = shown(cell_with(cells, text))
        assert len(pictures) == 1 and min(image(pictures[0]).size) >= 100, text


@slow
@pytest.mark.parametrize("kernel", ["first", "second"])
def test_the_training_cell_redraws_one_picture_in_place(runs, kernel):
    """One display, made at the start and updated each sample interval; the cell keeps the last."""
    execution = runs[kernel]
    for cell, index, start, end in [
        (execution.cells[execution.train_cell_index], execution.train_cell_index, 0, ITERATIONS),
        (
            execution.raised_train_cell,
            execution.raised_train_cell_index,
            ITERATIONS,
            RAISED_ITERATIONS,
        ),
    ]:
        messages = [display for display in execution.displays if display.cell_index == index]
        kinds = [display.kind for display in messages]
        assert kinds == ["display_data"] + ["update_display_data"] * len(
            sample_intervals(start, end)
        ), kinds
        assert messages[0].display_id and {display.display_id for display in messages} == {
            messages[0].display_id
        }
        assert messages[0].data["text/plain"].split(":")[0] == f"iteration {start}"

        # What nbclient recorded: the first display's output, holding the last update's picture.
        displayed = [
            output.data
            for output in cell.outputs
            if output.output_type in ("display_data", "execute_result")
        ]
        assert displayed == [messages[-1].data], [output.output_type for output in cell.outputs]
        assert displayed[0]["text/plain"].startswith(f"iteration {end}: d_loss="), displayed[0][
            "text/plain"
        ]
        assert image(displayed[0]).size == (960, 288)  # 12 x 3.6 inches at 80 dpi
        assert f"Trained up to iteration {end}." in printed(cell)


@slow
@pytest.mark.parametrize("kernel, folder", [("first", OUTPUT_DIR), ("second", f"{OUTPUT_DIR}-2")])
def test_raising_iterations_and_training_again_continues_the_run_in_its_folder(
    runs, kernel, folder
):
    output_dir = runs["folder"] / folder
    assert metrics_iterations(output_dir) == list(
        range(1, RAISED_ITERATIONS + 1)
    )  # none lost, none twice
    for name in (
        "checkpoint.npz",
        "progress.gif",
        "losses.png",
        "0.png",
        f"{ITERATIONS}.png",
        f"{RAISED_ITERATIONS}.png",
    ):
        assert (output_dir / name).is_file(), name
    assert f"The run's files are in {folder}/" in printed(runs[kernel].raised_train_cell)


@slow
def test_running_the_notebook_again_writes_a_new_folder_and_leaves_the_first_run_as_it_was(runs):
    folder, second = runs["folder"], runs["second"]
    train_cell = second.cells[second.train_cell_index]
    assert (
        f"{OUTPUT_DIR}/ holds an earlier run, kept as it is: this run writes to {OUTPUT_DIR}-2/"
        in printed(train_cell)
    )
    assert f"The run's files are in {OUTPUT_DIR}-2/" in printed(train_cell)
    # The cells after training write to the folder the run really went to.
    for name in (
        "real_vs_fake.png",
        "interpolation.png",
        "metrics.csv",
        "checkpoint.npz",
        f"{ITERATIONS}.png",
    ):
        assert (folder / f"{OUTPUT_DIR}-2" / name).is_file(), name
    assert sorted(path.name for path in folder.iterdir()) == [OUTPUT_DIR, f"{OUTPUT_DIR}-2"]

    first_files = runs["first_files"]
    for name in (
        "metrics.csv",
        "checkpoint.npz",
        "generator.keras",
        f"{ITERATIONS}.png",
        f"{RAISED_ITERATIONS}.png",
        "real_vs_fake.png",
        "interpolation.png",
    ):
        assert name in first_files, name
    assert (
        files_and_contents(folder / OUTPUT_DIR) == first_files
    )  # same files, same bytes, not rewritten


# --------------------------------------------------------------------------------------------
# The stored notebook.


def stored_notebook():
    _, nbformat, _, _ = import_notebook_tools()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_the_stored_notebook_has_no_outputs():
    """Outputs are cleared before committing, so the notebook's diffs stay small and readable."""
    for cell in stored_notebook().cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_the_colab_badge_and_the_install_cell_name_the_same_repository():
    cells = stored_notebook().cells
    from IPython.core.inputtransformer2 import (
        TransformerManager,
    )  # with ipykernel, checked by stored_notebook()

    first_markdown = next(cell for cell in cells if cell.cell_type == "markdown")
    badge = re.search(
        r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
        r"\(https://colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/main/examples/classroom\.ipynb\)",
        first_markdown.source,
    )
    assert badge, first_markdown.source

    # The first code cell, as IPython runs it: Python that calls %pip only when the import fails.
    install = next(cell for cell in cells if cell.cell_type == "code")
    code = TransformerManager().transform_cell(install.source)
    compile(code, "the install cell", "exec")
    assert re.search(
        r"^try:\n    import keras_gan\nexcept ImportError:\n"
        r"    if os\.path\.isfile\(os\.path\.join\(\"\.\.\", \"pyproject\.toml\"\)\):\n"
        r"        get_ipython\(\)\.run_line_magic\('pip', 'install --quiet -e \.\.'\)\n"
        r"    else:\n        get_ipython\(\)\.run_line_magic\('pip', ",
        code,
        flags=re.MULTILINE,
    ), code  # from a checkout it installs that checkout, not the address the badge assumes
    pip = re.search(
        r"run_line_magic\('pip', 'install [^']*git\+(https://github\.com/[\w.-]+/[\w.-]+)'\)", code
    )
    assert pip, code
    assert pip.group(1) == f"https://github.com/{badge.group(1)}" == REPOSITORY


# --------------------------------------------------------------------------------------------
# LivePlot on its own, with a display that records what it is given.


class RecordingDisplay:
    """Stands in for IPython's display(): records each display and each update of its handle."""

    def __init__(self):
        self.calls = []  # ("display" or "update", bundle, keyword arguments)

    def __call__(self, bundle, **options):
        self.calls.append(("display", bundle, options))
        return self

    def update(self, bundle, **options):
        self.calls.append(("update", bundle, options))


class FakeGAN:
    """What LivePlot reads of the GAN: iteration, folder, sample picture, D's target for real."""

    real_target = 1.0

    def __init__(self, output_dir, iteration=0):
        self.output_dir, self.iteration = str(output_dir), iteration

    def sample_grid(self):
        return np.linspace(-1, 1, 25 * 28 * 28).reshape(25, 28, 28, 1), 5

    def sample_picture(self, scale=3):
        from keras_gan import plots

        return plots.grid_image(*self.sample_grid(), scale=scale)


@pytest.fixture
def recorded(monkeypatch):
    from keras_gan import notebook

    display = RecordingDisplay()
    monkeypatch.setattr(notebook, "display", display)
    return display


def live_plot(gan):
    from keras_gan.notebook import LivePlot

    callback = LivePlot()
    callback.set_model(gan)
    callback.on_train_begin()
    return callback


def test_live_plot_shows_one_display_and_updates_it_at_each_sample_interval(recorded, tmp_path):
    gan = FakeGAN(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # e.g. matplotlib's "No artists with labels found to put in legend"
        callback = live_plot(gan)
        for gan.iteration in range(1, 7):
            callback.on_train_batch_end(
                gan.iteration,
                {
                    "d_loss": 0.7,
                    "d_accuracy": 0.5,
                    "d_real": 0.6,
                    "d_fake": 0.4,
                    "g_loss": 0.8 + gan.iteration,
                },
            )
            if gan.iteration % 3 == 0:
                callback.on_epoch_end(gan.iteration // 3 - 1)
    assert [(kind, options) for kind, _, options in recorded.calls] == [
        ("display", {"raw": True, "display_id": True}),
        ("update", {"raw": True}),
        ("update", {"raw": True}),
    ]
    texts = [bundle["text/plain"] for _, bundle, _ in recorded.calls]
    assert texts == [
        "iteration 0",
        "iteration 3: d_loss=0.7, d_accuracy=0.5, d_real=0.6, d_fake=0.4, g_loss=3.8",
        "iteration 6: d_loss=0.7, d_accuracy=0.5, d_real=0.6, d_fake=0.4, g_loss=6.8",
    ]
    for _, bundle, _ in recorded.calls:
        assert image(bundle).format == "PNG" and image(bundle).size == (960, 288)


def test_live_plot_continues_the_curves_of_a_run_from_its_metrics_log(recorded, tmp_path):
    (tmp_path / "metrics.csv").write_text(
        "iteration,d_loss,g_loss,time\n1,0.5,1.5,100.0\n2,0.25,1.25,101.0\n"
    )
    callback = live_plot(FakeGAN(tmp_path, iteration=2))
    callback.on_train_batch_end(3, {"d_loss": 0.125, "g_loss": 1.0})
    assert callback.history == {
        "d_loss": [(1, 0.5), (2, 0.25), (3, 0.125)],
        "g_loss": [(1, 1.5), (2, 1.25), (3, 1.0)],
    }


def test_live_plot_in_a_wgan_run_shows_the_critic_s_logs(recorded, tmp_path):
    """A WGAN logs `wasserstein` and no `d_accuracy`; its critic's scores are not probabilities."""
    from keras_gan import WGAN
    from keras_gan.notebook import LivePlot

    data = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
    gan = WGAN(
        seed=0, latent_dim=8, compile_iteration=False
    )  # the same logs, without compiling a traced iteration first
    gan.train(
        iterations=4,
        batch_size=8,
        sample_interval=2,
        data=data,
        output_dir=tmp_path / "run",
        verbose=0,
        callbacks=[LivePlot()],
    )
    assert [kind for kind, _, _ in recorded.calls] == ["display", "update", "update"]
    final = recorded.calls[-1][1]
    assert final["text/plain"].startswith("iteration 4: d_loss="), final["text/plain"]
    assert "wasserstein=" in final["text/plain"] and "d_accuracy" not in final["text/plain"]
    assert image(final).size == (960, 288)
