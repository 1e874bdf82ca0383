"""Train a Wasserstein GAN (WGAN) on MNIST; grids appear in images/mnist_wgan/.

    python examples/mnist_wgan.py --iterations 5000
    python examples/mnist_wgan.py --data-dir ../shared/data/mnist

A critic with clipped weights scores images; 5 critic steps per generator step; the log's
`wasserstein` column is the critic's estimate of the distance between real and fake digits.
"""

from keras_gan import WGAN
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=5000, batch_size=32, sample_interval=200, output_dir="images/mnist_wgan"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = WGAN(seed=args.seed)
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
