"""The `keras-gan` command: train, sample, gif and evaluate, for runs from a terminal.

    keras-gan train --model dcgan --dataset mnist --iterations 5000 --output-dir runs/dcgan
    keras-gan train --output-dir runs/dcgan --model dcgan --iterations 8000 --resume
    keras-gan sample runs/dcgan --output samples.png
    keras-gan gif runs/dcgan
    keras-gan evaluate runs/dcgan

Every error is one line on stderr and a non-zero exit status.
"""

import argparse
import os
import sys

import numpy as np

MODELS = ("mlp", "dcgan")
DATASETS = ("mnist", "cifar10", "folder")


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (what was wrong, where to look) instead of the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = OneLineErrorParser(
        prog="keras-gan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)

    train = commands.add_parser("train", help="train a GAN; grids, log and checkpoints go to --output-dir")
    train.add_argument("--model", choices=MODELS, default="mlp", help="mlp (classic GAN) or dcgan")
    train.add_argument("--dataset", choices=DATASETS, default="mnist", help="mnist, cifar10 or folder")
    train.add_argument("--folder", help="with --dataset folder: a folder of .jpg/.png images")
    train.add_argument("--image-size", type=int, default=64, help="with --dataset folder: size to crop to")
    add_run_flags(train, iterations=30000, batch_size=32, sample_interval=200, output_dir="images")
    train.add_argument("--checkpoint-interval", type=int, default=1000, help="a checkpoint every N iterations")
    train.add_argument("--log-interval", type=int, default=1, help="a metrics.csv row every N iterations")
    train.add_argument("--eval-interval", type=int, help="MNIST only: log sample quality every N iterations")
    train.add_argument("--latent-dim", type=int, default=100)
    train.add_argument("--learning-rate", type=float, default=2e-4)
    train.add_argument("--beta-1", type=float, default=0.5, help="Adam's beta_1 (default 0.5)")
    train.add_argument("--generator-learning-rate", type=float, help="default: --learning-rate")
    train.add_argument("--discriminator-learning-rate", type=float, help="default: --learning-rate")
    train.add_argument("--d-steps", type=int, default=1, help="discriminator steps per generator step")
    train.add_argument("--from-logits", action="store_true", help="D outputs logits; loss on logits")
    train.add_argument("--label-smoothing", type=float, default=0.0, help="one-sided, e.g. 0.1")
    train.add_argument("--jit-compile", nargs="?", const="true", default="auto", choices=("auto", "true", "false"),
                       help="XLA: auto (on for TensorFlow and JAX), true, false")
    train.add_argument("--four-calls", action="store_true",
                       help="each iteration as the classic four Keras calls (2x slower; to compare)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("checkpoint", help="a run folder or its checkpoint.npz")
    sample.add_argument("--output", default="samples.png", help=".png for a grid, .npy for the array")
    sample.add_argument("-n", "--count", type=int, default=25, help="how many samples")
    sample.add_argument("--seed", type=int, help="random seed for the noise")
    sample.add_argument("--interpolation", action="store_true", help="rows walking between latent points")

    gif = commands.add_parser("gif", help="animate a run's sample grids into progress.gif")
    gif.add_argument("run_folder")
    gif.add_argument("--output", help="default: <run_folder>/progress.gif")
    gif.add_argument("--frame-seconds", type=float, default=0.2)

    evaluate = commands.add_parser("evaluate", help="Frechet distance, MNIST score and class coverage")
    evaluate.add_argument("checkpoint", help="a run folder or its checkpoint.npz (an MNIST model)")
    evaluate.add_argument("-n", "--count", type=int, default=10000, help="how many samples to score (>= 2)")
    evaluate.add_argument("--data-dir", help="local MNIST folder (else $KERAS_GAN_DATA_DIR)")
    evaluate.add_argument("--seed", type=int, help="random seed for the noise")
    return parser


def add_run_flags(parser, iterations, batch_size, sample_interval, output_dir, data_dir=True):
    """The flags every training command and example shares, with that script's defaults."""
    if data_dir:
        parser.add_argument("--data-dir", help="local dataset folder (else $KERAS_GAN_DATA_DIR, else download)")
    parser.add_argument("--iterations", type=int, default=iterations, help=f"train up to this iteration (default {iterations})")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"images per batch (default {batch_size})")
    parser.add_argument("--sample-interval", type=int, default=sample_interval, help=f"a 5x5 grid every N iterations (default {sample_interval})")
    parser.add_argument("--output-dir", default=output_dir, help=f"where grids, log and checkpoint go (default {output_dir})")
    parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="replace the run in --output-dir")
    return parser


def example_parser(description, **defaults):
    """An example script's command line: its docstring as help, and the shared run flags."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    return add_run_flags(parser, **defaults)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args) or 0
    except (ValueError, FileNotFoundError, RuntimeError, OSError, FloatingPointError) as error:
        print(f"keras-gan {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"keras-gan {args.command}: interrupted", file=sys.stderr)
        return 130


def make_gan(model, **settings):
    from keras_gan import DCGAN, GAN

    return (DCGAN if model == "dcgan" else GAN)(**settings)


def load_dataset(args):
    from keras_gan import datasets

    if args.dataset == "folder":
        return datasets.load_image_folder(args.folder, args.image_size)
    if args.dataset == "cifar10":
        return datasets.load_cifar10(args.data_dir)
    return datasets.load_mnist(args.data_dir)


def image_shape(args):
    if args.dataset == "folder":
        return (args.image_size, args.image_size, 3)
    return (32, 32, 3) if args.dataset == "cifar10" else (28, 28, 1)


def train_command(args):
    # Check what is cheap to check before Keras loads and the data is read.
    if args.dataset == "folder" and not args.folder:
        raise ValueError("--dataset folder needs --folder PATH, a folder of .jpg/.png images.")
    if args.dataset == "folder" and not os.path.isdir(args.folder):
        raise FileNotFoundError(f"--folder {args.folder!r} is not a folder.")
    for flag in ("iterations", "batch_size", "sample_interval", "checkpoint_interval", "log_interval"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}.")
    if args.eval_interval and args.dataset != "mnist":
        raise ValueError("--eval-interval measures MNIST digits: use it with --dataset mnist.")
    gan = make_gan(
        args.model,
        img_shape=image_shape(args),
        latent_dim=args.latent_dim,
        learning_rate=args.learning_rate,
        beta_1=args.beta_1,
        generator_learning_rate=args.generator_learning_rate,
        discriminator_learning_rate=args.discriminator_learning_rate,
        d_steps=args.d_steps,
        from_logits=args.from_logits,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        one_call=not args.four_calls,
        jit_compile={"auto": "auto", "true": True, "false": False}[args.jit_compile],
    )
    callbacks = []
    if args.eval_interval:
        from keras_gan.callbacks import QualityLog

        callbacks.append(QualityLog(args.output_dir, args.eval_interval, args.data_dir, verbose=not args.quiet))
    gan.train(
        iterations=args.iterations,
        batch_size=args.batch_size,
        sample_interval=args.sample_interval,
        data=load_dataset(args),
        output_dir=args.output_dir,
        checkpoint_interval=args.checkpoint_interval,
        log_interval=args.log_interval,
        resume=args.resume,
        overwrite=args.overwrite,
        verbose=0 if args.quiet else 1,
        callbacks=callbacks,
    )
    if gan.iteration < args.iterations:
        return 130  # stopped by Ctrl-C; the checkpoint callback said where things are
    print(f"Done: iteration {gan.iteration}. Grids, progress.gif, losses.png, metrics.csv and the checkpoint are in {args.output_dir}/")


def gan_from_checkpoint(path):
    """Rebuild the model a checkpoint was written by and load it."""
    path = os.path.join(path, "checkpoint.npz") if os.path.isdir(path) else path
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No checkpoint at {path!r}: give a run folder or its checkpoint.npz.")
    from keras_gan.checkpoints import load_checkpoint, read_description

    description = read_description(path)
    model = "dcgan" if description["model"] == "DCGAN" else "mlp"
    gan = make_gan(
        model,
        img_shape=tuple(description["img_shape"]),
        latent_dim=description["latent_dim"],
        from_logits=description.get("from_logits", False),
    )
    return load_checkpoint(gan, path)


def sample_command(args):
    from keras_gan import plots

    if args.count < 1:
        raise ValueError(f"--count must be >= 1, got {args.count}.")
    if not args.output.endswith((".png", ".npy")):
        raise ValueError(f"--output must end in .png (a grid) or .npy (the array), got {args.output!r}.")
    gan = gan_from_checkpoint(args.checkpoint)
    if args.interpolation:
        plots.save_interpolation(gan, args.output, seed=args.seed)
    else:
        noise = np.random.default_rng(args.seed).normal(size=(args.count, gan.latent_dim))
        samples = gan.generate(args.count, noise=noise)
        if args.output.endswith(".npy"):
            from keras_gan.files import atomic_path

            with atomic_path(args.output) as temporary:
                with open(temporary, "wb") as stream:
                    np.save(stream, samples)
        else:
            plots.save_grid(samples, args.output)
    print(f"Wrote {args.output} (iteration {gan.iteration}).")


def gif_command(args):
    from keras_gan import plots

    if not os.path.isdir(args.run_folder):
        raise FileNotFoundError(f"{args.run_folder!r} is not a folder: give a run's output folder.")
    print(f"Wrote {plots.save_gif(args.run_folder, args.output, args.frame_seconds)}.")


def evaluate_command(args):
    if args.count < 2:
        raise ValueError(f"--count must be >= 2 (the distance needs a covariance), got {args.count}.")
    from keras_gan import metrics
    from keras_gan.callbacks import describe_quality
    from keras_gan.datasets import load_mnist

    gan = gan_from_checkpoint(args.checkpoint)
    if gan.img_shape != (28, 28, 1):
        raise ValueError(f"evaluate measures MNIST digits (28, 28, 1); this model makes {gan.img_shape}.")
    noise = np.random.default_rng(args.seed).normal(size=(args.count, gan.latent_dim))
    results = metrics.evaluate(gan.generate(args.count, noise=noise), load_mnist(args.data_dir, split="test"))
    print(f"iteration {gan.iteration}: {describe_quality(results)}")


COMMANDS = {
    "train": train_command,
    "sample": sample_command,
    "gif": gif_command,
    "evaluate": evaluate_command,
}

if __name__ == "__main__":
    sys.exit(main())
