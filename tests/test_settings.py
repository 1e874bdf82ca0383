"""A setting is declared once (keras_gan/settings.py), and everything else follows from that line:
the check, get_config, the checkpoint and resume, help(), and the `keras-gan train` flag."""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_gan import GAN, WGAN, checks
from keras_gan.checkpoints import checkpoint_path, load_gan
from keras_gan.settings import Setting, declared_settings

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A user's subclass with a setting of its own, in a module the CLI test can import by name.
USER_MODULE = '''
import keras
from keras import layers

from keras_gan import GAN, checks
from keras_gan.settings import Setting


class WideGAN(GAN):
    """An MLP generator one layer wide, as wide as `width` says."""

    width = Setting(16, checks.whole_number(1), "units of G's one hidden layer")

    def build_generator(self):
        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                layers.Dense(self.width, activation="relu"),
                layers.Dense(28 * 28, activation="tanh"),
                layers.Reshape((28, 28, 1)),
            ],
            name="generator",
        )
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "user_gans.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    import user_gans

    return importlib.reload(user_gans)


def random_images(count):
    return np.random.default_rng(0).uniform(-1, 1, (count, 28, 28, 1)).astype("float32")


def test_a_declared_setting_is_checked_stored_and_rebuilt_from_the_checkpoint(
    user_module, tmp_path
):
    with pytest.raises(ValueError, match="WideGAN: width must be a whole number >= 1, got 0"):
        user_module.WideGAN(width=0)
    gan = user_module.WideGAN(width=24, latent_dim=8, seed=0)
    assert gan.width == 24 and gan.generator.layers[0].units == 24
    assert gan.get_config() == {"width": 24, "latent_dim": 8, "seed": 0}
    gan.train(iterations=2, batch_size=4, data=random_images(8), output_dir=tmp_path, verbose=0)
    rebuilt = load_gan(str(tmp_path))
    assert type(rebuilt).__name__ == "WideGAN" and rebuilt.width == 24 and rebuilt.iteration == 2


def test_a_setting_of_a_users_subclass_is_a_command_line_flag(
    user_module, mnist_data_dir, tmp_path
):
    folder, data_dir = tmp_path / "run", mnist_data_dir
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), REPOSITORY_ROOT]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    command = [sys.executable, "-m", "keras_gan.cli", "train", "--model", "user_gans:WideGAN"]
    help_text = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=env, timeout=600
    ).stdout
    assert "--width" in help_text and "units of G's one hidden layer" in help_text
    result = subprocess.run(
        [*command, "--width", "12", "--iterations", "2", "--batch-size", "4", "--quiet"]
        + ["--sample-interval", "1", "--output-dir", str(folder), "--data-dir", data_dir],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    description = json.loads(str(np.load(checkpoint_path(str(folder)))["description"]))
    assert description["class"] == "user_gans.WideGAN"
    assert description["arguments"]["width"] == 12


def test_an_init_that_takes_a_setting_by_name_is_refused_with_what_to_do():
    with pytest.raises(TypeError, match=r"MyGAN.__init__ takes size by name.*Setting\("):

        class MyGAN(GAN):
            def __init__(self, size=3, **settings):
                super().__init__(**settings)


def test_an_unknown_setting_names_the_closest_one():
    with pytest.raises(
        TypeError, match="GAN has no setting 'latnt_dim' .*did you mean 'latent_dim'"
    ):
        GAN(latnt_dim=8)


def test_a_variant_changes_defaults_and_refuses_settings_in_its_declarations():
    assert WGAN.learning_rate.default == 5e-5 and GAN.learning_rate.default == 2e-4
    assert WGAN.learning_rate.check is GAN.learning_rate.check  # the check is not written twice
    assert declared_settings(WGAN)["from_logits"].refusal is not None
    parameters = inspect.signature(WGAN).parameters
    assert parameters["d_steps"].default == 5 and "from_logits" not in parameters
    assert list(inspect.signature(GAN).parameters)[:2] == ["img_shape", "latent_dim"]


def test_every_setting_of_every_shipped_model_has_a_check_help_and_a_valid_default():
    import keras_gan

    for name in ("GAN", "DCGAN", "CGAN", "LSGAN", "WGAN"):
        cls = getattr(keras_gan, name)
        for setting_name, setting in declared_settings(cls).items():
            if setting.refusal is not None:
                continue  # refused if given; the variant keeps the base's default
            assert setting.help and callable(setting.check), (name, setting_name)
            assert setting.checked(name, setting.default) == setting.default, (name, setting_name)


def test_a_checkpoint_of_the_previous_version_resumes_with_its_renamed_setting(tmp_path):
    gan = GAN(latent_dim=8, seed=0, compile_iteration=False)
    gan.train(iterations=2, batch_size=4, data=random_images(8), output_dir=tmp_path, verbose=0)
    # Rewrite the checkpoint as the previous version wrote it: the setting was called one_call.
    path = checkpoint_path(str(tmp_path))
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    description = json.loads(str(arrays["description"]))
    for record in ("arguments", "settings"):
        description[record]["one_call"] = description[record].pop("compile_iteration")
    arrays["description"] = np.array(json.dumps(description))
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)
    resumed = load_gan(str(tmp_path))
    assert resumed.compile_iteration is False and resumed.iteration == 2
    resumed.train(iterations=3, batch_size=4, data=random_images(8), resume=True, verbose=0,
                  output_dir=tmp_path)  # fmt: skip
    assert resumed.iteration == 3


def test_the_checks_say_what_a_value_must_be():
    assert checks.number(minimum=0, below=1)(0.5) == 0.5
    for check, value, message in [
        (checks.number(minimum=0, below=1), 1.0, r"must be in \[0, 1\)"),
        (checks.number(above=0), 0, "must be a number > 0"),
        (checks.whole_number(2), 1, "must be a whole number >= 2"),
        (checks.optional(checks.number(above=0), "off"), -1, r"must be None \(off\) or a number"),
        (checks.one_of("auto", True, False), "xla", 'must be "auto" or True or False'),
        (checks.one_of("auto", True, False), 1, "must be"),  # 1 == True, but it is no choice
        (checks.true_or_false, "yes", "must be True or False"),
    ]:
        with pytest.raises(ValueError, match=message):
            check(value)


def test_a_setting_replaced_in_a_variant_keeps_its_place_and_its_name():
    class Quiet(GAN):
        latent_dim = GAN.latent_dim.replace(default=16)

    assert list(declared_settings(Quiet)) == list(declared_settings(GAN))
    assert Quiet.latent_dim.name == "latent_dim" and Quiet().latent_dim == 16
    with pytest.raises(TypeError, match="no field"):
        GAN.latent_dim.replace(deafult=3)
    assert isinstance(GAN.__dict__["latent_dim"], Setting)
