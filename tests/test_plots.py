"""Pictures of a run: grids (grayscale and RGB), GIF, loss plot, real vs fake, interpolation."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_gan import plots


def test_grid_tiles_images_in_rows_of_five(tmp_path):
    images = -np.ones((25, 4, 4, 1), "float32")
    images[7] = 1.0  # one white image: row 1, column 2
    path = plots.save_grid(images, str(tmp_path / "g.png"))
    grid = np.array(Image.open(path))
    # 5 columns of 4 pixels with 2 pixels of padding around each, enlarged 3 times.
    assert grid.shape == (3 * (5 * 6 + 2), 3 * (5 * 6 + 2))
    small = grid[::3, ::3]
    assert small[2 + 1 * 6, 2 + 2 * 6] == 255 and small[2, 2] == 0


def test_rgb_grid_keeps_colour(tmp_path):
    images = -np.ones((4, 3, 3, 3), "float32")
    images[..., 0] = 1.0  # pure red
    grid = np.array(Image.open(plots.save_grid(images, str(tmp_path / "rgb.png"), columns=2)))
    assert grid.ndim == 3 and grid.shape[2] == 3
    assert tuple(grid[3 * 2, 3 * 2]) == (255, 0, 0)


def test_gif_has_one_frame_per_grid_in_iteration_order(tmp_path):
    for iteration, value in ((0, -1.0), (10, 0.0), (200, 1.0)):
        plots.save_grid(np.full((4, 2, 2, 1), value, "float32"), str(tmp_path / f"{iteration}.png"))
    plots.save_grid(np.zeros((4, 2, 2, 1)), str(tmp_path / "not_a_step.png"))
    gif = Image.open(plots.save_gif(str(tmp_path)))
    assert gif.n_frames == 3
    brightness = []
    for frame in range(3):
        gif.seek(frame)
        brightness.append(np.array(gif.convert("L"))[6, 6])
    assert brightness[0] < brightness[1] < brightness[2]


def test_running_mean():
    np.testing.assert_allclose(plots.running_mean([1, 3, 5, 7], 2), [1, 2, 4, 6])


def test_loss_plot_is_drawn_from_the_log(tmp_path):
    log = tmp_path / "metrics.csv"
    rows = ["iteration,d_loss,d_accuracy,g_loss,d_real,d_fake,time"]
    rows += [f"{i},0.6,0.5,0.8,0.6,0.4,{i}" for i in range(1, 51)]
    log.write_text("\n".join(rows) + "\n")
    path = plots.save_loss_plot(str(log), str(tmp_path / "losses.png"))
    width, height = Image.open(path).size
    assert width > 400 and height > 200


def test_real_vs_fake_puts_the_grids_side_by_side(tmp_path):
    real, fake = -np.ones((25, 4, 4, 1)), np.ones((25, 4, 4, 1))
    picture = np.array(Image.open(plots.save_real_vs_fake(real, fake, str(tmp_path / "rf.png"))))
    assert picture.shape[1] > 2 * picture.shape[0]
    assert picture[6, 6] == 0 and picture[6, -7] == 255


def test_interpolation_walks_in_straight_lines():
    noise = plots.interpolation_noise(latent_dim=3, rows=2, steps=5, seed=0).reshape(2, 5, 3)
    steps = np.diff(noise, axis=1)
    np.testing.assert_allclose(steps, steps[:, :1].repeat(4, axis=1), atol=1e-6)
    assert not np.allclose(noise[0, 0], noise[1, 0])


def test_no_grids_no_gif_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No sample grids"):
        plots.save_gif(str(tmp_path))
    assert not os.listdir(tmp_path)


def test_a_conditional_gans_interpolation_keeps_one_class_a_row(tmp_path):
    class RecordingConditionalGAN:
        latent_dim, num_classes = 4, 10

        def generate(self, n, noise=None, labels=None):
            self.labels = labels
            return np.zeros((n, 8, 8, 1), "float32")

    gan = RecordingConditionalGAN()
    plots.save_interpolation(gan, str(tmp_path / "walk.png"), rows=3, steps=4, seed=0)
    rows = np.asarray(gan.labels).reshape(3, 4)
    assert all(len(set(row)) == 1 for row in rows), rows
    plots.save_interpolation(gan, str(tmp_path / "sevens.png"), rows=3, steps=4, seed=0, labels=7)
    assert gan.labels == 7
