"""Train a DCGAN on CIFAR-10's 32x32 colour photos; grids appear in images/cifar10_dcgan/.

    python examples/cifar10_dcgan.py --iterations 20000   # blurry objects appear after a few thousand
    python examples/cifar10_dcgan.py --data-dir ~/data     # holds cifar-10-batches-py/ or cifar10.npz

Ctrl-C stops cleanly and saves a checkpoint; add --resume to carry on from it.
"""

import argparse

from keras_gan import DCGAN
from keras_gan.datasets import load_cifar10

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--iterations", type=int, default=20000, help="iterations to train (default 20000)")
parser.add_argument("--batch-size", type=int, default=64, help="images per batch (default 64)")
parser.add_argument("--sample-interval", type=int, default=500, help="save a grid every N iterations")
parser.add_argument("--output-dir", default="images/cifar10_dcgan", help="where grids, log and checkpoint go")
parser.add_argument("--data-dir", help="local CIFAR-10 folder (else $KERAS_GAN_DATA_DIR, else download)")
parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
parser.add_argument("--overwrite", action="store_true", help="replace the run in --output-dir")
args = parser.parse_args()

gan = DCGAN(img_shape=(32, 32, 3), seed=args.seed)
gan.train(
    iterations=args.iterations,
    batch_size=args.batch_size,
    sample_interval=args.sample_interval,
    data=load_cifar10(args.data_dir),
    output_dir=args.output_dir,
    resume=args.resume,
    overwrite=args.overwrite,
)
print(f"Samples are in {args.output_dir}/ (progress.gif, losses.png, metrics.csv).")
