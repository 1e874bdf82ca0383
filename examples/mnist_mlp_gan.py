"""Train the classic MLP GAN on MNIST; 5x5 sample grids appear in images/ as it learns.

    python examples/mnist_mlp_gan.py                      # the classic run: 30000 iterations
    python examples/mnist_mlp_gan.py --iterations 5000 --data-dir ../shared/data/mnist

Run it again and the new run goes to images-2/, keeping the first. Ctrl-C stops cleanly and
saves a checkpoint; add --resume to carry on from it.
"""

from keras_gan import GAN
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=30000, batch_size=32, sample_interval=200, output_dir=None
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = GAN(seed=args.seed)
    gan.train(
        iterations=args.iterations,
        batch_size=args.batch_size,
        sample_interval=args.sample_interval,
        data=load_mnist(args.data_dir),
        output_dir=args.output_dir,
        resume=args.resume,
        overwrite=args.overwrite,
    )
    print(
        f"Samples are in {gan.output_dir}/ "
        "(progress.gif, losses.png, metrics.csv, generator.keras)."
    )
