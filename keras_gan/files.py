"""Writing files so that a crash never leaves a half-written one in place of a good one."""

import contextlib
import os
import tempfile

UMASK = os.umask(0o022)
os.umask(UMASK)  # (reading the umask means setting it: put back at once)


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path beside `path`; on success, rename it over `path` in one step.

    A rename within a folder is atomic: readers see the old file or the new one, never a mix.
    If the writer fails (or the process dies), the old file is untouched.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # An unpredictable name, created here (O_EXCL): a link planted under a name we would use
    # cannot redirect the write. `suffix`: for writers that insist on a file name ending (Keras'
    # model.save wants .keras).
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=f".tmp{suffix}", dir=folder
    )
    os.fchmod(descriptor, 0o666 & ~UMASK)  # the permissions a plain open() would have given
    os.close(descriptor)
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
        with tempfile.TemporaryFile(dir=folder, prefix=".write-test-") as probe:
            probe.write(b"ok")
    except OSError as error:
        raise ValueError(
            f"Cannot write to the output folder {folder!r} ({error.strerror}): "
            "choose a folder you can write to (output_dir / --output-dir)."
        ) from error


class CsvLog:
    """A CSV file a run appends to row by row, and that a resumed run continues.

    Its columns are those of the first row appended (a dict); a resumed run keeps them.
    """

    def __init__(self, path):
        self.path, self.stream, self.columns = path, None, None

    def open(self, iteration):
        """Start the log afresh at iteration 0, else keep the rows up to `iteration`."""
        header, kept = self._rows_up_to(iteration) if iteration > 0 else (None, [])
        if header is not None:
            # Rows after the checkpoint we resume from would be logged twice: rewrite without them.
            with atomic_path(self.path) as temporary:
                with open(temporary, "w") as stream:
                    stream.write(",".join(header) + "\n")
                    stream.writelines(kept)
        elif os.path.exists(self.path):
            os.remove(self.path)
        self.columns = header

    def _rows_up_to(self, iteration):
        header, rows = read_numeric_csv(self.path)
        if header is None:
            return None, []
        return header, [",".join(row) + "\n" for row in rows if float(row[0]) <= iteration]

    def append(self, row):
        """Append one row (a dict: column -> value); a crash can lose a row, never half of one."""
        if self.stream is None:
            if self.columns is None:
                self.columns = tuple(row)
                with open(self.path, "w") as stream:
                    stream.write(",".join(self.columns) + "\n")
            elif set(self.columns) != set(row):
                raise ValueError(
                    f"{self.path} has the columns {', '.join(self.columns)}, but this run logs "
                    f"{', '.join(row)}: resume the run with the model that started it."
                )
            self.stream = open(self.path, "a")
        self.stream.write(",".join(str(row[column]) for column in self.columns) + "\n")
        self.stream.flush()

    def close(self):
        if self.stream is not None:
            self.stream.close()
            self.stream = None


def read_numeric_csv(path):
    """(header, rows) of a log of numbers such as metrics.csv, each row its fields as strings;
    (None, []) if there is no such file or not even a header line.

    A last line without its newline is a row a crash cut short: left out. Any other row that is
    not one number per column is a damaged file: a ValueError names the file, the line and why.
    """
    if not os.path.exists(path):
        return None, []
    with open(path) as stream:
        lines = stream.readlines()
    if not lines or not lines[0].endswith("\n"):
        return None, []
    header = tuple(lines[0].rstrip("\n").split(","))
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.endswith("\n"):
            break  # only the last line can lack its newline
        fields = line.rstrip("\n").split(",")
        problem = None
        if len(fields) != len(header):
            problem = f"{len(fields)} fields where the header names {len(header)} columns"
        else:
            try:
                [float(field) for field in fields]
            except ValueError:
                problem = "a field that is not a number"
        if problem:
            raise ValueError(
                f"{path} is damaged: line {number} ({line.strip()[:60]!r}) has {problem}. "
                "Delete or repair that line, then run again."
            )
        rows.append(fields)
    return header, rows
