"""What happens around the training loop: progress bar, sample grids, metrics log, loss plot,
checkpoints, and a clean stop on Ctrl-C or on a NaN loss.

`GAN.train` calls three hooks on each callback; write your own by overriding any of them:

    class PrintEvery1000(Callback):
        def on_iteration_end(self, gan, iteration, logs):
            if iteration % 1000 == 0:
                print(iteration, logs["g_loss"])

    gan.train(iterations=5000, callbacks=[PrintEvery1000()])
"""

import contextlib
import math
import os
import signal
import threading
import time

import keras

from keras_gan import plots
from keras_gan.files import atomic_path
from keras_gan.checkpoints import checkpoint_path, save_checkpoint

METRIC_NAMES = ("d_loss", "d_accuracy", "g_loss", "d_real", "d_fake")


class Callback:
    """Something the training loop tells about its progress."""

    def on_train_begin(self, gan, iterations):
        """Called before the first iteration; `iterations` is the run's last iteration number."""

    def on_iteration_end(self, gan, iteration, logs):
        """Called after each iteration with its number (from 1) and its losses."""

    def on_train_end(self, gan, status):
        """Called once at the end; `status` is "finished", "interrupted" or "failed"."""


class CallbackList(Callback):
    """Several callbacks called in order, and the context in which a run happens."""

    def __init__(self, callbacks):
        self.callbacks = list(callbacks)

    def on_train_begin(self, gan, iterations):
        for callback in self.callbacks:
            callback.on_train_begin(gan, iterations)

    def on_iteration_end(self, gan, iteration, logs):
        for callback in self.callbacks:
            callback.on_iteration_end(gan, iteration, logs)

    def on_train_end(self, gan, status):
        # Every callback gets to close the run (above all, to save the checkpoint), even if
        # one of them fails; the first error is raised after all of them ran.
        errors = []
        for callback in self.callbacks:
            try:
                callback.on_train_end(gan, status)
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    @contextlib.contextmanager
    def running(self, gan, iterations):
        """Begin the run, catch Ctrl-C as a request to stop, and always end the run cleanly."""
        with StopOnInterrupt() as interrupt:
            self.on_train_begin(gan, iterations)
            status = "failed"
            try:
                yield interrupt
                status = "interrupted" if interrupt.requested else "finished"
            except KeyboardInterrupt:
                # A second Ctrl-C ("stop at once"): the weights are whole (a compiled call ends
                # before Python sees the signal; one_call holds it over its write-back), so keep them.
                status = "interrupted"
                raise
            finally:
                # A Ctrl-C now would cut the last checkpoint short: it waits for the files instead.
                with hold_ctrl_c():
                    self.on_train_end(gan, status)


class StopOnInterrupt:
    """Turn the first Ctrl-C into a request to stop after the current iteration.

    Stopping between iterations (not in the middle of one) means the checkpoint saved on the way
    out is consistent. A second Ctrl-C stops at once, for the impatient.
    """

    def __enter__(self):
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nStopping after this iteration (press Ctrl-C again to stop at once)...", flush=True)

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


@contextlib.contextmanager
def hold_ctrl_c():
    """Hold a Ctrl-C (SIGINT) back until the block has finished, then deliver it."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is None or threading.current_thread() is not threading.main_thread():
        yield  # only the main thread runs Python's signal handlers; None: not Python's to change
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if callable(previous):
            for frame in received:  # e.g. StopOnInterrupt's handler, or Python's KeyboardInterrupt
                previous(signal.SIGINT, frame)
        elif received and previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


class History(Callback):
    """Keeps every iteration's losses; `GAN.train` returns its `history` dict."""

    def __init__(self):
        self.history = {name: [] for name in METRIC_NAMES}

    def on_iteration_end(self, gan, iteration, logs):
        for name in METRIC_NAMES:
            self.history[name].append(logs[name])


class StopOnNonFinite(Callback):
    """Stop the run at the first NaN or infinite loss, before it reaches a checkpoint."""

    def on_iteration_end(self, gan, iteration, logs):
        for name, value in logs.items():
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"Training diverged at iteration {iteration}: {name} is {value}. "
                    "The last good checkpoint was kept; try a lower learning rate."
                )


class ProgressBar(Callback):
    """Keras' Progbar showing running means of the losses and of iterations per second."""

    def __init__(self, smoothing=0.05):
        self.smoothing = smoothing

    def on_train_begin(self, gan, iterations):
        names = ["it/s", *METRIC_NAMES]
        self.bar = keras.utils.Progbar(iterations, stateful_metrics=names, unit_name="it")
        self.means = {}
        self.last_time = time.perf_counter()
        self.bar.update(gan.iteration)

    def on_iteration_end(self, gan, iteration, logs):
        now = time.perf_counter()
        speed, self.last_time = 1.0 / max(now - self.last_time, 1e-9), now
        for name, value in (("it/s", speed), *((name, logs[name]) for name in METRIC_NAMES)):
            previous = self.means.get(name, value)
            self.means[name] = previous + self.smoothing * (value - previous)
        self.bar.update(iteration, list(self.means.items()))


class SampleGrid(Callback):
    """Save a 5x5 grid from the fixed noise to `<folder>/<iteration>.png` every `interval`."""

    def __init__(self, folder, interval):
        self.folder, self.interval = folder, interval

    def on_train_begin(self, gan, iterations):
        self.iterations = iterations
        if gan.iteration == 0:
            self.save(gan)

    def on_iteration_end(self, gan, iteration, logs):
        if iteration % self.interval == 0 or iteration == self.iterations:
            self.save(gan)

    def on_train_end(self, gan, status):
        if status == "interrupted":
            self.save(gan)
        if status != "failed" and plots.grid_paths(self.folder):
            plots.save_gif(self.folder)

    def save(self, gan):
        samples = gan.generate(len(gan.fixed_noise), noise=gan.fixed_noise)
        plots.save_grid(samples, os.path.join(self.folder, f"{gan.iteration}.png"))


class CsvLog:
    """A CSV file that a run appends to row by row, and that a resumed run continues."""

    def __init__(self, path, columns):
        self.path, self.columns = path, tuple(columns)

    def open(self, iteration):
        """Start the log afresh at iteration 0, else keep the rows up to `iteration`."""
        kept = self._rows_up_to(iteration) if iteration > 0 else []
        # Rows after the checkpoint we resume from would be logged twice: rewrite without them.
        with atomic_path(self.path) as temporary:
            with open(temporary, "w") as stream:
                stream.write(",".join(self.columns) + "\n")
                stream.writelines(kept)
        self.stream = open(self.path, "a")

    def _rows_up_to(self, iteration):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as stream:
            lines = stream.readlines()[1:]
        whole = [line for line in lines if line.endswith("\n") and line.count(",") == len(self.columns) - 1]
        return [line for line in whole if int(line.split(",", 1)[0]) <= iteration]

    def append(self, values):
        # One write per whole row, then flush: a crash can lose a row, never half of one.
        self.stream.write(",".join(str(value) for value in values) + "\n")
        self.stream.flush()

    def close(self):
        self.stream.close()


class MetricsLog(Callback):
    """Append each `interval`-th iteration's metrics to `<folder>/metrics.csv`."""

    def __init__(self, folder, interval=1):
        self.log = CsvLog(os.path.join(folder, "metrics.csv"), ("iteration", *METRIC_NAMES, "time"))
        self.interval = interval

    def on_train_begin(self, gan, iterations):
        self.log.open(gan.iteration)

    def on_iteration_end(self, gan, iteration, logs):
        if iteration % self.interval == 0:
            self.log.append([iteration, *(f"{logs[name]:.6g}" for name in METRIC_NAMES), f"{time.time():.3f}"])

    def on_train_end(self, gan, status):
        self.log.close()


class QualityLog(Callback):
    """Measure an MNIST GAN's samples every `interval` iterations into `<folder>/quality.csv`.

    Frechet distance to the MNIST test set, MNIST score and digits covered (keras_gan.metrics),
    on `samples` generated images; printed too, so a class can watch the distance fall.
    """

    columns = ("iteration", "frechet_distance", "mnist_score", "digits_covered")

    def __init__(self, folder, interval, data_dir=None, samples=2000, verbose=1):
        self.log = CsvLog(os.path.join(folder, "quality.csv"), self.columns)
        self.interval, self.data_dir, self.samples, self.verbose = interval, data_dir, samples, verbose

    def on_train_begin(self, gan, iterations):
        from keras_gan.datasets import load_mnist

        self.reference = load_mnist(self.data_dir, split="test")
        self.log.open(gan.iteration)
        if gan.iteration == 0:
            self.measure(gan)

    def on_iteration_end(self, gan, iteration, logs):
        if iteration % self.interval == 0:
            self.measure(gan)

    def on_train_end(self, gan, status):
        self.log.close()

    def measure(self, gan):
        from keras_gan import metrics

        results = metrics.evaluate(gan.generate(self.samples), self.reference)
        self.log.append([gan.iteration, *(f"{results[name]:.6g}" for name in self.columns[1:])])
        if self.verbose:
            print(f"\niteration {gan.iteration}: {describe_quality(results)}", flush=True)


def describe_quality(results):
    return (
        f"Frechet distance {results['frechet_distance']:.2f}, MNIST score {results['mnist_score']:.2f}, "
        f"{results['digits_covered']} of 10 digits"
    )


class LossPlot(Callback):
    """Redraw `<folder>/losses.png` from the metrics log at sample intervals and at the end.

    Drawing takes a few hundred milliseconds, so it happens at most every `min_seconds`.
    """

    def __init__(self, folder, interval, min_seconds=30.0):
        self.folder, self.interval, self.min_seconds = folder, interval, min_seconds

    def on_train_begin(self, gan, iterations):
        self.last_drawn = time.perf_counter()

    def on_iteration_end(self, gan, iteration, logs):
        if iteration % self.interval == 0 and time.perf_counter() - self.last_drawn > self.min_seconds:
            self.draw()

    def on_train_end(self, gan, status):
        self.draw()

    def draw(self):
        plots.save_loss_plot(os.path.join(self.folder, "metrics.csv"), os.path.join(self.folder, "losses.png"))
        self.last_drawn = time.perf_counter()


class Checkpoint(Callback):
    """Save a checkpoint every `interval` iterations and when the run stops cleanly."""

    def __init__(self, folder, interval):
        self.folder, self.interval = folder, interval

    def on_iteration_end(self, gan, iteration, logs):
        if iteration % self.interval == 0:
            save_checkpoint(gan, checkpoint_path(self.folder))

    def on_train_end(self, gan, status):
        # After a failure the weights may be broken (NaN): keep the last good checkpoint instead.
        if status == "failed":
            return
        save_checkpoint(gan, checkpoint_path(self.folder))
        if status == "interrupted":
            print(
                f"Stopped at iteration {gan.iteration}. Samples, metrics.csv and a checkpoint are "
                f"in {self.folder}/. Resume with train(..., resume=True) or --resume.",
                flush=True,
            )


def standard_callbacks(output_dir, sample_interval, checkpoint_interval, log_interval, verbose):
    """The callbacks every run gets: watch it, keep its pictures and log, and never lose it."""
    callbacks = [
        StopOnNonFinite(),
        MetricsLog(output_dir, log_interval),
        Checkpoint(output_dir, checkpoint_interval),
        SampleGrid(output_dir, sample_interval),
        LossPlot(output_dir, sample_interval),
    ]
    return [ProgressBar()] + callbacks if verbose else callbacks
