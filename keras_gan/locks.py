"""One process at a time in a run folder: a second run (a `--resume` while the first still
trains, say) is refused before it loads, writes or deletes anything.

The lock is the operating system's (flock) on a hidden file in the folder: it is held by the open
file, so a process that crashes or is killed releases it with its files, and never leaves the
folder locked. (Where flock does not exist, Windows, runs are not locked.)
"""

import os

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE = ".keras-gan.lock"


class RunLock:
    """Hold the lock of `folder` from construction until `release()`; a clear ValueError if
    another process holds it."""

    def __init__(self, folder):
        self.folder, self.stream, self.created = folder, None, False
        if fcntl is None:
            return
        path = os.path.join(folder, LOCK_FILE)
        self.created = not os.path.lexists(path)  # a run that trains nothing removes it again
        # O_NOFOLLOW: a link planted in the folder's place cannot point the lock elsewhere.
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        stream = os.fdopen(descriptor, "r+")
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.close()
            raise ValueError(
                f"Another process is training in {folder}/ now: wait for it to end (or stop "
                "it) before running there again, or give another output folder."
            ) from None
        self.stream = stream  # (nothing is written to it: the folder's files stay as they were)

    def release(self, remove_file=False):
        """Let the folder go; `remove_file`: delete the lock file too if this lock created it
        (a run that trained nothing leaves its folder as it found it)."""
        if self.stream is not None:
            self.stream.close()  # closing the file releases the lock
            self.stream = None
        path = os.path.join(self.folder, LOCK_FILE)
        if remove_file and self.created and os.path.exists(path):
            os.remove(path)
