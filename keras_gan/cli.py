"""The `keras-gan` command: train, sample, export, gif and evaluate, for runs from a terminal.

    keras-gan train --model dcgan --dataset mnist --iterations 5000 --output-dir runs/dcgan
    keras-gan train --output-dir runs/dcgan --iterations 8000 --resume
    keras-gan sample runs/dcgan --output samples.png
    keras-gan sample runs/cgan --label 7 --output sevens.png
    keras-gan export runs/dcgan --output generator.keras
    keras-gan gif runs/dcgan
    keras-gan evaluate runs/dcgan

Every error a user can fix is one line on stderr and a non-zero exit status.
"""

import argparse
import contextlib
import os
import sys

import numpy as np

MODELS = {
    "gan": "GAN",
    "mlp": "GAN",
    "dcgan": "DCGAN",
    "cgan": "CGAN",
    "lsgan": "LSGAN",
    "wgan": "WGAN",
}
DATASETS = ("mnist", "cifar10", "folder")
# Errors a user can fix (bad flags, a missing folder, no network for a download): one line each.
USER_ERRORS = (ValueError, FileNotFoundError, RuntimeError, OSError, FloatingPointError)

# Flags that set a model's own settings: flag name -> (setting, the models it applies to).
MODEL_FLAGS = {
    "latent_dim": ("latent_dim", None),
    "learning_rate": ("learning_rate", None),
    "beta_1": ("beta_1", None),
    "generator_learning_rate": ("generator_learning_rate", None),
    "discriminator_learning_rate": ("discriminator_learning_rate", None),
    "d_steps": ("d_steps", None),
    "from_logits": ("from_logits", None),
    "label_smoothing": ("label_smoothing", None),
    "ema_momentum": ("ema_momentum", None),
    "fakes_in_training_mode": ("fakes_in_training_mode", None),
    "filters": ("filters", ("DCGAN", "CGAN")),
    "clip_value": ("clip_value", ("WGAN",)),
    "jit_compile": ("jit_compile", None),
    "four_calls": ("one_call", None),
}


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (what was wrong, where to look) instead of the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = OneLineErrorParser(
        prog="keras-gan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)

    train = commands.add_parser(
        "train", help="train a GAN; grids, log and checkpoints go to --output-dir"
    )
    train.add_argument(
        "--model",
        choices=MODELS,
        help="gan (the classic MLP GAN, default; also 'mlp'), dcgan, cgan, lsgan or wgan",
    )
    train.add_argument(
        "--dataset", choices=DATASETS, default="mnist", help="mnist, cifar10 or folder"
    )
    train.add_argument("--folder", help="with --dataset folder: a folder of .jpg/.png images")
    train.add_argument(
        "--image-size", type=int, help="with --dataset folder: size to crop to (default 64)"
    )
    add_run_flags(train, iterations=30000, batch_size=32, sample_interval=200, output_dir=None)
    train.add_argument(
        "--checkpoint-interval", type=int, default=1000, help="a checkpoint every N iterations"
    )
    train.add_argument(
        "--log-interval", type=int, default=1, help="a metrics.csv row every N iterations"
    )
    train.add_argument(
        "--eval-interval", type=int, help="MNIST only: log sample quality every N iterations"
    )
    train.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="write TensorBoard logs (scalars, grids, quality) to DIR",
    )
    model = train.add_argument_group(
        "model settings (default: the model's own; with --resume: the checkpoint's)"
    )
    model.add_argument("--latent-dim", type=int)
    model.add_argument("--learning-rate", type=float)
    model.add_argument("--beta-1", type=float, help="Adam's beta_1 (default 0.5)")
    model.add_argument("--generator-learning-rate", type=float, help="default: --learning-rate")
    model.add_argument("--discriminator-learning-rate", type=float, help="default: --learning-rate")
    model.add_argument("--d-steps", type=int, help="discriminator steps per generator step")
    model.add_argument(
        "--from-logits", action="store_true", default=None, help="D outputs logits; loss on logits"
    )
    model.add_argument("--label-smoothing", type=float, help="one-sided, e.g. 0.1")
    model.add_argument(
        "--ema-momentum", type=float, help="sample from an averaged generator, e.g. 0.999"
    )
    model.add_argument(
        "--fakes-in-training-mode",
        action="store_true",
        default=None,
        help="D's fakes from G in training mode (BatchNorm on batch statistics)",
    )
    model.add_argument(
        "--filters", type=int, help="dcgan, cgan: width of the largest feature maps (default 64)"
    )
    model.add_argument(
        "--clip-value", type=float, help="wgan: the critic's weight clip (default 0.01)"
    )
    model.add_argument(
        "--jit-compile",
        choices=("auto", "true", "false"),
        help="XLA: auto (on for TensorFlow and JAX), true, false",
    )
    model.add_argument(
        "--four-calls",
        action="store_true",
        default=None,
        help="each iteration as the classic four Keras calls (2x slower; to compare)",
    )
    train.add_argument(
        "--devices",
        type=int,
        default=1,
        help="train on N devices: TensorFlow's MirroredStrategy or JAX's DataParallel (on "
        "TensorFlow a CPU alone is split into N logical devices: for checking, not speed)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("checkpoint", help="a run folder or its checkpoint.npz")
    sample.add_argument(
        "--output", default="samples.png", help=".png for a grid, .npy for the array"
    )
    sample.add_argument("-n", "--count", type=int, default=25, help="how many samples")
    sample.add_argument("--seed", type=int, help="random seed for the noise")
    sample.add_argument(
        "--label", type=int, help="cgan: the class to draw (default: random classes)"
    )
    sample.add_argument(
        "--interpolation", action="store_true", help="rows walking between latent points"
    )

    export = commands.add_parser(
        "export", help="save a run's generator as a .keras file that loads without keras_gan"
    )
    export.add_argument("checkpoint", help="a run folder or its checkpoint.npz")
    export.add_argument("--output", required=True, help="the .keras file to write")

    gif = commands.add_parser("gif", help="animate a run's sample grids into progress.gif")
    gif.add_argument("run_folder")
    gif.add_argument("--output", help="default: <run_folder>/progress.gif")
    gif.add_argument("--frame-seconds", type=float, default=0.2)

    evaluate = commands.add_parser(
        "evaluate", help="Frechet distance, MNIST score, class coverage (+ cgan accuracy)"
    )
    evaluate.add_argument("checkpoint", help="a run folder or its checkpoint.npz (an MNIST model)")
    evaluate.add_argument(
        "-n", "--count", type=int, default=10000, help="how many samples to score (>= 2)"
    )
    evaluate.add_argument("--data-dir", help="local MNIST folder (else $KERAS_GAN_DATA_DIR)")
    evaluate.add_argument("--seed", type=int, default=0, help="random seed for the noise")
    return parser


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
        help=f"where grids, log and checkpoint go (default {output_dir or 'images'}; taken: a numbered one beside it)",
    )
    parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="replace the run in --output-dir")
    return parser


def example_parser(description, **defaults):
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


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        with errors_in_one_line(f"keras-gan {args.command}"):
            return COMMANDS[args.command](args) or 0
    except SystemExit as exit:
        return exit.code


# --------------------------------------------------------------------------------------------
# keras-gan train


def check_train_flags(args):
    """Every flag checked before Keras loads and the data is read: wrong values and flags that do
    not apply to the chosen model or dataset are errors, never silently ignored."""
    if args.dataset != "folder":
        for flag in ("folder", "image_size"):
            if getattr(args, flag) is not None:
                raise ValueError(f"--{flag.replace('_', '-')} applies to --dataset folder only.")
    elif not args.folder:
        raise ValueError("--dataset folder needs --folder PATH, a folder of .jpg/.png images.")
    elif not os.path.isdir(args.folder):
        raise FileNotFoundError(f"--folder {args.folder!r} is not a folder.")
    for flag in (
        "iterations",
        "batch_size",
        "sample_interval",
        "checkpoint_interval",
        "log_interval",
        "eval_interval",
        "image_size",
        "devices",
    ):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be >= 1, got {value}.")
    if args.eval_interval and args.dataset != "mnist":
        raise ValueError("--eval-interval measures MNIST digits: use it with --dataset mnist.")
    if args.data_dir is not None and args.dataset == "folder":
        raise ValueError(
            "--data-dir names where MNIST or CIFAR-10 lie; a folder dataset is --folder PATH."
        )
    if args.resume and args.overwrite:
        raise ValueError(
            "Choose --resume (continue the run) or --overwrite (start afresh), not both."
        )
    if args.resume and args.seed is not None:
        raise ValueError(
            "--seed sets up a new run; a resumed run continues the checkpoint's random state."
        )


def model_settings(args, class_name):
    """The model settings given on the command line (only those given), checked against the model."""
    given = {}
    for flag, (setting, models) in MODEL_FLAGS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if models is not None and class_name not in models:
            raise ValueError(
                f"--{flag.replace('_', '-')} applies to --model {'/'.join(m.lower() for m in models)} only, not {class_name.lower()}."
            )
        if flag == "jit_compile":
            value = {"auto": "auto", "true": True, "false": False}[value]
        if flag == "four_calls":
            value = False
        given[setting] = value
    return given


def image_shape(args):
    if args.dataset == "folder":
        return (args.image_size or 64,) * 2 + (3,)
    return (32, 32, 3) if args.dataset == "cifar10" else (28, 28, 1)


def load_dataset(args, conditional):
    from keras_gan import datasets

    if args.dataset == "folder":
        return datasets.load_image_folder(args.folder, args.image_size or 64)
    if args.dataset == "cifar10":
        return datasets.load_cifar10(args.data_dir)
    return datasets.load_mnist(args.data_dir, with_labels=conditional)


def train_command(args):
    check_train_flags(args)
    if not args.resume:  # checked before Keras loads: a mistake costs no start-up time
        class_name = MODELS[args.model or "gan"]
        if class_name == "CGAN" and args.dataset != "mnist":
            raise ValueError("--model cgan trains on labelled digits: use --dataset mnist.")
        settings = model_settings(args, class_name)
    import keras_gan
    from keras_gan import callbacks as run_callbacks
    from keras_gan import checkpoints, devices, runs

    with devices.engine(args.devices):  # the models are built where they train
        if args.resume:
            folder = args.output_dir or runs.latest_run(runs.DEFAULT_OUTPUT_DIR)
            description = checkpoints.read_description(checkpoints.checkpoint_path(folder))
            class_name = description["class"].rpartition(".")[2]
            if args.model is not None and MODELS[args.model] != class_name:
                raise ValueError(
                    f"{folder}/ holds a {class_name} run; --model {args.model} cannot resume it."
                )
            # The checkpoint's settings, with the flags given over them.
            gan = checkpoints.load_gan(folder, **model_settings(args, class_name))
            args.output_dir = folder
        else:
            shape = {} if class_name == "CGAN" else {"img_shape": image_shape(args)}
            gan = getattr(keras_gan, class_name)(
                **shape, **settings, **({} if args.seed is None else {"seed": args.seed})
            )

    callbacks = []
    if args.eval_interval:
        callbacks.append(run_callbacks.QualityLog(args.eval_interval, data_dir=args.data_dir))
    if args.tensorboard:
        callbacks.append(run_callbacks.TensorBoard(args.tensorboard))
    gan.train(
        iterations=args.iterations,
        batch_size=args.batch_size,
        sample_interval=args.sample_interval,
        data=load_dataset(args, conditional=hasattr(gan, "num_classes")),
        output_dir=args.output_dir,
        checkpoint_interval=args.checkpoint_interval,
        log_interval=args.log_interval,
        resume=args.resume,
        overwrite=args.overwrite,
        verbose=0 if args.quiet else 1,
        callbacks=callbacks,
    )
    if gan.iteration < args.iterations:
        return 130  # stopped early; the run said where things are
    print(
        f"Done: iteration {gan.iteration}. Grids, progress.gif, losses.png, metrics.csv, the checkpoint and "
        f"generator.keras are in {os.path.relpath(gan.output_dir)}/"
    )


# --------------------------------------------------------------------------------------------
# keras-gan sample / export / gif / evaluate


def gan_from_checkpoint(path):
    """Rebuild the model a checkpoint (a run folder or its checkpoint.npz) was written by, loaded."""
    path = os.path.join(path, "checkpoint.npz") if os.path.isdir(path) else path
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No checkpoint at {path!r}: give a run folder or its checkpoint.npz."
        )
    from keras_gan.checkpoints import load_gan

    return load_gan(path)


def sample_command(args):
    from keras_gan import plots
    from keras_gan.files import atomic_path

    if args.count < 1:
        raise ValueError(f"--count must be >= 1, got {args.count}.")
    if not args.output.endswith((".png", ".npy")):
        raise ValueError(
            f"--output must end in .png (a grid) or .npy (the array), got {args.output!r}."
        )
    if args.interpolation and args.output.endswith(".npy"):
        raise ValueError("--interpolation draws a grid: give an --output ending in .png.")
    gan = gan_from_checkpoint(args.checkpoint)
    conditional = hasattr(gan, "num_classes")
    if args.label is not None and not conditional:
        raise ValueError(
            f"--label asks a conditional model for a class; this checkpoint holds a {type(gan).__name__}."
        )
    labels = {"labels": args.label} if args.label is not None else {}
    if args.interpolation:
        plots.save_interpolation(gan, args.output, seed=args.seed, **labels)
    else:
        samples = gan.generate(
            args.count, seed=args.seed, **labels
        )  # a seed fixes noise and classes
        if args.output.endswith(".npy"):
            with atomic_path(args.output) as temporary:
                with open(temporary, "wb") as stream:
                    np.save(stream, samples)
        else:
            plots.save_grid(samples, args.output)
    print(f"Wrote {args.output} (iteration {gan.iteration}).")


def export_command(args):
    if not args.output.endswith(".keras"):
        raise ValueError(f"--output must end in .keras (Keras' own format), got {args.output!r}.")
    gan = gan_from_checkpoint(args.checkpoint)
    from keras_gan.checkpoints import export_generator

    export_generator(gan, args.output)
    inputs = "(noise, label)" if hasattr(gan, "num_classes") else "noise"
    print(
        f"Wrote {args.output}: the generator at iteration {gan.iteration}, {inputs} -> images in [-1, 1]. "
        "Load it with keras.saving.load_model()."
    )


def gif_command(args):
    from keras_gan import plots

    if not os.path.isdir(args.run_folder):
        raise FileNotFoundError(f"{args.run_folder!r} is not a folder: give a run's output folder.")
    print(f"Wrote {plots.save_gif(args.run_folder, args.output, args.frame_seconds)}.")


def evaluate_command(args):
    if args.count < 2:
        raise ValueError(
            f"--count must be >= 2 (the distance needs a covariance), got {args.count}."
        )
    from keras_gan import metrics
    from keras_gan.datasets import load_mnist

    gan = gan_from_checkpoint(args.checkpoint)
    if gan.img_shape != (28, 28, 1):
        raise ValueError(
            f"evaluate measures MNIST digits (28, 28, 1); this model makes {gan.img_shape}."
        )
    results = metrics.evaluate_gan(
        gan, load_mnist(args.data_dir, split="test"), args.count, seed=args.seed
    )
    print(f"iteration {gan.iteration}: {metrics.describe(results)}")


COMMANDS = {
    "train": train_command,
    "sample": sample_command,
    "export": export_command,
    "gif": gif_command,
    "evaluate": evaluate_command,
}

if __name__ == "__main__":
    sys.exit(main())
