"""Writing files so that a crash never leaves a half-written one in place of a good one."""

import contextlib
import os


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success, rename it over `path` in one step.

    A rename within a folder is atomic: readers see the old file or the new one, never a mix.
    If the writer fails (or the process dies), the old file is untouched.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def check_writable(folder):
    """Create `folder` if needed and prove we can write there, before any training starts."""
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, f".write-test-{os.getpid()}")
        with open(probe, "w") as stream:
            stream.write("ok")
        os.remove(probe)
    except OSError as error:
        raise ValueError(
            f"Cannot write to the output folder {folder!r} ({error.strerror}): "
            "choose a folder you can write to (output_dir / --output-dir)."
        ) from error
