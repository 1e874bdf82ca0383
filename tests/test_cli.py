"""The `keras-gan` command: it trains every model, resumes, samples, exports, animates, and
every mistake is one clear line."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from keras_gan import GAN, cli
from keras_gan.checkpoints import checkpoint_path, load_gan, read_description

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def keras_gan(*arguments, timeout=1500):
    """Run the command as a user would (a fresh process), returning the finished process."""
    env = {**os.environ, "PYTHONPATH": REPOSITORY_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "keras_gan.cli", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def one_error_line(result, after_keras_loads=False):
    """The one line a failed command printed. Once Keras has loaded, TensorFlow's own start-up
    log lines (which it prints whatever TF_CPP_MIN_LOG_LEVEL says) may come before it."""
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if after_keras_loads:
        lines = [line for line in lines if not TENSORFLOW_LOG_LINE.match(line)]
    assert len(lines) == 1, result.stderr
    return lines[0]


TENSORFLOW_LOG_LINE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before absl)")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    GAN(seed=0).train(iterations=3, batch_size=8, data=data, output_dir=str(folder), verbose=0)
    return folder


def train_in_process(mnist_data_dir, folder, *arguments):
    """`keras-gan train` through main() (what the console script calls), quietly, on real MNIST."""
    common = [
        "train",
        "--data-dir",
        mnist_data_dir,
        "--output-dir",
        str(folder),
        "--batch-size",
        "8",
        "--sample-interval",
        "2",
        "--checkpoint-interval",
        "2",
        "--quiet",
    ]
    return cli.main([*common, *map(str, arguments)])


def test_sample_writes_a_grid_from_a_run_folder(trained_run, tmp_path):
    result = keras_gan("sample", trained_run, "--output", tmp_path / "grid.png", "--seed", 1)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "grid.png").size == (3 * 152, 3 * 152)


def test_sample_writes_an_array_of_samples(trained_run, tmp_path):
    assert (
        cli.main(
            [
                "sample",
                str(trained_run / "checkpoint.npz"),
                "-n",
                "7",
                "--output",
                str(tmp_path / "s.npy"),
            ]
        )
        == 0
    )
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (7, 28, 28, 1) and samples.min() >= -1 and samples.max() <= 1


def test_gif_command_animates_the_grids(trained_run, tmp_path):
    assert cli.main(["gif", str(trained_run), "--output", str(tmp_path / "p.gif")]) == 0
    assert Image.open(tmp_path / "p.gif").n_frames == 2  # 0.png and 3.png


def test_export_writes_the_generator(trained_run, tmp_path):
    assert cli.main(["export", str(trained_run), "--output", str(tmp_path / "g.keras")]) == 0
    assert (tmp_path / "g.keras").stat().st_size > 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "--model", "transformer"], "argument --model: invalid choice: 'transformer'"),
        (["train", "--iterations", "many"], "argument --iterations: invalid int value"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["train", "--dataset", "folder"], "--dataset folder needs --folder PATH"),
        (["train", "--dataset", "folder", "--folder", "/nonexistent/faces"], "is not a folder"),
        (["train", "--iterations", "0"], "--iterations must be >= 1, got 0"),
        (["train", "--image-size", "32"], "--image-size applies to --dataset folder only"),
        (["train", "--filters", "32"], "--filters applies to --model dcgan/cgan only, not gan"),
        (
            ["train", "--model", "dcgan", "--clip-value", "0.1"],
            "--clip-value applies to --model wgan only, not dcgan",
        ),
        (
            ["train", "--model", "cgan", "--dataset", "cifar10"],
            "--model cgan trains on labelled digits",
        ),
        (["train", "--resume", "--overwrite"], "not both"),
        (["train", "--resume", "--seed", "3"], "--seed sets up a new run"),
        (["train", "--dataset", "cifar10", "--eval-interval", "5"], "use it with --dataset mnist"),
        (["sample", "/nonexistent/run"], "No checkpoint at"),
        (["export", "/nonexistent/run", "--output", "g.h5"], "--output must end in .keras"),
        (["gif", "/nonexistent/run"], "is not a folder"),
        (["evaluate", "/nonexistent/run", "-n", "1"], "--count must be >= 2"),
    ],
)
def test_each_error_is_one_line_and_a_failure_status(arguments, message):
    # Caught before any training starts; `train` loads Keras first (its model flags come from the
    # models' setting declarations), so TensorFlow's start-up lines may come before the error.
    line = one_error_line(keras_gan(*arguments), after_keras_loads=arguments[0] == "train")
    assert message in line and "error" in line


def test_a_setting_a_model_does_not_take_is_one_line_too():
    line = one_error_line(
        keras_gan("train", "--model", "lsgan", "--from-logits", "--iterations", "1"),
        after_keras_loads=True,
    )
    assert "keras-gan train: error: LSGAN takes no from_logits" in line


def test_help_reads_well():
    result = keras_gan("train", "--help")
    assert result.returncode == 0
    for flag in (
        "--model",
        "--dataset",
        "--resume",
        "--iterations",
        "--output-dir",
        "--d-steps",
        "--filters",
        "--learning-rate",
        "--beta-1",
        "--from-logits",
        "--label-smoothing",
        "--jit-compile",
        "--no-compile-iteration",
        "--tensorboard",
        "--clip-value",
        "--penalty-weight",
        "--r1-gamma",
        "--ema-momentum",
        "--fakes-in-training-mode",
        "--devices",
    ):
        assert flag in result.stdout


@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan", "lsgan", "wgan", "wgangp"])
def test_every_model_trains_resumes_samples_and_is_evaluated_from_the_command_line(
    model, mnist_data_dir, tmp_path, capsys
):
    folder = tmp_path / "run"
    # Non-default settings, rebuilt from the checkpoint: a DCGAN's width, the quality levers.
    extra = {
        "dcgan": ["--filters", "8"],
        "cgan": ["--filters", "8"],
        "gan": ["--ema-momentum", "0.9", "--fakes-in-training-mode", "--r1-gamma", "1"],
        "wgangp": ["--penalty-weight", "5"],
    }.get(model, [])
    assert (
        train_in_process(
            mnist_data_dir, folder, "--model", model, "--iterations", 2, "--seed", 0, *extra
        )
        == 0
    )
    assert train_in_process(mnist_data_dir, folder, "--iterations", 3, "--resume") == 0
    gan = load_gan(str(folder))
    assert type(gan).__name__ == {"gan": "GAN"}.get(model, model.upper()) and gan.iteration == 3
    if model in ("dcgan", "cgan"):
        assert gan.filters == 8
    if model == "gan":
        assert gan.ema_momentum == 0.9 and gan.fakes_in_training_mode is True
        assert gan.r1_gamma == 1.0
    if model == "wgangp":
        assert gan.penalty_weight == 5.0
    label = ["--label", "7"] if model == "cgan" else []
    assert (
        cli.main(
            [
                "sample",
                str(folder),
                "-n",
                "4",
                "--seed",
                "1",
                "--output",
                str(tmp_path / "s.npy"),
                *label,
            ]
        )
        == 0
    )
    noise = np.random.default_rng(1).normal(size=(4, gan.latent_dim))
    expected = gan.generate(4, noise=noise, **({"labels": 7} if model == "cgan" else {}))
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), expected, atol=1e-5)
    if model == "cgan":  # without --label the classes are drawn at random: the seed fixes them too
        drawn = []
        for name in ("a.npy", "b.npy"):
            assert (
                cli.main(
                    [
                        "sample",
                        str(folder),
                        "-n",
                        "6",
                        "--seed",
                        "2",
                        "--output",
                        str(tmp_path / name),
                    ]
                )
                == 0
            )
            drawn.append(np.load(tmp_path / name))
        np.testing.assert_array_equal(drawn[0], drawn[1])
    assert cli.main(["evaluate", str(folder), "-n", "200", "--data-dir", mnist_data_dir]) == 0
    printed = capsys.readouterr().out
    assert "iteration 3: Frechet distance" in printed
    assert ("conditional accuracy" in printed) == (model == "cgan")


def test_a_second_run_without_resume_goes_to_a_new_folder_and_resume_keeps_the_checkpoints_settings(
    mnist_data_dir, tmp_path
):
    folder = tmp_path / "run"
    assert (
        train_in_process(
            mnist_data_dir, folder, "--iterations", 2, "--learning-rate", 1e-3, "--eval-interval", 2
        )
        == 0
    )
    assert train_in_process(mnist_data_dir, folder, "--iterations", 2) == 0
    assert (tmp_path / "run-2" / "checkpoint.npz").exists()  # the first run kept as it was
    assert read_description(checkpoint_path(str(folder)))["iteration"] == 2
    # Resumed without --learning-rate: the checkpoint's rate, not the command's default.
    assert (
        train_in_process(
            mnist_data_dir,
            folder,
            "--iterations",
            4,
            "--resume",
            "--no-compile-iteration",
            "--jit-compile",
            "false",
            "--eval-interval",
            2,
        )
        == 0
    )
    assert read_description(checkpoint_path(str(folder)))["settings"]["learning_rate"] == 1e-3
    # With it: the rate given, and saved.
    assert (
        train_in_process(
            mnist_data_dir, folder, "--iterations", 5, "--resume", "--learning-rate", 5e-4
        )
        == 0
    )
    gan = load_gan(str(folder))
    assert gan.iteration == 5 and float(gan.combined.optimizer.learning_rate) == pytest.approx(5e-4)
    rows = (folder / "metrics.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == [1, 2, 3, 4, 5]
    quality = [row.split(",") for row in (folder / "quality.csv").read_text().splitlines()[1:]]
    assert [int(row[0]) for row in quality] == [0, 2, 4]
    assert all(float(row[1]) > 0 and 1 <= float(row[2]) <= 10 for row in quality)


def test_sample_label_on_a_model_without_classes_is_a_clear_error(trained_run, tmp_path):
    result = keras_gan("sample", trained_run, "--label", "3", "--output", tmp_path / "x.png")
    assert "conditional model" in one_error_line(result, after_keras_loads=True)


def test_a_checkpoint_of_a_gan_defined_in_a_script_says_how_to_load_it(tmp_path):
    script = f"""
        import numpy as np
        from keras_gan import GAN
        class MyGAN(GAN):
            pass
        data = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
        MyGAN(latent_dim=8).train(iterations=1, batch_size=8, data=data,
                                  output_dir={str(tmp_path)!r}, verbose=0)
    """
    env = {**os.environ, "PYTHONPATH": REPOSITORY_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        check=True,
        capture_output=True,
        timeout=1500,
    )
    line = one_error_line(keras_gan("sample", tmp_path), after_keras_loads=True)
    assert "__main__.MyGAN, which cannot be imported here" in line and "load_checkpoint(gan" in line
