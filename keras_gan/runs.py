"""A training run around `GAN.train`'s loop: where it writes, what it logs, and how it ends.

- **Folder.** Chosen by folders.py: never mixed with or replacing an earlier run silently.
- **Checks first.** The folder, the callbacks and a checkpoint to resume are all checked before
  anything is deleted, loaded or written.
- **Logs.** Each iteration's logs go to `metrics.csv` and to the history `train()` returns, in the
  same step as the iteration count, so a Ctrl-C can never separate them; a checkpoint every
  `checkpoint_interval` iterations.
- **Callbacks.** Keras' protocol (see keras_gan/callbacks.py, which also says which Keras
  callbacks fit a GAN run). This dispatch is our own, not Keras' CallbackList, because every
  callback must get to close the run even when another one fails.
- **End.** However the run ends (finished, Ctrl-C, a callback's `stop_training`, an error), the
  checkpoint is saved first whenever the weights are finite, then every callback closes the run.
  A run that stops before its first iteration leaves its folder as it found it (with
  `overwrite=True`, the earlier run is set aside until the new one has trained, then deleted).
"""

import math
import os
import sys
import time

import numpy as np

from keras_gan import callbacks, checks, folders
from keras_gan.checkpoints import (
    check_resumable,
    checkpoint_path,
    differing_settings,
    load_checkpoint,
    save_checkpoint,
    weights_are_finite,
)
from keras_gan.files import CsvLog, read_numeric_csv
from keras_gan.interrupts import TERMINATED_STATUS, StopOnInterrupt, hold_ctrl_c
from keras_gan.locks import RunLock


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
        user_callbacks,
    ):
        self.gan, self.iterations = gan, iterations
        self.sample_interval, self.checkpoint_interval, self.log_interval = (
            sample_interval,
            checkpoint_interval,
            log_interval,
        )
        user_callbacks = callbacks.check_callbacks(user_callbacks)
        if not resume:
            checks.check_iterations_ahead(iterations, gan.iteration)  # before a folder is made
        self.folder, self.mode, self.created_folder = folders.plan_folder(
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
            read_numeric_csv(os.path.join(self.folder, "metrics.csv"))  # damaged: said now
        self.lock = RunLock(self.folder)  # one process at a time here: refused if another trains
        # Everything is checked. From here on the run acts.
        if self.mode == "resume":
            try:
                load_checkpoint(gan, checkpoint_path(self.folder))
            except BaseException:
                self.lock.release()
                raise
            for name, (theirs, ours) in differences.items():
                print(
                    f"Resuming with {name}={ours!r} (the checkpoint's run had {theirs!r}).",
                    flush=True,
                )
        self.callbacks = standard_callbacks(self.folder, sample_interval, verbose) + user_callbacks
        self.history = {}  # name -> one value per iteration, what train() returns
        self.metrics_log = CsvLog(os.path.join(self.folder, "metrics.csv"))

    # ----------------------------------------------------------------------------------------
    # Beginning, each iteration, and the end.

    def __enter__(self):
        gan = self.gan
        if self.mode == "overwrite":
            folders.set_aside_run(self.folder)
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
                name: float(np.mean([entry[name] for entry in self.interval_logs]))
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
                folders.delete_replaced_run(self.folder)
            if not trained and (
                self.mode == "overwrite" or (self.mode != "resume" and gan.iteration == 0)
            ):
                self._leave_folder_as_found()
                gan.output_dir = self.previous_output_dir
            elif kind is KeyboardInterrupt or gan.stop_training:
                print(
                    f"Stopped at iteration {gan.iteration}. Samples, metrics.csv and a checkpoint "
                    f"are in {self.folder}/. Resume with train(..., resume=True) or --resume.",
                    flush=True,
                )
            gan.stop_training = False
            self.lock.release()
        if errors and kind is None:
            raise errors[0]
        for failure in errors:  # the run's own error propagates; these would be lost with it
            print(
                f"While ending the run, this failed too: {failure!r}", file=sys.stderr, flush=True
            )
        if self.interrupt.terminated and kind in (None, KeyboardInterrupt):
            raise SystemExit(TERMINATED_STATUS)  # a SIGTERM ends the process, once all is saved
        return False

    def _leave_folder_as_found(self):
        """Remove what a run that never trained an iteration wrote (grid 0, an empty log, ...),
        and put back the run it was to overwrite."""
        for path in folders.run_files(self.folder):
            if os.path.basename(path) not in self.files_before:
                os.remove(path)
        if self.mode == "overwrite":
            folders.put_back_replaced_run(self.folder)
        if self.lock.created:
            self.lock.remove()
        if not os.listdir(self.folder) and self.mode == "fresh" and self.created_folder:
            os.rmdir(self.folder)


def standard_callbacks(folder, sample_interval, verbose):
    """The callbacks every run gets: watch it, and keep its pictures."""
    pictures = [callbacks.SampleGrid(folder, sample_interval), callbacks.LossPlot(folder)]
    return [callbacks.ProgressBar(), *pictures] if verbose else pictures
