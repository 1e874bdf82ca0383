"""Train a DCGAN on MNIST; 5x5 sample grids appear in images/mnist_dcgan/ as it learns.

    python examples/mnist_dcgan.py --iterations 2000      # digits of every class in minutes
    python examples/mnist_dcgan.py --data-dir ../shared/data/mnist

Ctrl-C stops cleanly and saves a checkpoint; add --resume to carry on from it.
"""

import argparse

from keras_gan import DCGAN
from keras_gan.datasets import load_mnist

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--iterations", type=int, default=5000, help="iterations to train (default 5000)")
parser.add_argument("--batch-size", type=int, default=32, help="images per batch (default 32)")
parser.add_argument("--sample-interval", type=int, default=200, help="save a grid every N iterations")
parser.add_argument("--output-dir", default="images/mnist_dcgan", help="where grids, log and checkpoint go")
parser.add_argument("--data-dir", help="local MNIST folder (else $KERAS_GAN_DATA_DIR, else download)")
parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
parser.add_argument("--overwrite", action="store_true", help="replace the run in --output-dir")
args = parser.parse_args()

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
print(f"Samples are in {args.output_dir}/ (progress.gif, losses.png, metrics.csv).")
