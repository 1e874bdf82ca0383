"""Watch a GAN learn in a notebook (Jupyter, Colab): one picture, redrawn in place as it trains.

    from keras_gan.notebook import LivePlot
    gan.train(iterations=1000, sample_interval=200, callbacks=[LivePlot()])

At the start and at each sample interval the picture shows G's current sample grid beside the
losses and what D says of real and of generated images, from the first iteration up to now.
A ToyGAN's 2-D game is drawn live by `LiveGame`, about twice a second.
"""

import base64
import io
import os
import time

import keras
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure  # Figure, not pyplot: no GUI, no global state.

from keras_gan import plots


class LivePlot(keras.callbacks.Callback):
    """A notebook figure of the samples, the losses and D's outputs, redrawn at each sample."""

    def __init__(self, window=20):
        super().__init__()
        self.window = window  # the curves are running means over this many iterations

    def on_train_begin(self, logs=None):
        # name -> [(iteration, value), ...]. A continued run starts from the rows it has logged.
        metrics_path = os.path.join(self.model.output_dir, "metrics.csv")
        logged = plots.read_metrics(metrics_path) if os.path.exists(metrics_path) else {}
        self.history = {
            name: list(zip(logged["iteration"], values))
            for name, values in logged.items()
            if name not in ("iteration", "time")
        }
        # One display, kept by its handle: each update replaces it instead of adding another.
        self.handle = display(self.picture(), raw=True, display_id=True)

    def on_train_batch_end(self, iteration, logs=None):
        for name, value in logs.items():
            self.history.setdefault(name, []).append((iteration, value))

    def on_epoch_end(self, epoch, logs=None):
        self.handle.update(self.picture(), raw=True)

    def picture(self):
        """The figure as a PNG, and a line of text for places that show no images."""
        figure = Figure(figsize=(12, 3.6), layout="constrained")
        samples, losses, outputs = figure.subplots(1, 3, width_ratios=(1, 1.4, 1.4))
        samples.imshow(np.asarray(self.model.sample_picture(scale=1)), cmap="gray")
        samples.set_title(f"G's samples, iteration {self.model.iteration}")
        samples.set_axis_off()
        plots.draw_curves(
            losses,
            outputs,
            {name: tuple(zip(*points)) for name, points in self.history.items()},
            self.window,
        )
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=80)
        return {
            "image/png": base64.b64encode(png.getvalue()).decode("ascii"),
            "text/plain": self.summary(),
        }

    def summary(self):
        """The latest values in one line: "iteration 200: d_loss=0.61, g_loss=0.93, ..."."""
        latest = [f"{name}={values[-1][1]:.3g}" for name, values in self.history.items()]
        return f"iteration {self.model.iteration}" + (": " + ", ".join(latest) if latest else "")


class LiveGame(keras.callbacks.Callback):
    """The game in 2-D (keras_gan/game.py) redrawn in place while a ToyGAN trains.

        gan.train(iterations=2000, callbacks=[LiveGame()])

    Redrawn at the start, every `seconds` (2.5 times a second), and at the end. A frame that
    costs c seconds waits at least 2c for the next: on a slow machine half the time still goes
    to training, so the picture keeps moving. The plane keeps one extent for the whole run, so
    the frames compare. (On 2 CPU cores a frame costs about 0.1 s: benchmarks/README.md.)
    """

    def __init__(self, seconds=0.4, dpi=72):
        super().__init__()
        self.seconds, self.dpi = seconds, dpi

    def on_train_begin(self, logs=None):
        from keras_gan import game

        if not hasattr(self.model, "frame_real_points"):
            raise ValueError(
                f"LiveGame draws 2-D points; a {type(self.model).__name__} makes images: "
                "use keras_gan.notebook.LivePlot."
            )
        self.extent = game.plane_extent(self.model.frame_real_points())
        self.redraws, self.logs = 0, {}
        self.handle = display(self.picture(), raw=True, display_id=True)

    def on_train_batch_end(self, iteration, logs=None):
        self.logs = logs or {}
        if time.perf_counter() >= self.next_picture_at:
            self.handle.update(self.picture(), raw=True)

    def on_train_end(self, logs=None):
        self.handle.update(self.picture(), raw=True)

    def picture(self):
        """The frame as a PNG, and a line of text for places that show no images."""
        started = time.perf_counter()
        png = io.BytesIO()
        self.model.picture(extent=self.extent, dpi=self.dpi).save(png, format="PNG")
        self.redraws += 1
        self.next_picture_at = started + max(self.seconds, 2 * (time.perf_counter() - started))
        latest = ", ".join(f"{name}={value:.3g}" for name, value in self.logs.items())
        return {
            "image/png": base64.b64encode(png.getvalue()).decode("ascii"),
            "text/plain": f"iteration {self.model.iteration}" + (f": {latest}" if latest else ""),
        }
