"""A training run around `GAN.train`'s loop: where it writes, what it logs, and how it ends.

- **Folder.** `output_dir=None` means `images/`. A folder that holds an earlier run is never
  mixed with or replaced silently: a fresh run goes to the next free numbered folder beside it
  (`images-2/`, `images-3/`, ...) and says so; `resume=True` continues the earlier run,
  `overwrite=True` replaces it. A GAN that trains again continues its own run in its own folder.
- **Checks first.** The folder, the callbacks and a checkpoint to resume are all checked before
  anything is deleted, loaded or written.
- **Logs.** Each iteration's logs go to `metrics.csv` and to the history `train()` returns, in the
  same step as the iteration count, so a Ctrl-C can never separate them; a checkpoint every
  `checkpoint_interval` iterations.
- **Callbacks.** Keras' protocol (see keras_gan/callbacks.py). Keras callbacks that need a single
  Keras model (ModelCheckpoint, LearningRateScheduler, ...) are refused up front, saying what to
  use instead. (This dispatch is our own, not Keras' CallbackList, because every callback must get
  to close the run even when another one fails.)
- **End.** However the run ends (finished, Ctrl-C, a callback's `stop_training`, an error), the
  checkpoint is saved first whenever the weights are finite, then every callback closes the run.
  A run that stops before its first iteration leaves its folder as it found it (with
  `overwrite=True`, the earlier run is set aside until the new one has trained, then deleted).
"""

import glob
import math
import os
import re
import shutil
import sys
import time

import keras
import numpy as np

from keras_gan import callbacks as standard
from keras_gan import checks, plots
from keras_gan.checkpoints import (
    check_resumable,
    checkpoint_path,
    differing_settings,
    load_checkpoint,
    save_checkpoint,
    weights_are_finite,
)
from keras_gan.diagnosis import Diagnosis
from keras_gan.files import CsvLog, check_writable
from keras_gan.interrupts import StopOnInterrupt, hold_ctrl_c

DEFAULT_OUTPUT_DIR = "images"
RUN_FILES = (
    "checkpoint.npz",
    "generator.keras",
    "metrics.csv",
    "quality.csv",
    "losses.png",
    "progress.gif",
)
REPLACED_RUN = (
    ".replaced-run"  # an overwritten run waits here until the new run has trained an iteration
)

REFUSED_KERAS_CALLBACKS = {
    "ModelCheckpoint": "a GAN saves its own checkpoints (train(checkpoint_interval=...)) and its "
    "generator as generator.keras beside them",
    "BackupAndRestore": "a GAN run resumes from its own checkpoint: train(..., resume=True)",
    "LearningRateScheduler": "a GAN has two optimizers: set their rates with GAN(generator_learning_rate=..., "
    "discriminator_learning_rate=...), or change gan.discriminator.optimizer.learning_rate "
    "and gan.combined.optimizer.learning_rate in a callback of your own",
    "ReduceLROnPlateau": "a GAN has two optimizers and its losses do not plateau as a classifier's do; change "
    "gan.discriminator.optimizer.learning_rate / gan.combined.optimizer.learning_rate in a "
    "callback of your own",
    "SwapEMAWeights": "a GAN's models are trained by two optimizers; see the README's quality levers",
    "TensorBoard": "it logs one Keras model; pass keras_gan.callbacks.TensorBoard(log_dir) instead: the same "
    "scalars plus the sample grids (or keras-gan train --tensorboard DIR)",
    "TerminateOnNaN": "keras_gan already ends a run at the first NaN or infinite loss, naming it and keeping the "
    "last good checkpoint (TerminateOnNaN watches a single 'loss', which a GAN does not log)",
    "ProgbarLogger": "train(verbose=1) shows a progress bar",
    "History": "train() returns the history of every logged value",
}


class Run:
    """One call of `GAN.train`: planned and checked at construction, carried out inside `with`."""

    def __init__(
        self,
        gan,
        iterations,
        output_dir,
        resume,
        overwrite,
        sample_interval,
        checkpoint_interval,
        log_interval,
        verbose,
        callbacks,
    ):
        self.gan, self.iterations = gan, iterations
        self.sample_interval, self.checkpoint_interval, self.log_interval = (
            sample_interval,
            checkpoint_interval,
            log_interval,
        )
        user_callbacks = check_callbacks(callbacks)
        if not resume:
            checks.check_iterations_ahead(iterations, gan.iteration)  # before a folder is made
        self.folder, self.mode, self.created_folder = plan_folder(
            gan, output_dir, resume, overwrite
        )
        if self.mode == "continue":
            if resume:  # (without resume it was checked above)
                checks.check_iterations_ahead(iterations, gan.iteration)
            if overwrite:
                print(
                    f"overwrite=True is ignored: this GAN continues its own run in {self.folder}/ "
                    "(a new GAN starts a new run).",
                    flush=True,
                )
        if self.mode == "resume":
            description = check_resumable(gan, checkpoint_path(self.folder))
            checks.check_iterations_ahead(iterations, description["iteration"])
            differences = differing_settings(description, gan)
        # Everything is checked. From here on the run acts.
        if self.mode == "resume":
            load_checkpoint(gan, checkpoint_path(self.folder))
            for name, (theirs, ours) in differences.items():
                print(
                    f"Resuming with {name}={ours!r} (the checkpoint's run had {theirs!r}).",
                    flush=True,
                )
        self.callbacks = (
            standard_callbacks(self.folder, sample_interval, verbose, user_callbacks)
            + user_callbacks
        )
        self.history = {}  # name -> one value per iteration, what train() returns
        self.metrics_log = CsvLog(os.path.join(self.folder, "metrics.csv"))

    # ----------------------------------------------------------------------------------------
    # Beginning, each iteration, and the end.

    def __enter__(self):
        gan = self.gan
        if self.mode == "overwrite":
            set_aside_run(self.folder)
        self.files_before = set(os.listdir(self.folder))
        self.start_iteration = gan.iteration
        self.previous_output_dir = gan.output_dir
        gan.output_dir = os.path.realpath(self.folder)
        gan.stop_training = False
        self.last_logs, self.interval_logs = {}, []
        self.interrupt = StopOnInterrupt(gan).__enter__()
        try:
            self.metrics_log.open(gan.iteration)
            params = {
                "verbose": 0,
                "epochs": math.ceil(self.iterations / self.sample_interval),
                "steps": self.sample_interval,
                "iterations": self.iterations,
            }
            for callback in self.callbacks:
                callback.set_model(gan)
                callback.set_params(params)
            begin_logs = {}  # shared, as Keras' are: QualityLog adds the quality at the start
            for callback in self.callbacks:
                callback.on_train_begin(begin_logs)
            self._begin_iteration()
        except BaseException as error:
            self.__exit__(type(error), error, error.__traceback__)
            raise
        return self

    def holding_ctrl_c(self):
        return hold_ctrl_c()

    def record(self, logs):
        """Log an iteration that has just been counted: history, metrics.csv; stop on NaN."""
        self.last_logs = logs
        self.interval_logs.append(logs)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)
        if self.gan.iteration % self.log_interval == 0:
            self.metrics_log.append(
                {
                    "iteration": self.gan.iteration,
                    **{name: f"{value:.6g}" for name, value in logs.items()},
                    "time": f"{time.time():.3f}",
                }
            )
        for name, value in logs.items():
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"Training diverged at iteration {self.gan.iteration}: {name} is {value}. "
                    "The last good checkpoint was kept; try a lower learning rate."
                )

    def on_iteration_end(self, logs):
        iteration = self.gan.iteration
        if iteration % self.checkpoint_interval == 0:
            save_checkpoint(self.gan, checkpoint_path(self.folder))
        logs = dict(logs)  # the callbacks' own copy, which they may add to (as QualityLog does)
        for callback in self.callbacks:
            callback.on_train_batch_end(iteration, logs)
        if iteration % self.sample_interval == 0 or iteration == self.iterations:
            epoch_logs = {
                name: float(np.mean([l[name] for l in self.interval_logs]))
                for name in self.interval_logs[-1]
            }
            self.interval_logs = []
            for callback in self.callbacks:
                callback.on_epoch_end((iteration - 1) // self.sample_interval, epoch_logs)
        self._begin_iteration()

    def _begin_iteration(self):
        iteration = self.gan.iteration
        if iteration >= self.iterations or self.gan.stop_training:
            return
        if iteration % self.sample_interval == 0 or iteration == self.start_iteration:
            for callback in self.callbacks:
                callback.on_epoch_begin(iteration // self.sample_interval)
        for callback in self.callbacks:
            callback.on_train_batch_begin(iteration + 1)

    def __exit__(self, kind, error, traceback):
        gan = self.gan
        # A Ctrl-C now would cut the last files short: it waits for them instead.
        with hold_ctrl_c():
            trained, errors = gan.iteration > self.start_iteration, []
            try:
                finite = all(
                    math.isfinite(value) for value in self.last_logs.values()
                ) and weights_are_finite(gan)
            except Exception as failure:  # noqa: BLE001 - e.g. weights a failed call left unreadable
                finite = False
                errors.append(failure)
            if trained and finite:
                try:
                    save_checkpoint(gan, checkpoint_path(self.folder))
                except Exception as failure:  # noqa: BLE001 - reported below, after the rest is saved
                    errors.append(failure)
            for callback in self.callbacks:
                try:
                    callback.on_train_end(self.last_logs)
                except Exception as failure:  # noqa: BLE001 - every callback gets to close the run
                    errors.append(failure)
            try:
                self.metrics_log.close()
            finally:
                self.interrupt.__exit__(
                    None, None, None
                )  # Ctrl-C raises again, whatever failed here
            if trained and self.mode == "overwrite":
                shutil.rmtree(os.path.join(self.folder, REPLACED_RUN), ignore_errors=True)
            if not trained and (
                self.mode == "overwrite" or (self.mode != "resume" and gan.iteration == 0)
            ):
                self._leave_folder_as_found()
                gan.output_dir = self.previous_output_dir
            elif kind is KeyboardInterrupt or gan.stop_training:
                print(
                    f"Stopped at iteration {gan.iteration}. Samples, metrics.csv and a checkpoint are in "
                    f"{self.folder}/. Resume with train(..., resume=True) or --resume.",
                    flush=True,
                )
            gan.stop_training = False
        if errors and kind is None:
            raise errors[0]
        for failure in errors:  # the run's own error propagates; these would be lost with it
            print(
                f"While ending the run, this failed too: {failure!r}", file=sys.stderr, flush=True
            )
        return False

    def _leave_folder_as_found(self):
        """Remove what a run that never trained an iteration wrote (grid 0, an empty log, ...),
        and put back the run it was to overwrite."""
        for path in run_files(self.folder):
            if os.path.basename(path) not in self.files_before:
                os.remove(path)
        if self.mode == "overwrite":
            set_aside = os.path.join(self.folder, REPLACED_RUN)
            for name in os.listdir(set_aside):
                os.replace(os.path.join(set_aside, name), os.path.join(self.folder, name))
            os.rmdir(set_aside)
        if not os.listdir(self.folder) and self.mode == "fresh" and self.created_folder:
            os.rmdir(self.folder)


def standard_callbacks(folder, sample_interval, verbose, user_callbacks=()):
    """The callbacks every run gets: watch it, keep its pictures, and diagnose it (unless the
    caller passes a Diagnosis of their own)."""
    callbacks = [standard.SampleGrid(folder, sample_interval), standard.LossPlot(folder)]
    if not any(isinstance(callback, Diagnosis) for callback in user_callbacks):
        callbacks.append(Diagnosis())
    return [standard.ProgressBar()] + callbacks if verbose else callbacks


def check_callbacks(callbacks):
    """The callbacks as a list, each a Keras callback a GAN run can honour; else a clear error."""
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    checked = []
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            hint = (
                " keras_gan callbacks are Keras callbacks now: subclass keras.callbacks.Callback and "
                "override on_train_batch_end(self, iteration, logs); the GAN is self.model."
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
                "EarlyStopping(restore_best_weights=True) restores one Keras model's weights; a GAN keeps "
                "its weights in checkpoints. Use EarlyStopping without restore_best_weights."
            )
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.mode == "auto":
            raise ValueError(
                f"EarlyStopping(monitor={callback.monitor!r}) cannot tell whether a GAN's log should go up "
                "or down (Keras looks for it in one model's metrics): pass mode='min' (for a loss) or mode='max'."
            )
        checked.append(callback)
    return checked


# --------------------------------------------------------------------------------------------
# Which folder a run writes to.


def set_aside_run(folder):
    """Move the run `overwrite` replaces into a hidden subfolder: deleted once the new run has
    trained, put back if it fails before that, left there if the process dies."""
    set_aside = os.path.join(folder, REPLACED_RUN)
    shutil.rmtree(
        set_aside, ignore_errors=True
    )  # one an earlier overwrite left when its process died
    os.makedirs(set_aside)
    for path in run_files(folder):
        os.replace(path, os.path.join(set_aside, os.path.basename(path)))


def run_files(folder):
    """The files of a run in `folder`: checkpoint, logs, plots and numbered grids."""
    named = [os.path.join(folder, name) for name in RUN_FILES]
    return [path for path in named if os.path.exists(path)] + plots.grid_paths(folder)


def plan_folder(gan, output_dir, resume, overwrite):
    """(folder, mode, whether the folder was created) for a run; mode is "continue", "resume",
    "overwrite" or "fresh". Changes nothing on disk but creating an empty folder."""
    if resume and overwrite:
        raise ValueError(
            "Choose resume=True (continue the run) or overwrite=True (start afresh), not both."
        )
    if gan.iteration > 0 and gan.output_dir is not None and is_own_run(gan, output_dir):
        return (
            gan.output_dir,
            "continue",
            False,
        )  # this GAN's own run: never replaced, whatever was asked
    base = DEFAULT_OUTPUT_DIR if output_dir is None else os.fspath(output_dir)
    if resume:
        folder = base if output_dir is not None else latest_run(base)
        if not os.path.exists(checkpoint_path(folder)):
            raise ValueError(
                f"Cannot resume: no checkpoint in {folder!r}. Give the output folder of the run "
                "to continue, or train without resume."
            )
        return folder, "resume", False
    if run_files(base):
        if overwrite:
            check_writable(base)
            return base, "overwrite", False
        folder = next_free_folder(base)
        print(
            f"{base}/ holds an earlier run, kept as it is: this run writes to {folder}/ "
            "(resume=True / --resume continues the earlier run, overwrite=True / --overwrite replaces it).",
            flush=True,
        )
        base = folder
    existed = os.path.isdir(base)
    check_writable(base)
    return base, "fresh", not existed


def is_own_run(gan, output_dir):
    """Whether `output_dir` names this GAN's run: none named, its folder, or the folder it was
    asked for when an earlier run there sent it to a numbered one beside it (images for images-2)."""
    if output_dir is None:
        return True
    asked = os.path.realpath(output_dir)
    return (
        gan.output_dir == asked
        or re.fullmatch(re.escape(asked) + r"-\d+", gan.output_dir) is not None
    )


def next_free_folder(base):
    """`base-2`, `base-3`, ...: the first that does not exist yet or holds no run."""
    number = 2
    while run_files(f"{base}-{number}"):
        number += 1
    return f"{base}-{number}"


def latest_run(base):
    """Of `base` and its numbered siblings `base-N`, the one whose checkpoint was written last."""
    candidates = [base] + [
        path
        for path in glob.glob(f"{glob.escape(base)}-*")
        if re.fullmatch(r"\d+", path[len(base) + 1 :])
    ]
    with_checkpoint = [path for path in candidates if os.path.exists(checkpoint_path(path))]
    if not with_checkpoint:
        return base
    return max(with_checkpoint, key=lambda path: os.path.getmtime(checkpoint_path(path)))
