"""examples/when_gans_fail.ipynb runs headless, twice in one folder, and shows each failure's
evidence and diagnosis. Written by scripts/make_when_gans_fail.py (edit there)."""

import os
import sys

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(REPOSITORY_ROOT, "examples", "when_gans_fail.ipynb")


def run_notebook(folder, mnist_data_dir, iterations):
    try:
        import nbclient
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
    except ImportError as error:
        pytest.fail(
            f"Running the notebook needs nbclient and ipykernel ({error}): "
            "pip install -e '.[test]'."
        )
    os.environ.update(
        KERAS_GAN_NOTEBOOK_ITERATIONS=str(iterations),
        KERAS_GAN_DATA_DIR=os.path.abspath(mnist_data_dir),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    manager = KernelManager(
        kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[])
    )
    assert os.path.realpath(manager.kernel_spec.argv[0]) == os.path.realpath(sys.executable)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook, km=manager, timeout=600, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return [
        "".join(output.get("text", "") for output in cell.get("outputs", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


@pytest.mark.slow
def test_the_notebook_runs_twice_in_one_folder_showing_each_failure(
    tmp_path, mnist_data_dir, monkeypatch
):
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the kernels' settings, undone after
    for _ in range(2):
        text = "\n".join(run_notebook(tmp_path, mnist_data_dir, iterations=60))
        assert "diagnosis at iteration 50: discriminator not learning" in text
        assert "D variables changed by 100 iterations: 0 of" in text  # the 2018 freeze
        assert "freeze_fixed: no diagnosis" in text
        assert "PlainBatchNormDCGAN" in text and "differ by 0.0000" in text
        assert "checks passed." in text and "FAIL" not in text
        for ring in ("ring_G_10x_faster", "ring_equal_rates"):  # the ring's section drew both
            assert f"{ring}: " in text and " of 8 modes captured" in text
    assert sorted(os.listdir(tmp_path / "when_gans_fail_runs"))[:2] == ["GAN", "SaturatingGAN"]
