"""What runs beside the training loop: progress bar, sample grids, loss plot, quality log.

They are Keras callbacks (`keras.callbacks.Callback`), and so are yours. In a GAN run
`self.model` is the GAN (its `generator`, `discriminator`, `iteration`, `generate`, ...),
`on_train_batch_end(iteration, logs)` follows each iteration (numbered from 1), and an epoch is
one sample interval (`on_epoch_end` gets the interval's mean logs). Stop the run as in Keras:
`self.model.stop_training = True`. For example:

    class PrintEvery1000(keras.callbacks.Callback):
        def on_train_batch_end(self, iteration, logs=None):
            if iteration % 1000 == 0:
                print(iteration, logs["g_loss"])

    gan.train(iterations=5000, callbacks=[PrintEvery1000()])
"""

import os
import time

import keras
import numpy as np

from keras_gan import plots
from keras_gan.checkpoints import weights_are_finite
from keras_gan.files import CsvLog, atomic_path


class ProgressBar(keras.callbacks.Callback):
    """Keras' Progbar showing running means of the logs, and this run's iterations per second.

    Its it/s and ms/it are one figure, the average since the run's first iteration ended (that
    one compiles), so they agree, after a resume too (Keras' bar would divide by the iteration
    number, which counts the resumed run's earlier iterations).
    """

    def __init__(self, smoothing=0.05):
        super().__init__()
        self.smoothing = smoothing

    def on_train_begin(self, logs=None):
        self.bar, self.means = None, {}

    def on_train_batch_end(self, iteration, logs=None):
        for name, value in logs.items():
            previous = self.means.get(name, value)
            self.means[name] = previous + self.smoothing * (value - previous)
        if self.bar is None:  # made at the first iteration, once the names of the logs are known
            self.bar = RunProgbar(
                self.params["iterations"],
                first=iteration,
                stateful_metrics=["it/s", *logs],
                unit_name="it",
            )
        values = list(self.means.items())
        speed = self.bar.speed(iteration, time.time())
        self.bar.update(iteration, values + ([("it/s", speed)] if speed else []))


class RunProgbar(keras.utils.Progbar):
    """Keras' Progbar, timing the iterations after `first`, the one it is made at."""

    def __init__(self, target, first, **progbar_settings):
        super().__init__(target, **progbar_settings)
        self.first = first

    def speed(self, current, now):
        """Iterations per second since `first`; None before there is any."""
        done, seconds = current - self.first, now - self._start
        return done / seconds if done > 0 and seconds > 0 else None

    def _estimate_step_duration(self, current, now):  # what Keras' ms/it and ETA come from
        speed = self.speed(current, now)
        return 1.0 / speed if speed else 0


class SampleGrid(keras.callbacks.Callback):
    """Save a grid from the fixed noise to `<folder>/<iteration>.png` at iteration 0, every
    `interval` and at the end; animate them into progress.gif when the run ends."""

    def __init__(self, folder, interval):
        super().__init__()
        self.folder, self.interval = folder, interval

    def on_train_begin(self, logs=None):
        self.saved_at = None
        if self.model.iteration == 0:
            self.save()

    def on_train_batch_end(self, iteration, logs=None):
        if iteration % self.interval == 0 or iteration == self.params["iterations"]:
            self.save()

    def on_train_end(self, logs=None):
        if self.saved_at not in (None, self.model.iteration) and weights_are_finite(self.model):
            self.save()  # stopped between intervals: the last iteration's grid
        if self.saved_at is not None and plots.grid_paths(self.folder):
            plots.save_gif(self.folder)

    def save(self):
        path = os.path.join(self.folder, f"{self.model.iteration}.png")
        with atomic_path(path) as temporary:
            self.model.sample_picture().save(temporary, format="PNG")
        self.saved_at = self.model.iteration


class LossPlot(keras.callbacks.Callback):
    """Redraw `<folder>/losses.png` from the metrics log at sample intervals and at the end.

    Drawing takes a few hundred milliseconds, so it happens at most every `min_seconds`.
    """

    def __init__(self, folder, min_seconds=30.0):
        super().__init__()
        self.folder, self.min_seconds = folder, min_seconds

    def on_train_begin(self, logs=None):
        self.last_drawn = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.last_drawn > self.min_seconds:
            self.draw()

    def on_train_end(self, logs=None):
        if self.model.iteration > 0:
            self.draw()

    def draw(self):
        plots.save_loss_plot(
            os.path.join(self.folder, "metrics.csv"), os.path.join(self.folder, "losses.png")
        )
        self.last_drawn = time.perf_counter()


class QualityLog(keras.callbacks.Callback):
    """Measure an MNIST GAN's samples every `interval` iterations into `quality.csv` (in `folder`,
    by default the run's output folder).

    Frechet distance to the MNIST test set, MNIST score and digits covered (keras_gan.metrics;
    a conditional GAN adds its conditional accuracy), on `samples` generated images (2000); a
    ToyGAN logs its modes captured and share of high-quality points (of 2500); printed
    too, so a class can watch the distance fall. The numbers are added to that iteration's logs,
    where the callbacks after this one (TensorBoard) find them, as Keras callbacks share logs.
    """

    def __init__(self, interval, folder=None, data_dir=None, samples=None, verbose=1):
        super().__init__()
        self.interval, self.folder, self.data_dir, self.samples, self.verbose = (
            interval,
            folder,
            data_dir,
            samples,
            verbose,
        )

    def on_train_begin(self, logs=None):
        from keras_gan.datasets import load_mnist

        # A ToyGAN measures its modes (keras_gan.metrics.modes) and needs no reference digits.
        self.toy = hasattr(self.model, "measure_quality")
        self.reference = None if self.toy else load_mnist(self.data_dir, split="test")
        self.log = CsvLog(os.path.join(self.folder or self.model.output_dir, "quality.csv"))
        self.log.open(self.model.iteration)
        if self.model.iteration == 0:
            logs.update(self.measure())

    def on_train_batch_end(self, iteration, logs=None):
        if iteration % self.interval == 0:
            logs.update(self.measure())

    def on_train_end(self, logs=None):
        self.log.close()

    def measure(self):
        from keras_gan import metrics
        from keras_gan.metrics.modes import SAMPLES, describe_modes

        if self.toy:
            results = self.model.measure_quality(self.samples or SAMPLES)
            # Per-mode lists (mode_counts, nearest_counts) have no CSV column.
            results = {name: v for name, v in results.items() if not isinstance(v, list)}
            describe = describe_modes
        else:
            results = metrics.evaluate_gan(self.model, self.reference, self.samples or 2000)
            describe = metrics.describe
        self.log.append(
            {
                "iteration": self.model.iteration,
                **{
                    name: f"{value:.6g}"
                    for name, value in results.items()
                    if name != "digit_shares"
                },
            }
        )
        if self.verbose:
            print(f"\niteration {self.model.iteration}: {describe(results)}", flush=True)
        return {name: value for name, value in results.items() if name in QUALITY_NAMES}


QUALITY_NAMES = (
    "frechet_distance",
    "mnist_score",
    "digits_covered",
    "conditional_accuracy",
    "modes_captured",
    "high_quality_share",
)


class TensorBoard(keras.callbacks.Callback):
    """Write a GAN run to TensorBoard with TensorBoard's own writer (`tf.summary`, on any backend).

    Scalars, stepped by iteration number and grouped into sections: `losses/` (D's and G's),
    `discriminator/` (its accuracy, D(x), D(G(z)), a critic's Wasserstein estimate) every
    `update_freq` iterations, and `quality/` whenever a QualityLog placed before this callback
    measures, `diagnosis/` when the run's diagnosis finds something (also as text). Images: the
    sample grid at each sample interval. Give each run a folder of its own
    (`logs/dcgan`) and open them all with `tensorboard --logdir logs`.
    """

    def __init__(self, log_dir, update_freq=1):
        super().__init__()
        self.log_dir, self.update_freq = os.fspath(log_dir), update_freq

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self.summary = tf.summary
        self.writer = tf.summary.create_file_writer(self.log_dir)
        self.diagnoses_written = 0
        self.write_scalars(self.model.iteration, logs or {}, quality_only=True)
        if self.model.iteration == 0:
            self.write_grid()

    def on_train_batch_end(self, iteration, logs=None):
        self.write_scalars(iteration, logs, quality_only=iteration % self.update_freq != 0)
        self.write_diagnoses()

    def on_epoch_end(self, epoch, logs=None):
        self.write_grid()

    def write_diagnoses(self):
        """Each new finding of the run's diagnosis (keras_gan/diagnosis.py): its line as text,
        and a 1 at its iteration under `diagnosis/`."""
        findings = getattr(self.model, "diagnoses", [])
        with self.writer.as_default():
            for finding in findings[self.diagnoses_written :]:
                self.summary.scalar(f"diagnosis/{finding.name}", 1.0, step=finding.iteration)
                self.summary.text(f"diagnosis/{finding.name}", str(finding), step=finding.iteration)
        self.diagnoses_written = len(findings)

    def on_train_end(self, logs=None):
        self.writer.close()

    def write_scalars(self, step, logs, quality_only):
        with self.writer.as_default(step=step):
            for name, value in logs.items():
                if name in QUALITY_NAMES:
                    self.summary.scalar(f"quality/{name}", value)
                elif not quality_only:
                    self.summary.scalar(
                        f"{'losses' if name.endswith('_loss') else 'discriminator'}/{name}", value
                    )

    def write_grid(self):
        grid = np.asarray(self.model.sample_picture(scale=2))
        grid = grid[np.newaxis, ..., np.newaxis] if grid.ndim == 2 else grid[np.newaxis]
        with self.writer.as_default(step=self.model.iteration):
            self.summary.image("samples", grid)
        self.writer.flush()


# --------------------------------------------------------------------------------------------
# Which Keras callbacks fit a GAN run.

REFUSED_KERAS_CALLBACKS = {
    "ModelCheckpoint": "a GAN saves its own checkpoints (train(checkpoint_interval=...)) and "
    "its generator as generator.keras beside them",
    "BackupAndRestore": "a GAN run resumes from its own checkpoint: train(..., resume=True)",
    "LearningRateScheduler": "a GAN has two optimizers: set their rates with "
    "GAN(generator_learning_rate=..., discriminator_learning_rate=...), or change "
    "gan.discriminator.optimizer.learning_rate and gan.combined.optimizer.learning_rate in a "
    "callback of your own",
    "ReduceLROnPlateau": "a GAN has two optimizers and its losses do not plateau as a "
    "classifier's do; change gan.discriminator.optimizer.learning_rate / "
    "gan.combined.optimizer.learning_rate in a callback of your own",
    "SwapEMAWeights": "a GAN's models are trained by two optimizers; see the README's quality "
    "levers",
    "TensorBoard": "it logs one Keras model; pass keras_gan.callbacks.TensorBoard(log_dir) "
    "instead: the same scalars plus the sample grids (or keras-gan train --tensorboard DIR)",
    "TerminateOnNaN": "keras_gan already ends a run at the first NaN or infinite loss, naming "
    "it and keeping the last good checkpoint (TerminateOnNaN watches a single 'loss', which a "
    "GAN does not log)",
    "ProgbarLogger": "train(verbose=1) shows a progress bar",
    "History": "train() returns the history of every logged value",
}


def check_callbacks(callbacks):
    """The callbacks as a list, each a Keras callback a GAN run can honour; else a clear error."""
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    checked = []
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            hint = (
                " keras_gan callbacks are Keras callbacks now: subclass "
                "keras.callbacks.Callback and override on_train_batch_end(self, iteration, "
                "logs); the GAN is self.model."
                if hasattr(callback, "on_iteration_end")
                else ""
            )
            raise ValueError(
                f"callbacks must be keras.callbacks.Callback instances, got {callback!r}.{hint}"
            )
        for name, instead in REFUSED_KERAS_CALLBACKS.items():
            if type(callback) is getattr(keras.callbacks, name):
                raise ValueError(f"keras.callbacks.{name} does not fit a GAN run: {instead}.")
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.restore_best_weights:
            raise ValueError(
                "EarlyStopping(restore_best_weights=True) restores one Keras model's weights; "
                "a GAN keeps its weights in checkpoints. Use EarlyStopping without "
                "restore_best_weights."
            )
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.mode == "auto":
            raise ValueError(
                f"EarlyStopping(monitor={callback.monitor!r}) cannot tell whether a GAN's log "
                "should go up or down (Keras looks for it in one model's metrics): pass "
                "mode='min' (for a loss) or mode='max'."
            )
        checked.append(callback)
    return checked
