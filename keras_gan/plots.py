"""Pictures of a run: sample grids, the progress GIF, the loss plot, real vs fake, interpolations.

Every file is written atomically (to a temporary name, then renamed), so an interrupted run never
leaves a half-written picture behind.
"""

import csv
import glob
import os
import re

import numpy as np
from PIL import Image

from keras_gan.files import atomic_path


def to_uint8(images):
    """Images in [-1, 1] (or uint8 pixels already) -> uint8 pixels in [0, 255]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_image(images, columns=5, padding=2, scale=3):
    """Tile images (N, H, W, C), in [-1, 1] or uint8, into one PIL image, `columns` per row, enlarged."""
    pixels = to_uint8(images)
    count, height, width, channels = pixels.shape
    rows = -(-count // columns)
    canvas = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        255,
        np.uint8,
    )
    for index, image in enumerate(pixels):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top : top + height, left : left + width] = image
    picture = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    # Nearest-neighbour keeps the pixels crisp when a 28x28 digit is shown on a projector.
    return picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)


def save_grid(images, path, columns=5):
    """Save images (N, H, W, C) in [-1, 1] as a grid PNG (grayscale or RGB)."""
    with atomic_path(path) as temporary:
        grid_image(images, columns).save(temporary, format="PNG")
    return path


def save_real_vs_fake(real_images, fake_images, path, columns=5):
    """A grid of real images beside a grid of samples, so a class can compare them."""
    real, fake = grid_image(real_images, columns), grid_image(fake_images, columns)
    gap = 24
    canvas = Image.new(real.mode, (real.width + gap + fake.width, max(real.height, fake.height)), 255)
    canvas.paste(real, (0, 0))
    canvas.paste(fake, (real.width + gap, 0))
    with atomic_path(path) as temporary:
        canvas.save(temporary, format="PNG")
    return path


def interpolation_noise(latent_dim, rows=5, steps=8, seed=None):
    """Noise for `rows` walks of `steps` points, each on the straight line between two random z."""
    rng = np.random.default_rng(seed)
    start, end = rng.normal(size=(2, rows, 1, latent_dim))
    fractions = np.linspace(0.0, 1.0, steps)[np.newaxis, :, np.newaxis]
    return (start + fractions * (end - start)).reshape(rows * steps, latent_dim).astype("float32")


def save_interpolation(gan, path, rows=5, steps=8, seed=None, **generate_options):
    """A grid whose rows walk linearly between random latent points: a smooth G morphs digits.

    `generate_options` go to `gan.generate` (e.g. `labels=7` for a conditional GAN)."""
    noise = interpolation_noise(gan.latent_dim, rows, steps, seed)
    return save_grid(gan.generate(len(noise), noise=noise, **generate_options), path, columns=steps)


def grid_paths(folder):
    """The numbered sample grids (`<iteration>.png`) of a run folder, in iteration order."""
    numbered = [
        (int(match.group(1)), path)
        for path in glob.glob(os.path.join(folder, "*.png"))
        if (match := re.fullmatch(r"(\d+)\.png", os.path.basename(path)))
    ]
    return [path for _, path in sorted(numbered)]


def save_gif(folder, path=None, frame_seconds=0.2):
    """Animate a run's sample grids into `<folder>/progress.gif`; returns its path."""
    paths = grid_paths(folder)
    if not paths:
        raise FileNotFoundError(f"No sample grids (<iteration>.png) in {folder!r} to make a GIF from.")
    path = path or os.path.join(folder, "progress.gif")
    frames = [Image.open(grid).convert("RGB") for grid in paths]
    # Hold the last frame so the finished digits stay on screen before the loop restarts.
    durations = [int(frame_seconds * 1000)] * (len(frames) - 1) + [2000]
    with atomic_path(path) as temporary:
        frames[0].save(
            temporary, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
        )
    return path


def read_metrics(path):
    """The metrics log as a dict of column name -> numpy array."""
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        return {}
    return {name: np.array([float(row[name]) for row in rows]) for name in rows[0]}


def running_mean(values, window):
    """Mean of the last `window` values at each point (shorter at the start)."""
    cumulative = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    ends = np.arange(1, len(values) + 1)
    return (cumulative[ends] - cumulative[ends - counts]) / counts


def save_loss_plot(metrics_path, path, window=100):
    """Plot the losses, and what D says of real and fake images, over iterations (running means).

    Left: every logged loss (`*_loss`). Right: D(x) and D(G(z)) (and a critic's Wasserstein
    estimate, for a WGAN), on a 0..1 scale when they are probabilities.
    """
    from matplotlib.figure import Figure  # Figure, not pyplot: no GUI, no global state.

    metrics = read_metrics(metrics_path)
    if not metrics:
        return None
    iterations = metrics["iteration"]
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    losses, outputs = figure.subplots(1, 2)
    for name in [name for name in metrics if name.endswith("_loss")]:
        losses.plot(iterations, running_mean(metrics[name], window), label=LABELS.get(name, name))
    losses.set(title="Losses", xlabel="iteration")
    shown = [name for name in ("d_real", "d_fake", "wasserstein") if name in metrics]
    for name in shown:
        outputs.plot(iterations, running_mean(metrics[name], window), label=LABELS.get(name, name))
    probabilities = all(0.0 <= metrics[name].min() and metrics[name].max() <= 1.0 for name in shown)
    outputs.set(title="What D says" + (" (1 = real)" if probabilities else ""), xlabel="iteration")
    if probabilities:
        outputs.set_ylim(0, 1)
    for axes in (losses, outputs):
        axes.legend()
        axes.grid(alpha=0.3)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    return path


LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x), real", "d_fake": "D(G(z)), fake",
          "wasserstein": "D(x) - D(G(z))"}
