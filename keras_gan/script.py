"""What the example scripts and the `keras-gan` command share: their run flags, and errors a
user can fix as one line instead of a traceback.

    from keras_gan.script import command_line, errors_in_one_line

    args = command_line(__doc__, iterations=5000, batch_size=32, sample_interval=200,
                        output_dir=None).parse_args()
    with errors_in_one_line():
        GAN(seed=args.seed).train(iterations=args.iterations, ...)
"""

import argparse
import contextlib
import os
import sys

# Errors a user can fix (bad flags, a missing folder, no network for a download): one line each.
USER_ERRORS = (ValueError, FileNotFoundError, RuntimeError, OSError, FloatingPointError)


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (what was wrong, where to look) instead of the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_run_flags(parser, iterations, batch_size, sample_interval, output_dir, data_dir=True):
    """The flags every training command and example shares, with that script's defaults."""
    if data_dir:
        parser.add_argument(
            "--data-dir", help="local dataset folder (else $KERAS_GAN_DATA_DIR, else download)"
        )
    parser.add_argument(
        "--iterations",
        type=int,
        default=iterations,
        help=f"train up to this iteration (default {iterations})",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=batch_size,
        help=f"images per batch (default {batch_size})",
    )
    parser.add_argument(
        "--sample-interval",
        type=int,
        default=sample_interval,
        help=f"a grid of samples every N iterations (default {sample_interval})",
    )
    parser.add_argument(
        "--output-dir",
        default=output_dir,
        help=f"where grids, log and checkpoint go (default {output_dir or 'images'}; "
        "taken: a numbered one beside it)",
    )
    parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="replace the run in --output-dir")
    return parser


def command_line(description, **defaults):
    """An example script's command line: its docstring as help, and the shared run flags."""
    parser = OneLineErrorParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return add_run_flags(parser, **defaults)


@contextlib.contextmanager
def errors_in_one_line(program=None):
    """Turn an error a user can fix into one line on stderr and exit status 1 (Ctrl-C: 130)."""
    program = program or os.path.basename(sys.argv[0])
    try:
        yield
    except USER_ERRORS as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        sys.exit(130)
