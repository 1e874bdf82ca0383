"""The `keras-gan` command: train, sample, export, gif, evaluate and doctor, from a terminal.

    keras-gan train --model dcgan --dataset mnist --iterations 5000 --output-dir runs/dcgan
    keras-gan train --output-dir runs/dcgan --iterations 8000 --resume
    keras-gan sample runs/dcgan --output samples.png
    keras-gan sample runs/cgan --label 7 --output sevens.png
    keras-gan export runs/dcgan --output generator.keras
    keras-gan gif runs/dcgan
    keras-gan evaluate runs/dcgan
    keras-gan doctor

Every error a user can fix is one line on stderr and a non-zero exit status.
"""

import argparse
import os
import sys

import numpy as np

from keras_gan import checks
from keras_gan.script import OneLineErrorParser, add_run_flags, errors_in_one_line

MODELS = {
    "gan": "GAN",
    "mlp": "GAN",
    "dcgan": "DCGAN",
    "cgan": "CGAN",
    "lsgan": "LSGAN",
    "wgan": "WGAN",
    "wgangp": "WGANGP",
    "toy": "ToyGAN",
    "pacgan": "PacGAN",
}
TOY_MODELS = ("ToyGAN", "PacGAN")
TOY_DATASETS = ("ring", "grid", "moons", "spiral")  # keras_gan.datasets.TOY_DATASETS
DATASETS = ("mnist", "cifar10", "folder", *TOY_DATASETS)
# A toy run's defaults differ (ToyGAN.train): iterations, batch size, sample interval.
RUN_DEFAULTS = {"image": (30000, 32, 200), "toy": (5000, 256, 250)}


def build_parser(with_model_flags=False, argv=()):
    parser = OneLineErrorParser(
        prog="keras-gan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)

    train = commands.add_parser(
        "train", help="train a GAN; grids, log and checkpoints go to --output-dir"
    )
    train.add_argument(
        "--model",
        type=model_name,
        help="gan (the classic MLP GAN, default; also 'mlp'), dcgan, cgan, lsgan, wgan, wgangp; "
        "toy or pacgan for 2-D points",
    )
    train.add_argument(
        "--dataset",
        choices=DATASETS,
        help="mnist (default), cifar10 or folder; ring (default for toy, pacgan), grid, moons, "
        "spiral: 2-D points",
    )
    train.add_argument("--folder", help="with --dataset folder: a folder of .jpg/.png images")
    train.add_argument(
        "--image-size", type=int, help="with --dataset folder: size to crop to (default 64)"
    )
    add_run_flags(train, iterations=30000, batch_size=32, sample_interval=200, output_dir=None)
    # By model (RUN_DEFAULTS): a toy run's differ.
    train.set_defaults(iterations=None, batch_size=None, sample_interval=None)
    train.add_argument(
        "--checkpoint-interval", type=int, default=1000, help="a checkpoint every N iterations"
    )
    train.add_argument(
        "--log-interval", type=int, default=1, help="a metrics.csv row every N iterations"
    )
    train.add_argument(
        "--eval-interval",
        type=int,
        help="log sample quality every N iterations (MNIST; ring and grid: modes captured)",
    )
    train.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="write TensorBoard logs (scalars, grids, quality) to DIR",
    )
    if with_model_flags:
        add_model_flags(train, model_classes(argv))
    train.add_argument(
        "--devices",
        type=int,
        default=1,
        help="train on N devices: TensorFlow's MirroredStrategy or JAX's DataParallel (on "
        "TensorFlow a CPU alone is split into N logical devices: for checking, not speed)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--no-diagnosis",
        action="store_true",
        help="switch off the diagnosis that names classic failures (keras_gan/diagnosis.py)",
    )

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
    for command in (sample, export):
        command.add_argument(
            "--overwrite", action="store_true", help="replace --output if it exists (else refused)"
        )

    gif = commands.add_parser("gif", help="animate a run's sample grids into progress.gif")
    gif.add_argument("run_folder")
    gif.add_argument("--output", help="default: <run_folder>/progress.gif")
    gif.add_argument("--frame-seconds", type=float, default=0.2)

    evaluate = commands.add_parser(
        "evaluate",
        help="Frechet distance, MNIST score, class coverage (+ cgan accuracy); toy: modes",
    )
    evaluate.add_argument(
        "checkpoint", help="a run folder or its checkpoint.npz (MNIST, or a ring or grid toy)"
    )
    evaluate.add_argument(
        "-n",
        "--count",
        type=int,
        help="how many samples to score (>= 2; default 10000, a toy run 2500)",
    )
    evaluate.add_argument("--data-dir", help="local MNIST folder (else $KERAS_GAN_DATA_DIR)")
    evaluate.add_argument("--seed", type=int, default=0, help="random seed for the noise")
    commands.add_parser(
        "doctor", help="check that this Keras behaves as the classic GAN pattern needs"
    )
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else [str(argument) for argument in argv]
    # The model flags come from the models' setting declarations, which means importing Keras:
    # only `train` needs them, so every other command (and --help) starts at once.
    parser = build_parser(with_model_flags="train" in argv[:1], argv=argv)
    args = parser.parse_args(argv)
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
    if args.eval_interval and args.dataset not in (None, "mnist", "ring", "grid"):
        raise ValueError(
            "--eval-interval measures MNIST digits, or the modes of ring and grid: use it with "
            "--dataset mnist, ring or grid."
        )
    if args.data_dir is not None and args.dataset in TOY_DATASETS:
        raise ValueError(f"--data-dir names where MNIST or CIFAR-10 lie; {args.dataset} is made.")
    if args.data_dir is not None and args.dataset == "folder":
        raise ValueError(
            "--data-dir names where MNIST or CIFAR-10 lie; a folder dataset is --folder PATH."
        )
    checks.check_resume_or_overwrite(args.resume, args.overwrite)
    if args.resume and args.seed is not None:
        raise ValueError(
            "--seed sets up a new run; a resumed run continues the checkpoint's random state."
        )


def model_name(name):
    """--model: a shipped model's name, or `package.module:Class` for a GAN subclass of yours."""
    if name in MODELS or (":" in name and all(part for part in name.split(":"))):
        return name
    raise argparse.ArgumentTypeError(
        f"invalid choice: {name!r} (choose from {', '.join(MODELS)}, or module:Class for a "
        "GAN subclass of your own)"
    )


def model_class(name):
    """The class --model names (importing Keras)."""
    import importlib

    import keras_gan

    if name in MODELS:
        return getattr(keras_gan, MODELS[name])
    module_name, _, class_name = name.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"--model {name}: cannot import {class_name} from {module_name} ({error})."
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, keras_gan.GAN)):
        raise ValueError(f"--model {name} is not a subclass of keras_gan.GAN.")
    return cls


def model_classes(argv):
    """The classes whose settings become flags: the shipped models, and yours if named."""
    given = [argv[i + 1] for i, flag in enumerate(argv[:-1]) if flag == "--model"]
    given += [flag.partition("=")[2] for flag in argv if flag.startswith("--model=")]
    names = [*MODELS, *(name for name in given if ":" in name)]
    return list(dict.fromkeys(model_class(name) for name in names))


def add_model_flags(train, classes):
    """A flag for every setting the models declare (settings.py), with its help."""
    from keras_gan.settings import declared_settings

    group = train.add_argument_group(
        "model settings (default: the model's own; with --resume: the checkpoint's)"
    )
    flags = {}
    for cls in classes:
        for name, setting in declared_settings(cls).items():
            if setting.command_line and setting.refusal is None:
                flags.setdefault(name, (setting, []))[1].append(cls)
    for name, (setting, owners) in flags.items():
        only = "" if len(owners) == len(classes) else f"{', '.join(c.__name__ for c in owners)}: "
        help = f"{only}{setting.help} (default {setting.default!r})".replace("%", "%%")
        kind = setting.check.command_line
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help)
        elif hasattr(setting.check, "choices"):
            group.add_argument(flag, choices=setting.check.choices, help=help)
        else:
            group.add_argument(flag, type=kind, help=help)
    train.set_defaults(model_flags=list(flags))


def takes(cls, name):
    """Whether `cls` declares the setting `name` and does not refuse it."""
    from keras_gan.settings import declared_settings

    setting = declared_settings(cls).get(name)
    return setting is not None and setting.refusal is None


def model_settings(args, cls, model):
    """The model settings given on the command line (only those given), checked against `cls`."""
    from keras_gan.settings import declared_settings

    declared, given = declared_settings(cls), {}
    for name in args.model_flags:
        value = getattr(args, name)
        if value is None:
            continue
        if name not in declared:  # (a refused one is refused, saying why, by the model itself)
            having = [m for m in MODELS if m != "mlp" and takes(model_class(m), name)]
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} applies to --model {'/'.join(having)} only, not {model}.")
        check = declared[name].check
        given[name] = check.command_line(value) if hasattr(check, "choices") else value
    return given


def image_shape(args):
    if args.dataset == "folder":
        return (args.image_size or 64,) * 2 + (3,)
    return (32, 32, 3) if args.dataset == "cifar10" else (28, 28, 1)


def load_dataset(args, conditional):
    from keras_gan import datasets

    if args.dataset in TOY_DATASETS:
        return datasets.load_toy(args.dataset)
    if args.dataset == "folder":
        return datasets.load_image_folder(args.folder, args.image_size or 64)
    if args.dataset == "cifar10":
        return datasets.load_cifar10(args.data_dir)
    return datasets.load_mnist(args.data_dir, with_labels=conditional)


def resolve_model_and_dataset(args):
    """--model and --dataset, each defaulting from the other: toy models train on 2-D points
    (ring by default), every other model on images (mnist by default)."""
    toy_data = args.dataset in TOY_DATASETS
    model = args.model or ("toy" if toy_data else "gan")
    toy_model = MODELS.get(model) in TOY_MODELS
    dataset = args.dataset or ("ring" if toy_model else "mnist")
    if model in MODELS and toy_model != (dataset in TOY_DATASETS):
        kind = "2-D points: use --dataset ring, grid, moons or spiral" if toy_model else "images"
        raise ValueError(f"--model {model} trains on {kind}, not --dataset {dataset}.")
    return model, dataset


def resolve_run_defaults(args, cls):
    """--iterations, --batch-size, --sample-interval not given: the model's own defaults."""
    defaults = RUN_DEFAULTS["toy" if hasattr(cls, "measure_quality") else "image"]
    for flag, default in zip(("iterations", "batch_size", "sample_interval"), defaults):
        if getattr(args, flag) is None:
            setattr(args, flag, default)


def train_command(args):
    if not args.resume:
        args.model, args.dataset = resolve_model_and_dataset(args)
    check_train_flags(args)
    from keras_gan import quiet

    quiet.load_keras()  # without TensorFlow's start-up lines
    from keras_gan import callbacks, checkpoints, devices, folders

    with devices.engine(args.devices):  # the models are built where they train
        if args.resume:
            folder = args.output_dir or folders.latest_run(folders.DEFAULT_OUTPUT_DIR)
            description = checkpoints.read_description(checkpoints.checkpoint_path(folder))
            cls = checkpoints.checkpoint_class(description, folder)
            if args.model is not None and model_class(args.model) is not cls:
                raise ValueError(
                    f"{folder}/ holds a {cls.__name__} run; --model {args.model} cannot resume it."
                )
            # The checkpoint's settings, with the flags given over them.
            gan = checkpoints.load_gan(folder, **model_settings(args, cls, cls.__name__.lower()))
            args.output_dir = folder
            if hasattr(gan, "measure_quality"):  # a toy run: its own dataset's points again
                args.dataset = args.dataset or gan.dataset
                if args.dataset is None:
                    raise ValueError(
                        f"{folder}/ trained on points of its own: it cannot resume here."
                    )
            args.dataset = args.dataset or "mnist"
            resolve_run_defaults(args, cls)
        else:
            cls = model_class(args.model or "gan")
            settings = model_settings(args, cls, args.model or "gan")
            conditional = hasattr(cls, "num_classes")
            if conditional and args.dataset != "mnist":
                raise ValueError(
                    f"--model {args.model} trains on labelled digits: use --dataset mnist."
                )
            toy = hasattr(cls, "measure_quality")
            if toy:
                settings["dataset"] = args.dataset
            shape = {} if conditional or toy else {"img_shape": image_shape(args)}
            seed = {} if args.seed is None else {"seed": args.seed}
            resolve_run_defaults(args, cls)
            gan = cls(**shape, **settings, **seed)

    run_callbacks = []
    if args.eval_interval:
        run_callbacks.append(callbacks.QualityLog(args.eval_interval, data_dir=args.data_dir))
    if args.tensorboard:
        run_callbacks.append(callbacks.TensorBoard(args.tensorboard))
    if args.no_diagnosis:
        from keras_gan.diagnosis import Diagnosis

        run_callbacks.append(Diagnosis(checks=()))
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
        callbacks=run_callbacks,
    )
    if gan.iteration < args.iterations:
        return 130  # stopped early; the run said where things are
    print(
        f"Done: iteration {gan.iteration}. Grids, progress.gif, losses.png, metrics.csv, the "
        f"checkpoint and generator.keras are in {os.path.relpath(gan.output_dir)}/"
    )


# --------------------------------------------------------------------------------------------
# keras-gan sample / export / gif / evaluate


def checkpoint_file(path):
    """The checkpoint.npz a run folder (or the file itself) names; an error if there is none."""
    path = os.path.join(path, "checkpoint.npz") if os.path.isdir(path) else path
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No checkpoint at {path!r}: give a run folder or its checkpoint.npz."
        )
    return path


def gan_from_checkpoint(path):
    """The model that wrote a checkpoint (a run folder or its checkpoint.npz), rebuilt, loaded."""
    path = checkpoint_file(path)
    from keras_gan import quiet

    quiet.load_keras()  # without TensorFlow's start-up lines
    from keras_gan.checkpoints import load_gan

    return load_gan(checkpoint_file(path))


def check_output_is_new(args):
    """An existing --output is replaced only when asked: a file of samples can be hard to redo."""
    if os.path.lexists(args.output) and not args.overwrite:
        raise ValueError(
            f"{args.output} exists already: give another --output, or add --overwrite to "
            "replace it."
        )
    if os.path.isdir(args.output):
        raise ValueError(f"--output {args.output} is a folder: give a file name.")


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
    checkpoint_file(args.checkpoint)  # a missing one is the first thing to say
    check_output_is_new(args)
    gan = gan_from_checkpoint(args.checkpoint)
    if args.interpolation and len(gan.img_shape) == 1:
        raise ValueError("--interpolation walks between images; this model makes 2-D points.")
    conditional = hasattr(gan, "num_classes")
    if args.label is not None and not conditional:
        raise ValueError(
            "--label asks a conditional model for a class; this checkpoint holds a "
            f"{type(gan).__name__}."
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
        elif samples.ndim == 2:  # 2-D points: a scatter plot
            from keras_gan import game

            title = f"{len(samples)} samples, iteration {gan.iteration}"
            game.save_points(samples, args.output, title)
        else:
            plots.save_grid(samples, args.output)
    print(f"Wrote {args.output} (iteration {gan.iteration}).")


def export_command(args):
    if not args.output.endswith(".keras"):
        raise ValueError(f"--output must end in .keras (Keras' own format), got {args.output!r}.")
    checkpoint_file(args.checkpoint)  # a missing one is the first thing to say
    check_output_is_new(args)
    gan = gan_from_checkpoint(args.checkpoint)
    from keras_gan.checkpoints import export_generator

    export_generator(gan, args.output)
    inputs = "(noise, label)" if hasattr(gan, "num_classes") else "noise"
    print(
        f"Wrote {args.output}: the generator at iteration {gan.iteration}, {inputs} -> images "
        "in [-1, 1]. Load it with keras.saving.load_model()."
    )


def gif_command(args):
    from keras_gan import plots

    if not os.path.isdir(args.run_folder):
        raise FileNotFoundError(f"{args.run_folder!r} is not a folder: give a run's output folder.")
    print(f"Wrote {plots.save_gif(args.run_folder, args.output, args.frame_seconds)}.")


def evaluate_command(args):
    if args.count is not None and args.count < 2:
        raise ValueError(
            f"--count must be >= 2 (the distance needs a covariance), got {args.count}."
        )
    from keras_gan import quiet

    quiet.load_keras()  # without TensorFlow's start-up lines
    from keras_gan import metrics
    from keras_gan.datasets import load_mnist

    gan = gan_from_checkpoint(args.checkpoint)
    if hasattr(gan, "measure_quality"):  # a toy model: its modes
        from keras_gan.metrics.modes import SAMPLES, describe_modes

        if args.data_dir is not None:
            raise ValueError("--data-dir names where MNIST lies; a toy run's modes are known.")
        results = gan.measure_quality(args.count or SAMPLES, seed=args.seed)
        print(f"iteration {gan.iteration}: {describe_modes(results)}")
        return
    args.count = args.count or 10000
    if gan.img_shape != (28, 28, 1):
        raise ValueError(
            f"evaluate measures MNIST digits (28, 28, 1); this model makes {gan.img_shape}."
        )
    results = metrics.evaluate_gan(
        gan, load_mnist(args.data_dir, split="test"), args.count, seed=args.seed
    )
    print(f"iteration {gan.iteration}: {metrics.describe(results)}")
    from keras_gan.diagnosis import diagnose_finished_run

    folder = args.checkpoint if os.path.isdir(args.checkpoint) else os.path.dirname(args.checkpoint)
    findings = diagnose_finished_run(gan, folder or ".", results["digit_shares"])
    for finding in findings:
        print(finding)
    if not findings:
        print("diagnosis: nothing wrong seen (D learning, not winning; digits covered).")


def doctor_command(args):
    from keras_gan import doctor

    results = doctor.run_checks()
    return 0 if all(result.passed for result in results) else 1


COMMANDS = {
    "train": train_command,
    "sample": sample_command,
    "export": export_command,
    "gif": gif_command,
    "evaluate": evaluate_command,
    "doctor": doctor_command,
}

if __name__ == "__main__":
    sys.exit(main())
