"""The picture of the game, GAN Lab's view (Kahng et al. 2018) drawn from a ToyGAN.

    from keras_gan import ToyGAN
    gan = ToyGAN()
    gan.picture()  # = keras_gan.game.frame(gan): a PIL image

Left, the game on the plane:
- D's verdict, the probability it gives "real", as a heat map (green real, pink fake), with its
  0.5 contour: where D cannot tell;
- the real points (dark green) and G's fake points from fixed noise (purple);
- for a readable subset of the fakes, an arrow where G's next step pushes each: minus the
  gradient of G's loss with respect to that point. Arrows are scaled so the 90th-percentile
  length is a tenth of the plot; the title says what that length stands for, so frames compare.
Right, G's map: a regular grid in noise space (the first two noise dimensions, the others at 0)
and where G sends it, over the real points.

The gradient with respect to points needs the backend's own autodiff: `point_gradients` is the
one place that holds that glue (TF GradientTape, jax.grad, torch.autograd).
"""

import io

import keras
import numpy as np
from keras import ops
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure  # Figure, not pyplot: no GUI, no global state.
from PIL import Image

from keras_gan.files import atomic_path

HEAT_RESOLUTION = 80  # D's verdict is drawn on an 80 x 80 lattice over the plane
ARROWS = 64  # fakes with an arrow: more make a thicket
viridis = colormaps["viridis"]  # G's noise lines, coloured by their place in the grid
NOISE_LINES = 11  # lines of G's noise grid in each direction, from -2 to 2 (95% of N(0, 1))


def point_gradients(loss_of_points, points):
    """d loss_of_points(x) / dx at `points` (n, 2), as numpy: the backend's autodiff.

    `loss_of_points` maps a backend tensor of points to a scalar, written with keras.ops.
    """
    points = np.asarray(points, dtype="float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(points)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = loss_of_points(x)
        return tape.gradient(loss, x).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(loss_of_points)(jax.numpy.asarray(points)))
    if backend == "torch":
        import torch

        x = torch.tensor(points, requires_grad=True)
        (gradient,) = torch.autograd.grad(loss_of_points(x), x)
        return gradient.detach().cpu().numpy()
    raise ValueError(f"point_gradients supports tensorflow, jax and torch, not {backend!r}.")


def generator_pushes(gan, fakes):
    """Where G's step pushes each fake point (n, 2): minus the gradient of G's loss w.r.t. it.

    G's loss is the combined model's: its loss on D's verdicts with G's target (generator_target),
    D frozen in inference mode. Taken per verdict (the batch mean times the number of verdicts),
    so an arrow does not shrink as more points are drawn.
    """
    loss = gan.build_loss()

    def total_loss(points):
        verdicts = gan.discriminator(points, training=False)
        targets = gan.targets(gan.generator_target, points)
        return loss(targets, verdicts) * ops.cast(ops.shape(targets)[0], "float32")

    return -point_gradients(total_loss, fakes)


def plane_extent(real_points, margin=0.25):
    """(x_min, x_max, y_min, y_max): the real points' square box with a margin on each side."""
    low, high = np.percentile(real_points, [0.5, 99.5], axis=0)
    centre, half = (low + high) / 2, max(float(np.max(high - low)) / 2, 1e-3) * (1 + margin)
    return centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half


def draw_game(axes, gan, real, fakes, extent, arrows=ARROWS):
    """D's heat map and 0.5 contour, the points, and G's pushes on `axes`."""
    xs = np.linspace(extent[0], extent[1], HEAT_RESOLUTION)
    ys = np.linspace(extent[2], extent[3], HEAT_RESOLUTION)
    lattice = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype("float32")
    verdicts = gan.discriminator_verdicts(lattice).reshape(HEAT_RESOLUTION, HEAT_RESOLUTION)
    axes.imshow(
        verdicts,
        extent=extent,
        origin="lower",
        cmap="PiYG",
        vmin=0.0,
        vmax=1.0,
        alpha=0.75,
        interpolation="bilinear",
    )
    if verdicts.min() < 0.5 < verdicts.max():
        axes.contour(xs, ys, verdicts, levels=[0.5], colors="black", linewidths=1.0)
    axes.scatter(*real.T, s=4, c="#1b7837", label="real", linewidths=0)
    axes.scatter(*fakes.T, s=4, c="#762a83", label="fake (G)", linewidths=0)
    note = ""
    if arrows:
        pushes = generator_pushes(gan, fakes)
        shown = np.linspace(0, len(fakes) - 1, min(arrows, len(fakes))).astype(int)
        lengths = np.linalg.norm(pushes[shown], axis=1)
        reference = float(np.percentile(lengths, 90)) or 1.0
        unit = (extent[1] - extent[0]) / 10 / reference  # the 90th percentile: 1/10 of the plot
        axes.quiver(
            *fakes[shown].T,
            *(pushes[shown] * unit).T,
            angles="xy",
            scale_units="xy",
            scale=1.0,
            width=0.004,
            color="black",
        )
        note = f"; arrow of 1/10 width = |grad| {reference:.3g}"
    axes.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
    axes.set_title(f"D's verdict (green: real), iteration {gan.iteration}{note}", fontsize=8)
    axes.legend(loc="upper right", fontsize=7, markerscale=3)


def draw_generator_map(axes, gan, real, extent):
    """G's image of a regular grid in its noise space (dimensions 0 and 1) on `axes`."""
    steps = np.linspace(-2.0, 2.0, NOISE_LINES)
    fine = np.linspace(-2.0, 2.0, 60)
    lines = []
    for value in steps:
        for first, second in ((fine, np.full_like(fine, value)), (np.full_like(fine, value), fine)):
            noise = np.zeros((len(fine), gan.latent_dim), "float32")
            noise[:, 0] = first
            if gan.latent_dim > 1:
                noise[:, 1] = second
            lines.append(noise)
    mapped = gan.generate(sum(len(line) for line in lines), noise=np.concatenate(lines))
    axes.scatter(*real.T, s=3, c="#1b7837", alpha=0.4, linewidths=0)
    colours = np.linspace(0, 1, NOISE_LINES)
    for index, points in enumerate(np.split(mapped, len(lines))):
        axes.plot(*points.T, color=viridis(colours[index // 2]), linewidth=0.7, alpha=0.9)
    axes.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
    sliced = "" if gan.latent_dim <= 2 else f" (z[0], z[1]; the other {gan.latent_dim - 2} at 0)"
    axes.set_title(f"G's map of a noise grid{sliced}", fontsize=8)


def figure_of(gan, arrows=ARROWS, extent=None, size=(9.0, 4.4), dpi=100):
    """The frame as a matplotlib Figure: the game beside G's map."""
    real = gan.frame_real_points()
    fakes = gan.generate(len(gan.fixed_noise), noise=gan.fixed_noise)
    extent = extent or plane_extent(real)
    # A fixed layout: matplotlib's constrained layout costs more than the rest of the frame.
    figure = Figure(figsize=size, dpi=dpi)
    game_axes, map_axes = figure.subplots(1, 2)
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.07, top=0.93, wspace=0.12)
    ticks = np.round(np.linspace(extent[0], extent[1], 5)[1:-1], 1)
    for axes in (game_axes, map_axes):
        axes.set_xticks(ticks)
        axes.set_yticks(np.round(np.linspace(extent[2], extent[3], 5)[1:-1], 1))
        axes.tick_params(labelsize=7)
    draw_game(game_axes, gan, real, fakes, extent, arrows)
    draw_generator_map(map_axes, gan, real, extent)
    return figure


def frame(gan, arrows=ARROWS, extent=None, dpi=100):
    """The frame as a PIL image (RGB). `arrows`: how many fakes get one (0: none)."""
    canvas = FigureCanvasAgg(figure_of(gan, arrows, extent, dpi=dpi))
    canvas.draw()  # Agg's buffer straight to an image: no PNG encoding on the live path
    return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())


def save_frame(gan, path, **options):
    """Write the frame to `path` (PNG), atomically."""
    with atomic_path(path) as temporary:
        frame(gan, **options).save(temporary, format="PNG")
    return path


def before_and_after(gan, step, **options):
    """(before, after, logs): the frame, then `step()` (e.g. gan.discriminator_step), the frame."""
    extent = options.pop("extent", None) or plane_extent(gan.frame_real_points())
    before = frame(gan, extent=extent, **options)
    logs = step()
    return before, frame(gan, extent=extent, **options), logs


def save_points(points, path, title=None):
    """A scatter plot of 2-D samples (`keras-gan sample` on a ToyGAN run)."""
    figure = Figure(figsize=(4.4, 4.4), layout="constrained")
    axes = figure.subplots()
    axes.scatter(*np.asarray(points).T, s=4, c="#762a83", linewidths=0)
    axes.set(aspect="equal", title=title or f"{len(points)} samples")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            stream.write(buffer.getvalue())
    return path


def side_by_side(left, right, gap=12):
    """Two frames (PIL images) in one image, left and right: before and after, plain and packed."""
    canvas = Image.new(
        "RGB", (left.width + gap + right.width, max(left.height, right.height)), "white"
    )
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + gap, 0))
    return canvas
