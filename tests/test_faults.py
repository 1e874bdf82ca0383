"""What a real machine does to a run, and what happens then (issue 22): stopped by SIGTERM, two
processes on one folder, tampered or partial files, data that is no array, names a shell or a
glob pattern reads, outputs that exist already."""

import csv
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from test_datasets import write_fake_cifar10_batches

from keras_gan import GAN, cli, datasets, plots
from keras_gan.checkpoints import checkpoint_path, load_checkpoint
from keras_gan.files import atomic_path

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# On a 2-core machine other jobs keep busy, a process needs ~30 s to train its first iterations.
STARTUP_LIMIT = 600

TRAIN_SCRIPT = """
    import numpy as np
    from keras_gan import GAN
    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    GAN(seed=0).train(iterations=100000, batch_size=8, data=data, output_dir={folder!r},
                      checkpoint_interval={checkpoint_interval}, verbose=0)
    print("train() returned")
"""


def logged_iterations(folder):
    with open(os.path.join(folder, "metrics.csv"), newline="") as stream:
        return [int(row["iteration"]) for row in csv.DictReader(stream)]


def start_long_run(folder, checkpoint_interval=100000):
    """A long run in its own process, returned once it has logged 5 iterations."""
    env = {**os.environ, "PYTHONPATH": REPOSITORY_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = TRAIN_SCRIPT.format(folder=folder, checkpoint_interval=checkpoint_interval)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + STARTUP_LIMIT
    while time.time() < deadline and process.poll() is None:
        log = os.path.join(folder, "metrics.csv")
        if os.path.exists(log) and len(logged_iterations(folder)) >= 5:
            return process
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"the run logged no 5 iterations: {process.communicate()[0][-3000:]}")


# --------------------------------------------------------------------------------------------
# Stops other than Ctrl-C, and two processes on one folder.


def test_sigterm_saves_grid_log_and_checkpoint_then_exits_143(tmp_path):
    folder = str(tmp_path)
    process = start_long_run(folder)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=STARTUP_LIMIT)[0].decode()
    # 128 + SIGTERM, after saving: not killed by the signal (-15), and train() did not return
    assert process.returncode == 143, output
    assert "SIGTERM" in output and "Stopped at iteration" in output, output
    assert "train() returned" not in output, output
    stopped_at = load_checkpoint(GAN(), checkpoint_path(folder)).iteration
    assert stopped_at >= 5
    assert logged_iterations(folder) == list(range(1, stopped_at + 1))
    assert os.path.exists(os.path.join(folder, f"{stopped_at}.png"))


def test_a_second_run_in_a_training_folder_is_refused_and_a_killed_one_leaves_no_lock(tmp_path):
    folder = str(tmp_path)
    process = start_long_run(folder, checkpoint_interval=1)
    data = np.random.default_rng(1).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    try:
        with pytest.raises(ValueError, match=r"Another process \(pid \d+\) is training in"):
            GAN(seed=1).train(
                iterations=10**6, batch_size=8, data=data, output_dir=folder, resume=True, verbose=0
            )
        assert logged_iterations(folder)[-1] >= 5  # the first run trains on
    finally:
        process.kill()  # as a crash would: no chance to unlock anything
        process.wait(timeout=STARTUP_LIMIT)
    stopped_at = load_checkpoint(GAN(), checkpoint_path(folder)).iteration
    gan = GAN(seed=1)
    gan.train(
        iterations=stopped_at + 2,
        batch_size=8,
        data=data,
        output_dir=folder,
        resume=True,
        verbose=0,
    )
    assert gan.iteration == stopped_at + 2
    assert logged_iterations(folder)[-2:] == [stopped_at + 1, stopped_at + 2]


# --------------------------------------------------------------------------------------------
# Tampered or partial files in a run folder: one line naming the file and what is wrong.


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("run"))
    data = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    GAN(seed=0, latent_dim=8).train(
        iterations=3, batch_size=4, sample_interval=1, data=data, output_dir=folder, verbose=0
    )
    return folder


def copy_of(folder, tmp_path):
    copy = str(tmp_path / "copy")
    shutil.copytree(folder, copy)
    return copy


def rewrite_checkpoint(folder, change):
    path = checkpoint_path(folder)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)


def truncate(folder):
    path = checkpoint_path(folder)
    with open(path, "r+b") as stream:
        stream.truncate(os.path.getsize(path) // 2)


TAMPERINGS = {
    "an array taken out": (
        lambda f: rewrite_checkpoint(f, lambda a: a.pop("generator/3")),
        "lacks the arrays generator/3",
    ),
    "an array of another shape": (
        lambda f: rewrite_checkpoint(f, lambda a: a.update({"discriminator/0": np.zeros(3)})),
        "its array discriminator/0 has shape (3,)",
    ),
    "the grids' noise taken out": (
        lambda f: rewrite_checkpoint(f, lambda a: a.pop("fixed_noise")),
        "lacks the arrays fixed_noise",
    ),
    "a random state that does not read": (
        lambda f: rewrite_checkpoint(f, lambda a: a.update({"rng_state": np.array("{}")})),
        "rng_state or seed does not read",
    ),
    "cut in half": (truncate, "is not a readable keras_gan checkpoint"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_checkpoint_is_one_line_naming_it_and_what_is_wrong(
    trained_folder, tmp_path, capsys, tampering
):
    folder = copy_of(trained_folder, tmp_path)
    tamper, expected = TAMPERINGS[tampering]
    tamper(folder)
    capsys.readouterr()
    status = cli.main(["sample", folder, "--output", str(tmp_path / "s.png")])
    error = capsys.readouterr().err
    assert status == 1 and error.count("\n") == 1, error  # one line, no traceback
    assert checkpoint_path(folder) in error and expected in error, error
    assert not os.path.exists(tmp_path / "s.png")


def test_a_damaged_metrics_row_is_named_before_a_resume_touches_anything(trained_folder, tmp_path):
    folder = copy_of(trained_folder, tmp_path)
    log = os.path.join(folder, "metrics.csv")
    with open(log) as stream:
        lines = stream.readlines()
    lines[2] = "x" + lines[2]
    with open(log, "w") as stream:
        stream.writelines(lines)
    before = {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}
    data = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"metrics\.csv is damaged: line 3 .* not a number"):
        GAN(seed=0, latent_dim=8).train(
            iterations=6, batch_size=4, data=data, output_dir=folder, resume=True, verbose=0
        )
    after = {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}
    assert after == before


# --------------------------------------------------------------------------------------------
# Data that is no array of images, and pickled datasets.


def test_data_that_cannot_form_an_array_is_said_in_the_users_terms(tmp_path):
    gan = GAN(latent_dim=8)
    ragged = [np.zeros((28, 28, 1)), np.zeros((27, 28, 1))]
    with pytest.raises(ValueError, match="not all of the same shape") as error:
        gan.train(iterations=1, batch_size=1, data=ragged, output_dir=tmp_path, verbose=0)
    assert "(N, 28, 28, 1)" in str(error.value)
    pair = (np.zeros((4, 28, 28, 1), "uint8"), np.arange(4))
    with pytest.raises(ValueError, match=r"a pair, \(images, labels\).*for CGAN"):
        gan.train(iterations=1, batch_size=1, data=pair, output_dir=tmp_path, verbose=0)
    assert os.listdir(tmp_path) == []


class RunsCode:
    """What a tampered pickle can hold: an instruction to call a function when loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_cifar10_pickles_load_without_running_code(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    expected = write_fake_cifar10_batches(str(folder))
    np.testing.assert_array_equal(datasets.load_cifar10(str(tmp_path)), expected)
    marker = tmp_path / "the pickle ran code"
    with open(folder / "data_batch_1", "wb") as stream:
        pickle.dump({b"data": RunsCode(str(marker)), b"labels": [0]}, stream)
    with pytest.raises(ValueError, match=r"data_batch_1 .*asks to run .*open.*refused"):
        datasets.load_cifar10(str(tmp_path))
    assert not marker.exists()


def test_a_data_dir_set_for_mnist_does_not_break_cifar10(tmp_path, monkeypatch):
    mnist_folder = tmp_path / "data"
    mnist_folder.mkdir()  # MNIST's files would be here; CIFAR-10 in a folder beside them
    expected = write_fake_cifar10_batches(str(mnist_folder / "cifar10" / "cifar-10-batches-py"))
    monkeypatch.setenv("KERAS_GAN_DATA_DIR", str(mnist_folder))
    monkeypatch.delenv("KERAS_GAN_CIFAR10_DIR", raising=False)
    np.testing.assert_array_equal(datasets.load_cifar10(), expected)
    own = write_fake_cifar10_batches(str(tmp_path / "own"), images_per_batch=2)
    monkeypatch.setenv("KERAS_GAN_CIFAR10_DIR", str(tmp_path / "own"))
    np.testing.assert_array_equal(datasets.load_cifar10(), own)


# --------------------------------------------------------------------------------------------
# Temporary files, names a shell or glob reads, outputs that exist.


def test_a_link_planted_under_a_temporary_name_redirects_nothing(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "grid.png"
    # every name the old scheme could use: this process's id, and a few beside it
    for pid in range(os.getpid() - 2, os.getpid() + 3):
        os.symlink(victim, tmp_path / f".grid.png.{pid}.tmp")
    with atomic_path(str(target)) as temporary:
        with open(temporary, "w") as stream:
            stream.write("the new file")
    assert victim.read_text() == "keep me"
    assert target.read_text() == "the new file" and not target.is_symlink()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666 & ~umask  # as open() would make it


def test_shell_and_glob_characters_in_a_folder_name(tmp_path, capsys):
    folder = str(tmp_path / "run [1] *?$HOME;'x'")
    data = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    gan = GAN(seed=0, latent_dim=8)
    gan.train(
        iterations=2, batch_size=4, sample_interval=1, data=data, output_dir=folder, verbose=0
    )
    assert [os.path.basename(p) for p in plots.grid_paths(folder)] == ["0.png", "1.png", "2.png"]
    assert cli.main(["gif", folder]) == 0
    assert os.path.exists(os.path.join(folder, "progress.gif"))
    # a second fresh run there goes beside it, and resume finds the latest of the two
    GAN(seed=1, latent_dim=8).train(
        iterations=2, batch_size=4, data=data, output_dir=folder, verbose=0
    )
    assert os.path.exists(checkpoint_path(folder + "-2"))


@pytest.mark.parametrize("command", ["sample", "export"])
def test_an_existing_output_is_replaced_only_with_overwrite(
    trained_folder, tmp_path, capsys, command
):
    output = tmp_path / ("out.png" if command == "sample" else "out.keras")
    output.write_bytes(b"earlier work")
    status = cli.main([command, trained_folder, "--output", str(output)])
    error = capsys.readouterr().err
    assert status == 1 and "exists already" in error and "--overwrite" in error, error
    assert output.read_bytes() == b"earlier work"
    assert cli.main([command, trained_folder, "--output", str(output), "--overwrite"]) == 0
    assert output.read_bytes() != b"earlier work" and output.stat().st_size > 100


# --------------------------------------------------------------------------------------------
# The first hour: the progress bar's own figures agree.


@pytest.mark.parametrize("first_iteration", [1, 5001], ids=["fresh", "resumed"])
def test_the_progress_bars_ms_per_iteration_and_iterations_per_second_agree(
    monkeypatch, capsys, first_iteration
):
    from keras_gan.callbacks import ProgressBar

    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    bar = ProgressBar()
    bar.set_params({"iterations": 10000})
    bar.on_train_begin({})
    for iteration in range(first_iteration, first_iteration + 20):
        clock[0] += 0.1 if iteration > first_iteration else 3.0  # the first compiles: slow
        bar.on_train_batch_end(iteration, {"d_loss": 0.5})
    shown = capsys.readouterr().out.replace("\b", "\r").split("\r")[-1]
    milliseconds = float(re.search(r"(\d+)ms/it", shown).group(1))
    per_second = float(re.search(r"it/s: ([\d.]+)", shown).group(1))
    assert milliseconds == pytest.approx(100, abs=1), shown
    assert per_second == pytest.approx(10, rel=1e-3), shown
