"""Which folder a run writes to, and what happens to a run already there.

`output_dir=None` means `images/`. A folder that holds an earlier run is never mixed with or
replaced silently: a fresh run goes to the next free numbered folder beside it (`images-2/`,
`images-3/`, ...) and says so; `resume=True` continues the earlier run, `overwrite=True`
replaces it, setting it aside until the new run has trained an iteration. A GAN that trains
again continues its own run in its own folder.
"""

import glob
import os
import re
import shutil

from keras_gan import plots
from keras_gan.checkpoints import CHECKPOINT_NAME, GENERATOR_NAME, checkpoint_path
from keras_gan.files import check_writable

DEFAULT_OUTPUT_DIR = "images"
RUN_FILES = (
    CHECKPOINT_NAME,
    GENERATOR_NAME,
    "metrics.csv",
    "quality.csv",
    "losses.png",
    "progress.gif",
)
# An overwritten run waits here until the new run has trained an iteration.
REPLACED_RUN = ".replaced-run"


def set_aside_run(folder):
    """Move the run `overwrite` replaces into a hidden subfolder: deleted once the new run has
    trained, put back if it fails before that, left there if the process dies."""
    set_aside = os.path.join(folder, REPLACED_RUN)
    shutil.rmtree(set_aside, ignore_errors=True)  # one an overwrite left when its process died
    os.makedirs(set_aside)
    for path in run_files(folder):
        os.replace(path, os.path.join(set_aside, os.path.basename(path)))


def put_back_replaced_run(folder):
    """The new run never trained: the run it was to replace comes back as it was."""
    set_aside = os.path.join(folder, REPLACED_RUN)
    for name in os.listdir(set_aside):
        os.replace(os.path.join(set_aside, name), os.path.join(folder, name))
    os.rmdir(set_aside)


def delete_replaced_run(folder):
    """The new run has trained: the run it replaces is gone for good."""
    shutil.rmtree(os.path.join(folder, REPLACED_RUN), ignore_errors=True)


def run_files(folder):
    """The files of a run in `folder`: checkpoint, logs, plots and numbered grids."""
    named = [os.path.join(folder, name) for name in RUN_FILES]
    return [path for path in named if os.path.exists(path)] + plots.grid_paths(folder)


def plan_folder(gan, output_dir, resume, overwrite):
    """(folder, mode, whether the folder was created) for a run; mode is "continue", "resume",
    "overwrite" or "fresh". Changes nothing on disk but creating an empty folder."""
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
            "(resume=True / --resume continues the earlier run, overwrite=True / --overwrite "
            "replaces it).",
            flush=True,
        )
        base = folder
    existed = os.path.isdir(base)
    check_writable(base)
    return base, "fresh", not existed


def is_own_run(gan, output_dir):
    """Whether `output_dir` names this GAN's run: none named, its folder, or the folder it was
    asked for when an earlier run there sent it to a numbered one beside it (images, images-2)."""
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
