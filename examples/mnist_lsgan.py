"""Train a least-squares GAN (LSGAN) on MNIST; grids appear in images/mnist_lsgan/.

    python examples/mnist_lsgan.py --iterations 5000
    python examples/mnist_lsgan.py --data-dir ../shared/data/mnist

The classic GAN with one change: D's output is a plain score and the loss is the squared error.
"""

from keras_gan import LSGAN
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=5000, batch_size=32, sample_interval=200, output_dir="images/mnist_lsgan"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = LSGAN(seed=args.seed)
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
