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
            holder = stream.read().strip() or "unknown"
            stream.close()
            raise ValueError(
                f"Another process (pid {holder}) is training in {folder}/ now: wait for it to "
                "end (or stop it) before resuming there, or give another output folder."
            ) from None
        stream.truncate(0)
        stream.write(str(os.getpid()))
        stream.flush()
        self.stream = stream

    def release(self):
        if self.stream is not None:
            self.stream.close()  # closing the file releases the lock
            self.stream = None

    def remove(self):
        """Release the lock and delete its file (for a folder about to be removed)."""
        self.release()
        path = os.path.join(self.folder, LOCK_FILE)
        if fcntl is not None and os.path.exists(path):
            os.remove(path)
