"""Train a WGAN-GP on MNIST; grids appear in images/mnist_wgan_gp/.

    python examples/mnist_wgan_gp.py --iterations 5000
    python examples/mnist_wgan_gp.py --data-dir ../shared/data/mnist

A critic kept smooth by a gradient penalty (weight 10) scores images; Adam(1e-4, beta_1=0,
beta_2=0.9), 5 critic steps per generator step, as in the paper; the log's `wasserstein` column
is the critic's estimate of the distance between real and fake digits.
"""

from keras_gan import WGANGP
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=5000, batch_size=32, sample_interval=200, output_dir="images/mnist_wgan_gp"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = WGANGP(seed=args.seed)
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
        f"Samples are in {gan.output_dir}/"
        " (progress.gif, losses.png, metrics.csv, generator.keras)."
    )
