"""The picture of the game, GAN Lab's view (Kahng et al. 2018) drawn from a ToyGAN.

    from keras_gan import ToyGAN
    gan = ToyGAN()
    gan.picture()  # = keras_gan.game.frame(gan): a PIL image

Left, the game on the plane:
- D's verdict, the probability it gives "real", as a heat map (green real, pink fake), with its
  0.5 contour: where D cannot tell;
- the real points (dark green) and G's fake points from fixed noise (purple), made by the G
  being trained (with `ema_momentum`, the samples and the mode metrics come from its average);
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


class GamePicture:
    """The frame's figure, built once and redrawn from the GAN as it is now: game and G's map.

    Its artists are kept and given new data at each draw() (the heat map, the points, the arrows,
    G's lines), because building a matplotlib figure costs as much as drawing it, and a live
    picture draws one several times a second. Everything shown is read from the GAN at each draw.
    """

    def __init__(self, gan, arrows=ARROWS, extent=None, size=(9.0, 4.4), dpi=100):
        self.gan, self.fixed_extent = gan, extent
        self.figure = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.game_axes, self.map_axes = self.figure.subplots(1, 2)
        # A fixed layout: matplotlib's constrained layout costs more than the rest of the frame.
        self.figure.subplots_adjust(left=0.05, right=0.99, bottom=0.07, top=0.93, wspace=0.12)
        no_points = np.empty((0, 2))
        game, plane = self.game_axes, self.map_axes
        self.heat = game.imshow(
            np.zeros((HEAT_RESOLUTION, HEAT_RESOLUTION)),
            origin="lower",
            cmap="PiYG",
            vmin=0.0,
            vmax=1.0,
            alpha=0.75,
            interpolation="bilinear",
        )
        self.contour = None
        self.real = game.scatter(*no_points.T, s=4, c="#1b7837", label="real", linewidths=0)
        self.fakes = game.scatter(*no_points.T, s=4, c="#762a83", label="fake (G)", linewidths=0)
        self.pushes = None
        if arrows:
            shown = min(arrows, len(gan.fixed_noise))
            self.shown = np.linspace(0, len(gan.fixed_noise) - 1, shown).astype(int)
            zeros = np.zeros(shown)
            self.pushes = game.quiver(
                zeros, zeros, zeros, zeros, angles="xy", scale_units="xy", scale=1.0,
                width=0.004, color="black",
            )  # fmt: skip
        game.legend(loc="upper right", fontsize=7, markerscale=3)
        self.map_real = plane.scatter(*no_points.T, s=3, c="#1b7837", alpha=0.4, linewidths=0)
        self.noise_grid = noise_grid(gan.latent_dim)
        colours = viridis(np.repeat(np.linspace(0, 1, NOISE_LINES), 2))
        self.lines = [plane.plot([], [], color=c, linewidth=0.7, alpha=0.9)[0] for c in colours]
        sliced = (
            "" if gan.latent_dim <= 2 else f" (z[0], z[1]; the other {gan.latent_dim - 2} at 0)"
        )
        plane.set_title(f"G's map of a noise grid{sliced}", fontsize=8)
        for axes in (game, plane):
            axes.tick_params(labelsize=7)

    def draw(self):
        """The frame now, as a PIL image (RGB)."""
        gan = self.gan
        real = gan.frame_real_points()
        extent = self.fixed_extent or plane_extent(real)
        for axes in (self.game_axes, self.map_axes):
            axes.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
            axes.set_xticks(np.round(np.linspace(extent[0], extent[1], 5)[1:-1], 1))
            axes.set_yticks(np.round(np.linspace(extent[2], extent[3], 5)[1:-1], 1))
        # G's fakes and its map in one call: on a CPU a call costs more than its points do.
        # The G being trained, not its average (ema_momentum): the G whose next step the arrows
        # show, and whose points move when a class takes one G step by hand.
        noise = np.concatenate([gan.fixed_noise, self.noise_grid]).astype("float32")
        generated = ops.convert_to_numpy(gan.generator(noise, training=False))
        self.draw_game(real, generated[: len(gan.fixed_noise)], extent)
        self.draw_generator_map(real, generated[len(gan.fixed_noise) :])
        self.canvas.draw()  # Agg's buffer straight to an image: no PNG encoding on the live path
        return Image.fromarray(np.asarray(self.canvas.buffer_rgba())[..., :3].copy())

    def draw_game(self, real, fakes, extent):
        """D's heat map and 0.5 contour, the points, and G's pushes."""
        gan = self.gan
        xs = np.linspace(extent[0], extent[1], HEAT_RESOLUTION)
        ys = np.linspace(extent[2], extent[3], HEAT_RESOLUTION)
        lattice = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype("float32")
        verdicts = gan.discriminator_verdicts(lattice).reshape(HEAT_RESOLUTION, HEAT_RESOLUTION)
        self.heat.set_data(verdicts)
        self.heat.set_extent(extent)
        if self.contour is not None:
            self.contour.remove()  # a contour cannot be given new data: it is drawn anew
            self.contour = None
        if verdicts.min() < 0.5 < verdicts.max():
            self.contour = self.game_axes.contour(
                xs, ys, verdicts, levels=[0.5], colors="black", linewidths=1.0
            )
        self.real.set_offsets(real)
        self.fakes.set_offsets(fakes)
        note = ""
        if self.pushes is not None:
            pushes = generator_pushes(gan, fakes)[self.shown]
            lengths = np.linalg.norm(pushes, axis=1)
            reference = float(np.percentile(lengths, 90)) or 1.0
            unit = (extent[1] - extent[0]) / 10 / reference  # the 90th percentile: 1/10 of the plot
            self.pushes.set_offsets(fakes[self.shown])
            self.pushes.set_UVC(*(pushes * unit).T)
            note = f"; arrow of 1/10 width = |grad| {reference:.3g}"
        self.game_axes.set_title(
            f"D's verdict (green: real), iteration {gan.iteration}{note}", fontsize=8
        )

    def draw_generator_map(self, real, mapped):
        """G's image (`mapped`) of a regular grid in its noise space (dimensions 0 and 1)."""
        self.map_real.set_offsets(real)
        for line, points in zip(self.lines, np.split(mapped, len(self.lines))):
            line.set_data(*points.T)


def noise_grid(latent_dim, points_per_line=60):
    """The noise of G's map: NOISE_LINES lines each way from -2 to 2 in (z[0], z[1]), the rest 0,
    one line after another (a line along z[0], then along z[1], at each step)."""
    steps, fine = np.linspace(-2.0, 2.0, NOISE_LINES), np.linspace(-2.0, 2.0, points_per_line)
    lines = []
    for value in steps:
        for first, second in ((fine, np.full_like(fine, value)), (np.full_like(fine, value), fine)):
            noise = np.zeros((points_per_line, latent_dim), "float32")
            noise[:, 0] = first
            if latent_dim > 1:
                noise[:, 1] = second
            lines.append(noise)
    return np.concatenate(lines)


def frame(gan, arrows=ARROWS, extent=None, dpi=100):
    """The frame as a PIL image (RGB). `arrows`: how many fakes get one (0: none)."""
    return GamePicture(gan, arrows, extent, dpi=dpi).draw()


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
