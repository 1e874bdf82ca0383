"""TensorFlow's start-up lines, kept out of a student's first screen.

Importing TensorFlow prints 6-9 lines (oneDNN, CUDA drivers not found, CPU instructions, the
banner twice) that ask nothing of the user; in a notebook they are red stderr blocks. While
Keras loads (and TensorFlow finds its devices), stderr is caught; lines of that kind are dropped
and every other line, a warning of the user's own included, is shown as it came.

The way back: set TF_CPP_MIN_LOG_LEVEL yourself (0 shows everything); keras_gan then leaves
TensorFlow's logging alone.
"""

import contextlib
import os
import re
import sys
import tempfile

START_UP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|"
    r"^[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] |"  # absl's INFO and WARNING lines
    r"^E\d{4} [\d:.]+ +\d+ \S+:\d+\] .*(cuInit|Unable to register|CUDA|cuda)|"
    r"This TensorFlow binary is optimized|To enable the following instructions|"
    r"TF-TRT Warning|oneDNN custom operations"
)


def load_keras():
    """Import Keras (and so TensorFlow) with its start-up lines left out; the keras module."""
    with start_up_quieted():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe logs here, not at import
    return keras


@contextlib.contextmanager
def start_up_quieted():
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "keras" in sys.modules:
        yield  # the user chose TensorFlow's logging, or it has spoken already
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "1"  # TensorFlow's own INFO lines, after start-up
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to catch
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines(keepends=True):
                if not START_UP_NOISE.search(line):
                    sys.stderr.write(line)
            sys.stderr.flush()
