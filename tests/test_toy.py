"""ToyGAN on 2-D points: the toy datasets, the mode metrics on data with known answers, the
freeze on both paths, the arrows' numbers, and a short run that moves the fakes to the ring."""

import types

import numpy as np
import pytest
from keras import ops

from keras_gan import ToyGAN, compiled, datasets, load_gan
from keras_gan.metrics.modes import describe_modes, mode_quality, modes_reached

SMALL = {"units": 16, "depth": 2}  # tiny networks: every fast test runs in seconds


def weights(model):
    """A model's weights: its variables but the random-seed state of R1's wrapper (penalties.py),
    which only a penalty at random points (WGAN-GP) draws from."""
    return [v for v in model.variables if not v.path.startswith("seed_generator")]


def snapshot(model):
    return [ops.convert_to_numpy(variable) for variable in weights(model)]


def changed(before, model):
    return [
        not np.array_equal(old, ops.convert_to_numpy(new))
        for old, new in zip(before, weights(model))
    ]


# --------------------------------------------------------------------------------------------
# Toy datasets.


@pytest.mark.parametrize("name", datasets.TOY_DATASETS)
def test_toy_datasets_are_finite_float32_points(name):
    points = datasets.load_toy(name, samples=1000, seed=1)
    assert points.shape == (1000, 2) and points.dtype == np.float32
    assert np.isfinite(points).all() and points.std(axis=0).min() > 0.1
    assert np.array_equal(points, datasets.load_toy(name, samples=1000, seed=1))


def test_ring_and_grid_have_pacgans_geometry():
    centres, std = datasets.toy_modes("ring")
    assert std == 0.01 and centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0)
    centres, std = datasets.toy_modes("grid")
    assert std == 0.05 and centres.shape == (25, 2)
    assert sorted(set(centres[:, 0])) == [-4, -2, 0, 2, 4] == sorted(set(centres[:, 1]))
    points = datasets.load_toy("grid", samples=5000)
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=-1).min(axis=1)
    assert 0.04 < np.sqrt(np.mean(nearest**2) / 2) < 0.06  # the per-coordinate std is 0.05


@pytest.mark.parametrize(
    "data, message",
    [
        (np.zeros((5, 3)), r"shape \(5, 3\).*\(N, 2\)"),
        (np.zeros((0, 2)), r"N >= 1"),
        (np.array([[0.0, np.nan]]), "NaN"),
        (np.array([["a", "b"]]), "real numbers"),
    ],
)
def test_bad_points_are_clear_errors_before_training(data, message, tmp_path):
    gan = ToyGAN(**SMALL)
    with pytest.raises(ValueError, match=message):
        gan.train(iterations=1, data=data, output_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_unknown_toy_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="ring, grid, moons, spiral"):
        datasets.load_toy("circle")
    with pytest.raises(ValueError, match='dataset must be None.*"ring"'):
        ToyGAN(dataset="circle")


# --------------------------------------------------------------------------------------------
# Mode metrics, on data whose answer is known.


def test_real_samples_capture_every_mode_at_full_quality():
    for name in ("ring", "grid"):
        results = mode_quality(datasets.load_toy(name, 2500, seed=3), *datasets.toy_modes(name))
        assert results["modes_captured"] == results["modes"] == len(datasets.toy_modes(name)[0])
        assert results["high_quality_share"] > 0.98  # within 3 std in 2-D: 98.9% expected
        assert sum(results["mode_counts"]) == round(2500 * results["high_quality_share"])


def test_one_modes_samples_capture_one_mode():
    centres, std = datasets.toy_modes("ring")
    samples = centres[2] + np.random.default_rng(0).normal(scale=std, size=(2500, 2))
    results = mode_quality(samples, centres, std)
    assert results["modes_captured"] == 1 and results["mode_counts"][2] > 2400
    assert describe_modes(results).startswith("1 of 8 modes captured")


def test_a_mode_is_captured_from_a_fifth_of_its_share_and_far_points_are_low_quality():
    centres, std = datasets.toy_modes("ring")  # 2500 samples, 8 modes: 62.5 needed per mode
    samples = np.concatenate(
        [
            np.repeat(centres[:1], 63, axis=0),  # captured
            np.repeat(centres[1:2], 62, axis=0),  # one short
            centres[2] + [[3.5 * std, 0.0]] * 100,  # past 3 std: nearest mode 2, low quality
            np.full((2500 - 225, 2), 10.0),  # far from every mode
        ]
    )
    results = mode_quality(samples, centres, std)
    assert results["modes_captured"] == 1
    assert results["mode_counts"][:3] == [63, 62, 0]
    # Nearest, however far: the far points (10, 10) are nearest to mode 1, at 45 degrees.
    assert results["nearest_counts"] == [63, 62 + 2275, 100, 0, 0, 0, 0, 0]
    assert modes_reached(results) == 3  # 62.5 or more nearest: modes 0, 1 and 2
    assert results["high_quality_share"] == pytest.approx(125 / 2500)


def test_mode_metrics_refuse_bad_input():
    centres, std = datasets.toy_modes("ring")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        mode_quality(np.zeros((4, 3)), centres, std)
    with pytest.raises(ValueError, match="NaN"):
        mode_quality(np.full((4, 2), np.nan), centres, std)


# --------------------------------------------------------------------------------------------
# ToyGAN: the freeze on both paths, the arrows, a short run.


@pytest.mark.parametrize("one_call", [True, False])
def test_toygan_trains_both_networks_each_in_its_own_step_on_both_paths(one_call, tmp_path):
    gan = ToyGAN(seed=0, compile_iteration=one_call, **SMALL)
    data = datasets.load_toy("ring", 512)
    real, noise = data[:64], gan.noise(64)
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    gan.discriminator_step(batch_size=64)  # gan.py's train_discriminator, by hand
    assert all(changed(d_before, gan.discriminator)) and not any(changed(g_before, gan.generator))
    d_before = snapshot(gan.discriminator)
    gan.generator_step(batch_size=64)  # gan.py's train_generator through the frozen D
    assert all(changed(g_before, gan.generator)) and not any(changed(d_before, gan.discriminator))
    # And the loop itself, on the path under test: both networks move, D ends marked frozen.
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    logs = compiled.run_iteration(gan, [real], [noise], noise)
    assert all(changed(d_before, gan.discriminator)) and all(changed(g_before, gan.generator))
    assert gan.discriminator.trainable is False
    assert set(logs) == {"d_loss", "d_accuracy", "d_real", "d_fake", "g_loss"}
    assert all(np.isfinite(value) for value in logs.values())


def test_the_arrows_are_minus_the_gradient_of_gs_loss_computed_by_hand():
    from keras_gan.game import generator_pushes

    gan = ToyGAN(seed=0, **SMALL)
    gan.discriminator_step(batch_size=64)  # a D that is not flat
    points = np.random.default_rng(1).normal(size=(7, 2)).astype("float32")
    pushes = generator_pushes(gan, points)

    # D by hand in float64: Dense-ReLU layers, then a sigmoid; G's loss on one fake is
    # -log D(x) (binary cross-entropy with target 1), so d loss / dx = -(1 - D(x)) d logit / dx.
    weights = [np.asarray(ops.convert_to_numpy(w), np.float64) for w in gan.discriminator.weights]
    for point, push in zip(points.astype(np.float64), pushes):
        h, masks = point, []
        for kernel, bias in zip(weights[0:-2:2], weights[1:-2:2]):
            pre = h @ kernel + bias
            masks.append(pre > 0)
            h = np.maximum(pre, 0)
        logit = float(h @ weights[-2][:, 0] + weights[-1][0])
        back = weights[-2][:, 0]  # d logit / d h, back through each ReLU and kernel
        for kernel, mask in zip(reversed(weights[0:-2:2]), reversed(masks)):
            back = kernel @ (back * mask)
        d = 1 / (1 + np.exp(-logit))
        np.testing.assert_allclose(push, (1 - d) * back, rtol=1e-4, atol=1e-6)
    assert np.abs(pushes).max() > 1e-3  # a real gradient, not zeros


def test_a_short_run_on_the_ring_moves_the_fakes_toward_the_modes(tmp_path):
    centres, std = datasets.toy_modes("ring")

    def median_distance(gan):
        samples = gan.generate(1000, seed=0)
        distances = np.linalg.norm(samples[:, None] - centres[None], axis=-1).min(axis=1)
        return np.median(distances)

    gan = ToyGAN(seed=0, units=64, depth=2)
    before = median_distance(gan)
    during = []
    for iterations in (200, 400, 600):  # the game circles: the distance falls, rises, falls again
        gan.train(
            iterations=iterations,
            sample_interval=200,
            output_dir=tmp_path / "run",
            resume=iterations > 200,
            verbose=0,
        )
        during.append(median_distance(gan))
    # measured, before -> the three medians: TF 0.93 -> 0.49 0.47 0.39, JAX 0.86 -> 0.40 0.49 0.41,
    # PyTorch 0.80 -> 0.40 0.51 0.53 (the mean, 0.75x at 400 on JAX, failed a 0.75 bound on CI)
    assert min(during) < 0.7 * before and max(during) < 0.85 * before, (before, during)
    expected = {"0.png", "200.png", "400.png", "600.png", "progress.gif", "metrics.csv"}
    assert expected | {"checkpoint.npz"} <= {path.name for path in (tmp_path / "run").iterdir()}


def test_a_toygan_checkpoint_resumes_and_reloads_with_its_settings(tmp_path):
    gan = ToyGAN(dataset="grid", seed=0, **SMALL)
    gan.train(
        iterations=4, batch_size=16, sample_interval=2, output_dir=tmp_path / "run", verbose=0
    )
    loaded = load_gan(tmp_path / "run")
    assert type(loaded) is ToyGAN and loaded.dataset == "grid" and loaded.units == 16
    np.testing.assert_allclose(loaded.generate(8, seed=1), gan.generate(8, seed=1), atol=1e-6)
    resumed = ToyGAN(dataset="grid", seed=0, **SMALL)
    resumed.train(
        iterations=6,
        batch_size=16,
        sample_interval=2,
        output_dir=tmp_path / "run",
        resume=True,
        verbose=0,
    )
    assert resumed.iteration == 6


def test_measure_quality_counts_modes_and_refuses_data_without_modes():
    gan = ToyGAN(seed=0, **SMALL)
    results = gan.measure_quality(samples=500)
    assert results["modes"] == 8 and 0 <= results["modes_captured"] <= 8
    with pytest.raises(ValueError, match="has none"):
        ToyGAN(dataset="moons", **SMALL).measure_quality()
    with pytest.raises(ValueError, match="MNIST"):
        from keras_gan import metrics

        metrics.evaluate_gan(gan, None, samples=10)


# --------------------------------------------------------------------------------------------
# PacGAN.


@pytest.mark.parametrize("one_call", [True, False])
def test_pacgans_d_judges_packs_and_both_networks_train_on_both_paths(one_call):
    from keras_gan import PacGAN

    gan = PacGAN(packing=4, seed=0, compile_iteration=one_call, **SMALL)
    critic = getattr(gan.discriminator, "critic", gan.discriminator)  # inside R1's wrapper
    first_kernel = critic.layers[1].kernel  # after Pack: 4 points = 8 numbers in
    assert tuple(first_kernel.shape) == (8, 16)
    points = datasets.load_toy("ring", 64)
    assert gan.discriminator.predict_on_batch(points).shape == (16, 1)
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    logs = compiled.run_iteration(gan, [points], [gan.noise(64)], gan.noise(64))
    assert all(changed(d_before, gan.discriminator)) and all(changed(g_before, gan.generator))
    assert all(np.isfinite(value) for value in logs.values())
    # One verdict per point on the picture: a pack of 4 copies of it.
    assert gan.discriminator_verdicts(points[:5]).shape == (5,)


def test_pacgan_refuses_a_batch_of_partial_packs_before_training(tmp_path):
    from keras_gan import PacGAN

    with pytest.raises(ValueError, match="multiple of 4"):
        PacGAN(**SMALL).train(iterations=1, batch_size=30, output_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------------------------
# The command line and the quality log.


def run_cli(*argv):
    from keras_gan import cli

    return cli.main([str(arg) for arg in argv])


def test_cli_trains_a_toy_on_the_ring_logs_its_modes_and_every_tool_works(tmp_path, capsys):
    run = tmp_path / "ring"
    code = run_cli(
        "train", "--model", "toy", "--dataset", "ring", "--iterations", 4, "--batch-size", 32,
        "--sample-interval", 2, "--eval-interval", 2, "--units", 16, "--depth", 2, "--seed", 0,
        "--quiet", "--output-dir", run, "--tensorboard", tmp_path / "logs",
    )  # fmt: skip
    assert code == 0
    rows = (run / "quality.csv").read_text().splitlines()
    assert rows[0].startswith("iteration,modes_captured,modes,high_quality_share")
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "2", "4"]
    assert {"0.png", "2.png", "4.png", "progress.gif"} <= {p.name for p in run.iterdir()}
    assert any((tmp_path / "logs").iterdir())
    capsys.readouterr()
    assert run_cli("evaluate", run) == 0
    assert "modes captured" in capsys.readouterr().out
    assert run_cli("sample", run, "--output", tmp_path / "points.png", "-n", 100) == 0
    assert run_cli("sample", run, "--output", tmp_path / "points.npy", "-n", 100) == 0
    assert np.load(tmp_path / "points.npy").shape == (100, 2)
    assert run_cli("export", run, "--output", tmp_path / "g.keras") == 0
    assert run_cli("train", "--output-dir", run, "--iterations", 6, "--resume", "--quiet") == 0
    assert load_gan(run).iteration == 6


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "toy", "--dataset", "mnist"], "2-D points"),
        (["--model", "dcgan", "--dataset", "ring"], "images"),
        (["--dataset", "moons", "--eval-interval", "5"], "ring or grid"),
        (["--dataset", "ring", "--packing", "2"], "pacgan only"),
        (["--model", "gan", "--units", "8"], "toy/pacgan only"),
    ],
)
def test_cli_refuses_toy_flags_that_do_not_fit(argv, message, tmp_path, capsys):
    assert run_cli("train", *argv, "--output-dir", tmp_path / "run") == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_live_game_refuses_an_image_gan_and_frames_show_a_fixed_plane(tmp_path):
    from keras_gan import GAN, game
    from keras_gan.notebook import LiveGame

    with pytest.raises(ValueError, match="LivePlot"):
        GAN().train(
            iterations=1,
            batch_size=4,
            data=np.zeros((4, 28, 28, 1)),
            output_dir=tmp_path / "r",
            callbacks=[LiveGame()],
        )
    gan = ToyGAN(seed=0, **SMALL)
    picture = gan.picture(dpi=50)
    assert picture.size == (450, 220) and picture.mode == "RGB"
    extent = game.plane_extent(gan.frame_real_points())
    assert extent[0] < -1 and extent[1] > 1  # the ring, radius 1, with a margin


@pytest.mark.parametrize("model", ["ToyGAN", "PacGAN"])
def test_a_redrawn_picture_is_the_picture_a_new_figure_draws(model, tmp_path):
    import keras_gan
    from keras_gan import game

    gan = getattr(keras_gan, model)(seed=0, latent_dim=3, **SMALL)
    before = np.asarray(gan.picture(dpi=40))
    (figure,) = gan.game_pictures.values()
    gan.train(iterations=20, output_dir=tmp_path / "run", verbose=0, sample_interval=100)
    after = np.asarray(gan.picture(dpi=40))
    assert list(gan.game_pictures.values())[0] is figure  # the same figure, new game state
    assert np.array_equal(after, np.asarray(game.frame(gan, dpi=40)))
    assert (after != before).mean() > 0.01  # and the game did move
    gan.picture(dpi=30)
    assert len(gan.game_pictures) == 3  # other options (the run's frames, dpi 30): other figures


def test_the_live_game_redraws_every_few_tenths_yet_trains_half_the_time_at_least(monkeypatch):
    from keras_gan import notebook

    clock = {"now": 0.0, "frame_cost": 0.1}
    monkeypatch.setattr(notebook.time, "perf_counter", lambda: clock["now"])
    monkeypatch.setattr(notebook, "display", lambda picture, **options: None)
    gan = ToyGAN(seed=0, **SMALL)
    drawn_at, real_picture = [], gan.picture

    def picture(**options):  # the real frame, costing clock["frame_cost"] on the fake clock
        drawn_at.append(clock["now"])
        clock["now"] += clock["frame_cost"]
        return real_picture(**options)

    monkeypatch.setattr(gan, "picture", picture)
    live = notebook.LiveGame(seconds=0.4)
    live.set_model(gan)
    live.on_train_begin()
    live.handle = types.SimpleNamespace(update=lambda picture, raw: None)
    for iteration in range(1, 121):  # iterations of 20 ms
        clock["now"] += 0.02
        if iteration == 41:
            clock["frame_cost"] = 0.5  # a busy machine: a frame now costs more than `seconds`
        live.on_train_batch_end(iteration, {"d_loss": 0.5})
    gaps = np.diff(drawn_at)
    cheap, dear = gaps[drawn_at[1:] < np.float64(0.9)], gaps[np.asarray(drawn_at[1:]) > 1.5]
    assert len(cheap) >= 2 and np.allclose(cheap, 0.4, atol=0.021)  # 2.5 frames a second
    assert len(dear) >= 2 and (dear >= 1.0 - 1e-9).all()  # 2 x 0.5 s: half the time trains
    assert (dear < 1.0 + 0.021).all() and live.redraws == len(drawn_at)


def test_with_an_averaged_generator_the_picture_shows_the_generator_being_trained(tmp_path):
    from keras_gan import game

    gan = ToyGAN(seed=0, ema_momentum=0.999, **SMALL)
    gan.train(iterations=30, output_dir=tmp_path / "run", verbose=0, sample_interval=100)
    drawing = game.GamePicture(gan, dpi=30)
    drawing.draw()
    trained = ops.convert_to_numpy(gan.generator(gan.fixed_noise, training=False))
    averaged = gan.generate(len(gan.fixed_noise), noise=gan.fixed_noise)
    np.testing.assert_allclose(drawing.fakes.get_offsets(), trained, rtol=1e-5, atol=1e-6)
    assert np.abs(averaged - trained).max() > 1e-3  # the samples come from the average
