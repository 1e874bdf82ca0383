"""Ctrl-C during training: the first asks the run to stop after its iteration, a second at once.

Stopping between iterations, not inside one, keeps what is saved on the way out consistent.
"""

import contextlib
import signal
import threading


class StopOnInterrupt:
    """Turn the first Ctrl-C into `gan.stop_training = True`; a second raises KeyboardInterrupt."""

    def __init__(self, gan):
        self.gan = gan
        self.requested = False

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.gan.stop_training = True
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
