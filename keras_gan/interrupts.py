"""Stops during training: Ctrl-C (SIGINT) and SIGTERM, the stop a job scheduler, a container or a
notebook host sends. The first asks the run to stop after its iteration, a second stops at once.

Stopping between iterations, not inside one, keeps what is saved on the way out consistent. After
a SIGTERM the run saves its grid, log and checkpoint, then the process exits with status 143
(128 + SIGTERM), as Keras' BackupAndRestore expects a preempted job to be resumed: run the same
command again with --resume / resume=True.
"""

import contextlib
import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
TERMINATED_STATUS = 128 + signal.SIGTERM


class StopOnInterrupt:
    """Turn the first Ctrl-C or SIGTERM into `gan.stop_training = True`; a second raises
    KeyboardInterrupt. `terminated`: whether a SIGTERM came (the process is then to exit)."""

    def __init__(self, gan):
        self.gan = gan
        self.requested = False
        self.terminated = False

    def __enter__(self):
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._request)
        return self

    def _request(self, signum, frame):
        self.terminated = self.terminated or signum == signal.SIGTERM
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.gan.stop_training = True
        name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        print(
            f"\n{name}: stopping after this iteration (a second one stops at once)...", flush=True
        )

    def __exit__(self, *exc_info):
        for number, previous in self._previous.items():
            if previous is not None:
                signal.signal(number, previous)
        self._previous = {}
        return False


@contextlib.contextmanager
def hold_ctrl_c():
    """Hold a Ctrl-C (SIGINT) or a SIGTERM back until the block has finished, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread runs Python's signal handlers
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    held = [number for number, handler in previous.items() if handler is not None]
    received = []  # None: not Python's to change
    for number in held:
        signal.signal(number, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        for number in held:
            signal.signal(number, previous[number])
        for signum, frame in received:
            handler = previous[signum]
            if callable(handler):  # StopOnInterrupt's, or Python's KeyboardInterrupt for SIGINT
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
