"""A run leaves what it promises (grids, log, plot, GIF, checkpoint, generator), and loses nothing:
not when it is stopped, re-run, resumed, overwritten, or given bad input."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import numpy as np
import pytest
from keras import layers, ops

from keras_gan import GAN
from keras_gan.checkpoints import (
    checkpoint_path,
    load_checkpoint,
    read_description,
    save_checkpoint,
)
from keras_gan.plots import grid_paths, read_metrics

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_images(count=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 28, 28, 1)).astype("float32")


def csv_iterations(folder):
    with open(os.path.join(folder, "metrics.csv"), newline="") as stream:
        return [int(row["iteration"]) for row in csv.DictReader(stream)]


def grid_names(folder):
    return [os.path.basename(path) for path in grid_paths(str(folder))]


def weights(model):
    return [ops.convert_to_numpy(v).copy() for v in model.variables]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("run"))
    gan = GAN(seed=0)
    history = gan.train(
        iterations=10,
        batch_size=8,
        sample_interval=4,
        data=random_images(),
        output_dir=folder,
        checkpoint_interval=4,
        verbose=0,
    )
    return gan, history, folder


def test_history_has_one_finite_value_per_iteration(finished_run):
    _, history, _ = finished_run
    assert set(history) == {"d_loss", "d_accuracy", "g_loss", "d_real", "d_fake"}
    for values in history.values():
        assert len(values) == 10 and np.all(np.isfinite(values))


def test_grids_at_start_every_interval_and_last_iteration(finished_run):
    _, _, folder = finished_run
    assert grid_names(folder) == ["0.png", "4.png", "8.png", "10.png"]


def test_run_writes_metrics_plot_gif_checkpoint_and_generator(finished_run):
    gan, history, folder = finished_run
    for name in ("metrics.csv", "losses.png", "progress.gif", "checkpoint.npz", "generator.keras"):
        assert os.path.getsize(os.path.join(folder, name)) > 0, name
    metrics = read_metrics(os.path.join(folder, "metrics.csv"))
    assert list(metrics) == [
        "iteration",
        "d_loss",
        "d_accuracy",
        "d_real",
        "d_fake",
        "g_loss",
        "time",
    ]
    np.testing.assert_array_equal(metrics["iteration"], np.arange(1, 11))
    np.testing.assert_allclose(metrics["g_loss"], history["g_loss"], rtol=1e-5)
    from PIL import Image

    assert Image.open(os.path.join(folder, "progress.gif")).n_frames == 4


def test_no_temporary_files_are_left_behind(finished_run):
    _, _, folder = finished_run
    assert not [name for name in os.listdir(folder) if ".tmp" in name]


def test_log_interval_logs_every_kth_iteration(tmp_path):
    GAN(seed=0).train(
        iterations=9,
        batch_size=8,
        data=random_images(),
        output_dir=tmp_path,
        log_interval=3,
        verbose=0,
    )
    assert csv_iterations(tmp_path) == [3, 6, 9]


def test_uint8_data_trains_without_a_float_copy_of_the_dataset(tmp_path):
    # A float32 copy of the data would take 4x its memory (10 GB for a CelebA-sized folder):
    # train() keeps uint8 pixels and scales each batch as it draws it.
    pixels = np.random.default_rng(0).integers(0, 256, (120000, 28, 28), dtype=np.uint8)  # 94 MB
    gan = GAN(seed=0, latent_dim=8)
    gan.train(
        iterations=1, batch_size=8, data=pixels[:64], output_dir=tmp_path / "warm", verbose=0
    )  # compile first
    tracemalloc.start()
    history = gan.train(
        iterations=4, batch_size=8, data=pixels, output_dir=tmp_path / "run", verbose=0
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.all(np.isfinite(history["d_loss"]))
    # What the peak holds is the checkpoint's copies of the weights (~35 MB), not the data.
    assert peak < 0.5 * pixels.nbytes, (
        f"peak {peak / 1e6:.1f} MB while training on {pixels.nbytes / 1e6:.1f} MB of uint8"
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"data": np.zeros((10, 32, 32, 3), "float32")}, r"shape \(10, 32, 32, 3\).*\(28, 28, 1\)"),
        ({"data": np.full((10, 28, 28, 1), 255.0, "float32")}, r"\[255, 255\].*\[-1, 1\]"),
        ({"data": np.full((10, 28, 28, 1), np.nan, "float32")}, "NaN"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"batch_size": 11}, "batch_size 11 is larger than the data"),
        ({"iterations": 0}, "iterations must be"),
        ({"sample_interval": 0}, "sample_interval must be"),
        ({"output_dir": "/proc/keras_gan_cannot_write_here"}, "Cannot write to the output folder"),
        ({"resume": True, "overwrite": True}, "not both"),
        ({"callbacks": [object()]}, "keras.callbacks.Callback instances"),
    ],
)
def test_bad_input_is_a_clear_error_before_training(tmp_path, arguments, message):
    gan = GAN(seed=0)
    before = weights(gan.generator)
    arguments = {
        "data": random_images(10),
        "output_dir": str(tmp_path / "out"),
        "verbose": 0,
        **arguments,
    }
    with pytest.raises(ValueError, match=message):
        gan.train(
            iterations=arguments.pop("iterations", 3),
            batch_size=arguments.pop("batch_size", 4),
            **arguments,
        )
    assert gan.iteration == 0
    for old, new in zip(before, weights(gan.generator)):
        np.testing.assert_array_equal(old, new)
    assert not os.path.exists(tmp_path / "out" / "metrics.csv")


def test_overwrite_with_bad_data_deletes_nothing(finished_run, tmp_path):
    # Found in a classroom: data * 255 with overwrite=True emptied the earlier run's folder first.
    _, _, folder = finished_run
    before = sorted(os.listdir(folder))
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
        GAN(seed=1).train(
            iterations=3,
            batch_size=4,
            data=random_images(10) * 255,
            output_dir=folder,
            overwrite=True,
            verbose=0,
        )
    assert sorted(os.listdir(folder)) == before


def test_a_fresh_run_into_a_folder_holding_a_run_goes_to_a_numbered_folder_beside_it(
    finished_run, capsys
):
    _, _, folder = finished_run
    before = {name: os.path.getmtime(os.path.join(folder, name)) for name in os.listdir(folder)}
    gan = GAN(seed=1)
    gan.train(iterations=2, batch_size=8, data=random_images(), output_dir=folder, verbose=0)
    assert gan.output_dir == os.path.realpath(folder + "-2")
    assert csv_iterations(folder + "-2") == [1, 2]
    assert {
        name: os.path.getmtime(os.path.join(folder, name)) for name in os.listdir(folder)
    } == before
    assert "holds an earlier run, kept as it is: this run writes to" in capsys.readouterr().out


def test_training_again_with_the_same_folder_named_continues_in_the_numbered_one(tmp_path):
    # The notebook's second kernel: its run went to run-2; its train cell, run again with the
    # same output_dir, must carry on there, not start a run-3 with half the log.
    data = random_images()
    GAN(seed=0).train(iterations=2, batch_size=8, data=data, output_dir=tmp_path / "run", verbose=0)
    gan = GAN(seed=1)
    gan.train(iterations=2, batch_size=8, data=data, output_dir=tmp_path / "run", verbose=0)
    gan.train(iterations=4, batch_size=8, data=data, output_dir=tmp_path / "run", verbose=0)
    assert csv_iterations(tmp_path / "run-2") == [1, 2, 3, 4] and not (tmp_path / "run-3").exists()
    assert csv_iterations(tmp_path / "run") == [1, 2]


def test_the_default_folder_is_images_then_images_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for expected in ("images", "images-2", "images-3"):
        gan = GAN(seed=0)
        gan.train(iterations=1, batch_size=8, data=random_images(16), verbose=0)
        assert gan.output_dir == os.path.realpath(expected) and csv_iterations(expected) == [1]


def test_training_the_same_gan_again_continues_its_run_and_deletes_nothing(tmp_path):
    # The classroom flow "raise ITERATIONS and run the cell again", even with overwrite=True.
    gan = GAN(seed=0)
    data = random_images()
    gan.train(
        iterations=4,
        batch_size=8,
        sample_interval=2,
        data=data,
        output_dir=tmp_path,
        overwrite=True,
        verbose=0,
    )
    gan.train(
        iterations=8,
        batch_size=8,
        sample_interval=2,
        data=data,
        output_dir=tmp_path,
        overwrite=True,
        verbose=0,
    )
    assert csv_iterations(tmp_path) == list(range(1, 9))
    assert grid_names(tmp_path) == ["0.png", "2.png", "4.png", "6.png", "8.png"]
    from PIL import Image

    assert Image.open(tmp_path / "progress.gif").n_frames == 5
    gan.train(
        iterations=10, batch_size=8, sample_interval=2, data=data, verbose=0
    )  # no folder named: its own
    assert csv_iterations(tmp_path) == list(range(1, 11))


def test_overwrite_starts_afresh(tmp_path):
    data = random_images()
    GAN(seed=0).train(
        iterations=6, batch_size=8, sample_interval=3, data=data, output_dir=tmp_path, verbose=0
    )
    GAN(seed=0).train(
        iterations=2,
        batch_size=8,
        sample_interval=3,
        data=data,
        output_dir=tmp_path,
        overwrite=True,
        verbose=0,
    )
    assert csv_iterations(tmp_path) == [1, 2]
    assert grid_names(tmp_path) == ["0.png", "2.png"]
    assert ".replaced-run" not in os.listdir(
        tmp_path
    )  # the replaced run is gone once the new one trained


def test_an_overwrite_that_fails_before_its_first_iteration_keeps_the_earlier_run(tmp_path):
    import keras

    class FailsAtStart(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            raise RuntimeError("this callback failed")

    data = random_images()
    GAN(seed=0).train(
        iterations=4, batch_size=8, sample_interval=2, data=data, output_dir=tmp_path, verbose=0
    )

    def files():
        return {name: (tmp_path / name).read_bytes() for name in sorted(os.listdir(tmp_path))}

    before = files()
    with pytest.raises(RuntimeError, match="this callback failed"):
        GAN(seed=1).train(
            iterations=4,
            batch_size=8,
            data=data,
            output_dir=tmp_path,
            overwrite=True,
            verbose=0,
            callbacks=[FailsAtStart()],
        )
    assert files() == before


def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path):
    data = random_images()
    straight = GAN(seed=5).train(
        iterations=8, batch_size=8, data=data, output_dir=tmp_path / "a", verbose=0
    )

    GAN(seed=5).train(iterations=4, batch_size=8, data=data, output_dir=tmp_path / "b", verbose=0)
    resumed_gan = GAN(seed=5)
    resumed = resumed_gan.train(
        iterations=8, batch_size=8, data=data, output_dir=tmp_path / "b", resume=True, verbose=0
    )

    assert resumed_gan.iteration == 8
    np.testing.assert_allclose(resumed["g_loss"], straight["g_loss"][4:], rtol=1e-4)
    np.testing.assert_allclose(resumed["d_loss"], straight["d_loss"][4:], rtol=1e-4)
    assert csv_iterations(tmp_path / "b") == list(range(1, 9))


def test_resume_takes_the_learning_rate_given_says_so_and_saves_it(tmp_path, capsys):
    # Adam keeps its learning rate as a variable: restoring it silently undid the setting given.
    data = random_images()
    GAN(seed=0, learning_rate=1e-3).train(
        iterations=2, batch_size=8, data=data, output_dir=tmp_path, verbose=0
    )
    gan = GAN(seed=0, learning_rate=5e-4)
    gan.train(iterations=4, batch_size=8, data=data, output_dir=tmp_path, resume=True, verbose=0)
    assert float(gan.discriminator.optimizer.learning_rate) == pytest.approx(5e-4)
    assert float(gan.combined.optimizer.learning_rate) == pytest.approx(5e-4)
    assert (
        "Resuming with learning_rate=0.0005 (the checkpoint's run had 0.001)"
        in capsys.readouterr().out
    )
    assert read_description(checkpoint_path(str(tmp_path)))["settings"]["learning_rate"] == 5e-4
    assert (
        int(gan.combined.optimizer.iterations) == 4
    )  # the rest of the optimizer state did come back


def test_resume_with_another_architecture_is_a_clear_error(finished_run):
    _, _, folder = finished_run
    with pytest.raises(ValueError, match="latent_dim 100 there, 64 here"):
        GAN(latent_dim=64).train(
            iterations=12,
            batch_size=8,
            data=random_images(),
            output_dir=folder,
            resume=True,
            verbose=0,
        )


def test_resume_with_other_output_kind_is_a_clear_error(finished_run):
    _, _, folder = finished_run
    with pytest.raises(ValueError, match="from_logits False there, True here"):
        GAN(from_logits=True).train(
            iterations=12,
            batch_size=8,
            data=random_images(),
            output_dir=folder,
            resume=True,
            verbose=0,
        )


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Cannot resume: no checkpoint"):
        GAN().train(iterations=2, data=random_images(), output_dir=tmp_path, resume=True, verbose=0)


def test_checkpoint_restores_weights_optimizers_noise_and_random_state(finished_run, tmp_path):
    gan, _, _ = finished_run
    path = save_checkpoint(gan, str(tmp_path / "c.npz"))
    other = load_checkpoint(GAN(seed=123), path)
    for model in ("generator", "discriminator"):
        for a, b in zip(getattr(gan, model).variables, getattr(other, model).variables):
            np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    for a, b in zip(gan.combined.optimizer.variables, other.combined.optimizer.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    assert other.iteration == gan.iteration == 10
    np.testing.assert_array_equal(other.fixed_noise, gan.fixed_noise)
    assert other.rng.normal() == gan.rng.normal()
    assert other.seed == gan.seed == 0


class NaNDiscriminatorGAN(GAN):
    """A GAN built to produce NaN: its discriminator multiplies everything by NaN."""

    def build_discriminator(self):
        model = super().build_discriminator()
        return __import__("keras").Sequential(
            [*model.layers[:-1], layers.Lambda(lambda x: x * float("nan")), model.layers[-1]]
        )


def test_nan_loss_stops_the_run_with_a_clear_message(tmp_path):
    with pytest.raises(FloatingPointError, match="diverged at iteration 1: d_loss is nan"):
        NaNDiscriminatorGAN(seed=0).train(
            iterations=5, batch_size=8, data=random_images(), output_dir=tmp_path, verbose=0
        )


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    gan = GAN(seed=0)
    gan.train(iterations=4, batch_size=8, data=random_images(), output_dir=tmp_path, verbose=0)
    kernel = gan.discriminator.layers[1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, "float32"))  # sabotage: D now outputs NaN
    with pytest.raises(FloatingPointError, match="iteration 5"):
        gan.train(iterations=8, batch_size=8, data=random_images(), output_dir=tmp_path, verbose=0)
    restored = load_checkpoint(GAN(seed=1), checkpoint_path(str(tmp_path)))
    assert restored.iteration == 4
    assert all(
        np.all(np.isfinite(ops.convert_to_numpy(v))) for v in restored.discriminator.variables
    )


def test_overwrite_removes_the_earlier_checkpoint_before_training(tmp_path):
    data = random_images()
    GAN(seed=0).train(iterations=4, batch_size=8, data=data, output_dir=tmp_path, verbose=0)
    with pytest.raises(FloatingPointError):
        NaNDiscriminatorGAN(seed=0).train(
            iterations=4, batch_size=8, data=data, output_dir=tmp_path, overwrite=True, verbose=0
        )
    # The failed new run must not leave the old run's checkpoint beside its own log to resume.
    assert not os.path.exists(checkpoint_path(str(tmp_path)))


def test_training_up_to_an_iteration_already_reached_is_a_clear_error(finished_run):
    gan, _, folder = finished_run
    with pytest.raises(ValueError, match="already trained 10 iterations.*more than 10"):
        gan.train(iterations=10, batch_size=8, data=random_images(), output_dir=folder, verbose=0)


def test_continuing_its_own_run_with_resume_or_overwrite_still_checks_and_says_what_it_does(
    tmp_path, capsys
):
    gan = GAN(seed=0)
    gan.train(iterations=3, batch_size=8, data=random_images(), output_dir=tmp_path, verbose=0)
    with pytest.raises(ValueError, match="already trained 3 iterations"):
        gan.train(
            iterations=2,
            batch_size=8,
            data=random_images(),
            output_dir=tmp_path,
            resume=True,
            verbose=0,
        )
    capsys.readouterr()
    gan.train(
        iterations=4,
        batch_size=8,
        data=random_images(),
        output_dir=tmp_path,
        overwrite=True,
        verbose=0,
    )
    assert "overwrite=True is ignored: this GAN continues its own run" in capsys.readouterr().out
    assert csv_iterations(tmp_path) == [1, 2, 3, 4]


def test_training_up_to_an_iteration_already_reached_makes_no_folder(finished_run, tmp_path):
    gan, _, _ = finished_run
    new_folder = tmp_path / "second"
    with pytest.raises(ValueError, match="already trained 10 iterations"):
        gan.train(
            iterations=5, batch_size=8, data=random_images(), output_dir=new_folder, verbose=0
        )
    assert not new_folder.exists()


def test_a_fresh_run_never_deletes_numbered_pictures_of_yours(tmp_path):
    (tmp_path / "1.png").write_bytes(b"a user's own picture")
    GAN(seed=0).train(
        iterations=2, batch_size=8, data=random_images(), output_dir=tmp_path, verbose=0
    )
    assert (tmp_path / "1.png").read_bytes() == b"a user's own picture"
    assert sorted(os.listdir(tmp_path)) == ["1.png"]


# --------------------------------------------------------------------------------------------
# Stopping: Ctrl-C, twice; a process killed mid-save.


def run_python(code, **kwargs):
    env = {**os.environ, "PYTHONPATH": REPOSITORY_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, **kwargs)


TRAIN_SCRIPT = """
    import numpy as np
    from keras_gan import GAN
    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    GAN(seed=0).train(iterations={iterations}, batch_size=8,
                      data=data, output_dir={folder!r}, checkpoint_interval=100000,
                      resume={resume}, verbose=0)
"""


# The same run, whose iteration, once a stop is asked for, lasts until a second signal comes (at
# most 600 s): a second Ctrl-C sent when the first is seen then always lands inside the run, as
# on a busy machine it may not when the rest of an iteration takes milliseconds.
TRAIN_SCRIPT_WAITING_AFTER_A_STOP = """
    import time
    import keras
    import numpy as np
    from keras_gan import GAN

    class WaitAfterAStop(keras.callbacks.Callback):
        def on_train_batch_end(self, iteration, logs=None):
            waited_until = time.time() + 600
            while self.model.stop_training and time.time() < waited_until:
                time.sleep(0.05)

    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    GAN(seed=0).train(iterations={iterations}, batch_size=8,
                      data=data, output_dir={folder!r}, checkpoint_interval=100000,
                      resume={resume}, verbose=0, callbacks=[WaitAfterAStop()])
"""


def start_long_run(folder, script=TRAIN_SCRIPT):
    """A run of `script` in its own process, once it has logged 5 iterations."""
    process = run_python(
        script.format(iterations=100000, folder=folder, resume=False),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 600
    while time.time() < deadline and process.poll() is None:
        if os.path.exists(os.path.join(folder, "metrics.csv")) and len(csv_iterations(folder)) >= 5:
            break
        time.sleep(0.2)
    else:  # a busy machine may take minutes; a run that never logged is a failure, said as one
        process.kill()
        pytest.fail(f"the run logged no 5 iterations in 600 s: {process.communicate()[0][-3000:]}")
    return process


def read_until(process, text, timeout=600):
    """What `process` prints up to and including the line holding `text` (all of it at its end)."""
    lines = []

    def read():
        for line in iter(process.stdout.readline, b""):
            lines.append(line.decode())
            if text in lines[-1]:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert not reader.is_alive(), f"no {text!r} in {timeout} s: {''.join(lines)[-3000:]}"
    return "".join(lines)


def test_interrupted_run_can_resume(tmp_path):
    folder = str(tmp_path)
    process = start_long_run(folder)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=600)[0].decode()
    assert process.returncode == 0, output
    assert "Stopped at iteration" in output and "resume" in output

    stopped_at = load_checkpoint(GAN(), checkpoint_path(folder)).iteration
    assert stopped_at >= 5
    assert csv_iterations(folder) == list(range(1, stopped_at + 1))
    assert os.path.exists(os.path.join(folder, f"{stopped_at}.png"))

    target = stopped_at + 6
    resume = run_python(
        TRAIN_SCRIPT.format(iterations=target, folder=folder, resume=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = resume.communicate(timeout=600)[0].decode()
    assert resume.returncode == 0, output
    assert csv_iterations(folder) == list(range(1, target + 1)), (
        "same numbering, no duplicated rows"
    )
    assert load_checkpoint(GAN(), checkpoint_path(folder)).iteration == target


def test_ctrl_c_twice_stops_at_once_and_the_log_and_checkpoint_agree(tmp_path):
    # A second Ctrl-C between the step and the count used to drop the last metrics row.
    folder = str(tmp_path)
    process = start_long_run(folder, TRAIN_SCRIPT_WAITING_AFTER_A_STOP)
    process.send_signal(signal.SIGINT)
    # Two signals that come during one long C call (a JAX step) reach Python as one: the second
    # is sent once the first has been seen.
    seen = read_until(process, "stopping after this iteration")
    process.send_signal(signal.SIGINT)
    output = seen + process.communicate(timeout=600)[0].decode()
    assert process.returncode != 0 and "KeyboardInterrupt" in output, output  # it did stop at once
    assert "Stopped at iteration" in output, output

    stopped_at = load_checkpoint(GAN(), checkpoint_path(folder)).iteration
    assert stopped_at >= 5
    assert csv_iterations(folder) == list(range(1, stopped_at + 1))
    assert os.path.exists(os.path.join(folder, f"{stopped_at}.png"))


def test_checkpoint_killed_mid_save_does_not_replace_the_last_good_one(tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    code = f"""
        import os, signal, numpy as np
        from keras_gan import GAN
        from keras_gan.checkpoints import save_checkpoint
        gan = GAN(seed=0)
        gan.iteration = 3
        save_checkpoint(gan, {path!r})
        gan.iteration = 4
        original_savez = np.savez
        def savez_then_die(stream, **arrays):
            stream.write(b"PK half a checkpoint")
            stream.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        np.savez = savez_then_die
        save_checkpoint(gan, {path!r})
    """
    process = run_python(code)
    process.wait(timeout=600)
    assert process.returncode == -signal.SIGKILL
    assert load_checkpoint(GAN(), path).iteration == 3
