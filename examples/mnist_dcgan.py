"""Train a DCGAN on MNIST; sample grids appear in images/mnist_dcgan/ as it learns.

    python examples/mnist_dcgan.py --iterations 2000      # digits of every class in minutes
    python examples/mnist_dcgan.py --data-dir ../shared/data/mnist

Ctrl-C stops cleanly and saves a checkpoint; add --resume to carry on from it.
"""

from keras_gan import DCGAN
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=5000, batch_size=32, sample_interval=200, output_dir="images/mnist_dcgan"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = DCGAN(img_shape=(28, 28, 1), seed=args.seed)
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
