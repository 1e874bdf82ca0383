"""Callbacks in a GAN run: Keras' own work or are refused up front, any callback can stop a run
cleanly, and a failing one never costs the run its checkpoint or its folder."""

import csv
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_gan import GAN
from keras_gan.callbacks import QualityLog, TensorBoard
from keras_gan.checkpoints import checkpoint_path, read_description
from keras_gan.plots import grid_paths

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_images(count=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 28, 28, 1)).astype("float32")


def train(gan, folder, iterations=6, **options):
    return gan.train(
        iterations=iterations,
        batch_size=8,
        sample_interval=2,
        data=random_images(),
        output_dir=folder,
        verbose=0,
        **options,
    )


def open_files_under(folder):
    """The files under `folder` this process holds open (Linux)."""
    folder, links = os.path.realpath(folder), []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(os.path.join("/proc/self/fd", descriptor)))
        except FileNotFoundError:  # the descriptor listdir itself used, closed since
            pass
    return [link for link in links if link.startswith(folder)]


class StopAt(keras.callbacks.Callback):
    def __init__(self, iteration):
        super().__init__()
        self.iteration = iteration

    def on_train_batch_end(self, iteration, logs=None):
        if iteration == self.iteration:
            self.model.stop_training = True


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", self.model.iteration))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_batch_end(self, iteration, logs=None):
        self.calls.append(("batch_end", iteration))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end", self.model.iteration))


def test_a_keras_callback_sees_the_gan_each_iteration_and_each_sample_interval(tmp_path):
    recorder = Recorder()
    train(GAN(seed=0), tmp_path, iterations=5, callbacks=[recorder])
    names = ["d_accuracy", "d_fake", "d_loss", "d_real", "g_loss"]
    assert recorder.calls == [
        ("train_begin", 0),
        ("batch_end", 1),
        ("batch_end", 2),
        ("epoch_end", 0, names),
        ("batch_end", 3),
        ("batch_end", 4),
        ("epoch_end", 1, names),
        ("batch_end", 5),
        ("epoch_end", 2, names),
        ("train_end", 5),
    ]


def test_keras_csv_logger_lambda_callback_and_early_stopping_work(tmp_path):
    seen = []
    callbacks = [
        keras.callbacks.CSVLogger(str(tmp_path / "epochs.csv")),
        keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda iteration, logs: seen.append((iteration, logs["g_loss"]))
        ),
        keras.callbacks.EarlyStopping(
            monitor="g_loss", mode="min", patience=0, min_delta=1e9
        ),  # stops at epoch 2
    ]
    gan = GAN(seed=0)
    history = train(gan, tmp_path / "run", iterations=20, callbacks=callbacks)
    assert gan.iteration == 4 and len(history["g_loss"]) == 4, (
        "EarlyStopping ended the run after two epochs"
    )
    assert [iteration for iteration, _ in seen] == [1, 2, 3, 4]
    np.testing.assert_allclose([loss for _, loss in seen], history["g_loss"])
    with open(tmp_path / "epochs.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert float(rows[0]["g_loss"]) == pytest.approx(np.mean(history["g_loss"][:2]), rel=1e-5)


def test_a_callback_stopping_the_run_ends_it_like_ctrl_c(tmp_path, capsys):
    gan = GAN(seed=0)
    train(gan, tmp_path, iterations=50, callbacks=[StopAt(3)])
    assert gan.iteration == 3 and not gan.stop_training  # ready to train again
    assert read_description(checkpoint_path(str(tmp_path)))["iteration"] == 3
    assert [os.path.basename(p) for p in grid_paths(str(tmp_path))] == ["0.png", "2.png", "3.png"]
    assert "Stopped at iteration 3" in capsys.readouterr().out
    train(gan, tmp_path, iterations=5)  # carries on in its own folder
    assert gan.iteration == 5


@pytest.mark.parametrize(
    "callback, message",
    [
        (
            keras.callbacks.ModelCheckpoint("x.keras"),
            "ModelCheckpoint does not fit a GAN run: a GAN saves its own checkpoints",
        ),
        (keras.callbacks.TensorBoard("logs"), "pass keras_gan.callbacks.TensorBoard"),
        (keras.callbacks.TerminateOnNaN(), "already ends a run at the first NaN"),
        (keras.callbacks.LearningRateScheduler(lambda epoch: 1e-3), "two optimizers"),
        (keras.callbacks.EarlyStopping(restore_best_weights=True), "restore_best_weights"),
        (keras.callbacks.EarlyStopping(monitor="g_loss"), "pass mode='min'"),
    ],
)
def test_keras_callbacks_a_gan_cannot_honour_are_refused_up_front_saying_what_to_use(
    callback, message, tmp_path
):
    with pytest.raises(ValueError, match=message):
        train(GAN(seed=0), tmp_path, callbacks=[callback])
    assert not os.path.exists(tmp_path) or not os.listdir(tmp_path)


def test_an_old_style_keras_gan_callback_is_refused_with_how_to_update_it(tmp_path):
    class OldStyle:
        def on_iteration_end(self, gan, iteration, logs):
            pass

    with pytest.raises(ValueError, match="override on_train_batch_end.*self.model"):
        train(GAN(seed=0), tmp_path, callbacks=[OldStyle()])


def test_a_run_that_fails_before_its_first_iteration_leaves_its_folder_as_found_and_can_be_retried(
    tmp_path,
):
    class FailsAtStart(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            raise RuntimeError("this callback cannot start")

    folder = tmp_path / "run"
    gan = GAN(seed=0)
    with pytest.raises(RuntimeError, match="cannot start"):
        train(gan, folder, callbacks=[FailsAtStart()])
    assert not os.path.exists(folder) or os.listdir(folder) == []
    assert open_files_under(tmp_path) == [], "the metrics log was left open"
    train(gan, folder)  # the same call again, without the failing callback: the same folder
    assert gan.output_dir == os.path.realpath(folder) and gan.iteration == 6


def test_a_callback_failing_at_the_end_does_not_cost_the_final_checkpoint(tmp_path):
    class FailsAtEnd(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            raise RuntimeError("this callback fails at the end")

    gan = GAN(seed=0)
    with pytest.raises(RuntimeError, match="fails at the end"):
        train(gan, tmp_path, iterations=7, checkpoint_interval=5, callbacks=[FailsAtEnd()])
    assert read_description(checkpoint_path(str(tmp_path)))["iteration"] == 7
    assert (tmp_path / "7.png").exists() and (tmp_path / "progress.gif").exists()


# --------------------------------------------------------------------------------------------
# TensorBoard: read back with TensorBoard's own reader.


def read_tensorboard(log_dir):
    """{tag: [(step, value)]} of the scalars, and [(step, tensor)] of the sample grids, as
    TensorBoard's own reader finds them."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    events.Reload()
    tags = events.Tags()["tensors"]
    scalars = {
        tag: [
            (event.step, float(tf.make_ndarray(event.tensor_proto)))
            for event in events.Tensors(tag)
        ]
        for tag in tags
        if tag != "samples"
    }
    images = (
        [(event.step, event.tensor_proto) for event in events.Tensors("samples")]
        if "samples" in tags
        else []
    )
    return scalars, images


def test_tensorboard_gets_every_logged_value_the_grid_and_the_quality_numbers(
    tmp_path, mnist_data_dir
):
    gan = GAN(seed=0)
    history = train(
        gan,
        tmp_path / "run",
        iterations=4,
        callbacks=[
            QualityLog(2, data_dir=mnist_data_dir, samples=200, verbose=0),
            TensorBoard(tmp_path / "logs"),
        ],
    )
    scalars, images = read_tensorboard(tmp_path / "logs")
    for name in (
        "losses/d_loss",
        "losses/g_loss",
        "discriminator/d_accuracy",
        "discriminator/d_real",
        "discriminator/d_fake",
    ):
        assert [step for step, _ in scalars[name]] == [1, 2, 3, 4], name
        np.testing.assert_allclose(
            [value for _, value in scalars[name]], history[name.split("/")[1]], rtol=1e-5
        )
    assert [step for step, _ in scalars["quality/frechet_distance"]] == [
        0,
        2,
        4,
    ]  # before training, too
    with open(tmp_path / "run" / "quality.csv") as stream:
        logged = [float(row["frechet_distance"]) for row in csv.DictReader(stream)]
    np.testing.assert_allclose(
        [value for _, value in scalars["quality/frechet_distance"]], logged, rtol=1e-4
    )
    assert [step for step, _ in images] == [0, 2, 4]
    import tensorflow as tf

    picture = tf.io.decode_png(tf.make_ndarray(images[-1][1])[2]).numpy()  # [width, height, png]
    assert picture.shape[:2] == (2 * (5 * 30 + 2),) * 2 and picture.std() > 0


def test_tensorboard_works_on_the_jax_backend_too(tmp_path):
    code = f"""
        import numpy as np, keras
        from keras_gan import GAN
        from keras_gan.callbacks import TensorBoard
        assert keras.backend.backend() == "jax"
        data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
        GAN(seed=0, latent_dim=8).train(iterations=2, batch_size=8, sample_interval=2, data=data,
            output_dir={str(tmp_path / "run")!r}, verbose=0,
            callbacks=[TensorBoard({str(tmp_path / "logs")!r})])
    """
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": REPOSITORY_ROOT,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scalars, images = read_tensorboard(tmp_path / "logs")
    assert [step for step, _ in scalars["losses/g_loss"]] == [1, 2] and [
        step for step, _ in images
    ] == [0, 2]
