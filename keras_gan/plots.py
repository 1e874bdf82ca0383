"""Pictures of a run: sample grids, the progress GIF, the loss plot, real vs fake, interpolations.

Every file is written atomically (to a temporary name, then renamed), so an interrupted run never
leaves a half-written picture behind.
"""

import glob
import os
import re

import numpy as np
from PIL import Image

from keras_gan import files
from keras_gan.files import atomic_path


def to_uint8(images):
    """Images in [-1, 1] (or uint8 pixels already) -> uint8 pixels in [0, 255]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_image(images, columns=5, padding=2, scale=3):
    """Tile images (N, H, W, C), [-1, 1] or uint8, into one enlarged PIL image, `columns` wide."""
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
    canvas = Image.new(
        real.mode, (real.width + gap + fake.width, max(real.height, fake.height)), 255
    )
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
    if getattr(gan, "num_classes", None) and generate_options.get("labels") is None:
        # A conditional GAN walks within one class per row, else its digits would jump.
        row_labels = np.random.default_rng(seed).integers(0, gan.num_classes, rows)
        generate_options = {**generate_options, "labels": np.repeat(row_labels, steps)}
    return save_grid(gan.generate(len(noise), noise=noise, **generate_options), path, columns=steps)


def grid_paths(folder):
    """The numbered sample grids (`<iteration>.png`) of a run folder, in iteration order."""
    numbered = [
        (int(match.group(1)), path)
        for path in glob.glob(os.path.join(glob.escape(folder), "*.png"))  # [, * in names
        if (match := re.fullmatch(r"(\d+)\.png", os.path.basename(path)))
    ]
    return [path for _, path in sorted(numbered)]


def save_gif(folder, path=None, frame_seconds=0.2):
    """Animate a run's sample grids into `<folder>/progress.gif`; returns its path."""
    paths = grid_paths(folder)
    if not paths:
        raise FileNotFoundError(
            f"No sample grids (<iteration>.png) in {folder!r} to make a GIF from."
        )
    path = path or os.path.join(folder, "progress.gif")
    frames = [Image.open(grid).convert("RGB") for grid in paths]
    # Hold the last frame so the finished digits stay on screen before the loop restarts.
    durations = [int(frame_seconds * 1000)] * (len(frames) - 1) + [2000]
    with atomic_path(path) as temporary:
        frames[0].save(
            temporary,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=0,
        )
    return path


def read_metrics(path):
    """The metrics log as a dict of column name -> numpy array."""
    header, rows = files.read_numeric_csv(path)  # a damaged row: a ValueError naming it
    if not rows:
        return {}
    return {name: np.array([float(row[i]) for row in rows]) for i, name in enumerate(header)}


def running_mean(values, window):
    """Mean of the last `window` values at each point (shorter at the start)."""
    cumulative = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    ends = np.arange(1, len(values) + 1)
    return (cumulative[ends] - cumulative[ends - counts]) / counts


def save_loss_plot(metrics_path, path, window=100):
    """Plot the losses, and what D says of real and fake images, over iterations (running means)."""
    from matplotlib.figure import Figure  # Figure, not pyplot: no GUI, no global state.

    metrics = read_metrics(metrics_path)
    if not metrics:
        return None
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    draw_curves(
        *figure.subplots(1, 2),
        {name: (metrics["iteration"], values) for name, values in metrics.items()},
        window,
    )
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    return path


D_OUTPUTS = ("d_real", "d_fake", "wasserstein")  # what D says of real and of generated images
LABELS = {
    "d_loss": "D loss",
    "g_loss": "G loss",
    "d_real": "D(x), real",
    "d_fake": "D(G(z)), fake",
    "wasserstein": "D(x) - D(G(z))",
}


def draw_curves(losses, outputs, series, window):
    """Every logged loss (`*_loss`) on the axes `losses`, what D says (D(x), D(G(z)), a critic's
    Wasserstein estimate) on `outputs`, as running means over `window` iterations.

    `series`: name -> (iterations, values). D's outputs get a 0..1 scale when they are
    probabilities, never for a WGAN's critic scores.
    """
    for axes, names in (
        (losses, [name for name in series if name.endswith("_loss")]),
        (outputs, [name for name in D_OUTPUTS if name in series]),
    ):
        for name in names:
            iterations, values = series[name]
            axes.plot(iterations, running_mean(values, window), label=LABELS.get(name, name))
        if names:
            axes.legend()
        axes.set(xlabel="iteration")
        axes.grid(alpha=0.3)
    losses.set_title("Losses")
    shown = [np.asarray(series[name][1]) for name in ("d_real", "d_fake") if name in series]
    probabilities = "wasserstein" not in series and all(
        v.min() >= 0.0 and v.max() <= 1.0 for v in shown
    )
    outputs.set_title("What D says (1 = real)" if probabilities else "What D says")
    if probabilities:
        outputs.set_ylim(0, 1)
