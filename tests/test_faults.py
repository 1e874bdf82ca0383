"""What a real machine does to a run, and what happens then (issue 22): stopped by SIGTERM, two
processes on one folder, tampered or partial files, data that is no array, names a shell or a
glob pattern reads, outputs that exist already."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from keras_gan import GAN
from keras_gan.checkpoints import checkpoint_path, load_checkpoint

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
