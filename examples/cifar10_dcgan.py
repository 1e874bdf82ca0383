"""Train a DCGAN on CIFAR-10's 32x32 colour photos; grids appear in images/cifar10_dcgan/.

    python examples/cifar10_dcgan.py --iterations 20000  # blurry objects after a few thousand
    python examples/cifar10_dcgan.py --data-dir ~/data    # with cifar-10-batches-py/ or cifar10.npz

Ctrl-C stops cleanly and saves a checkpoint; add --resume to carry on from it.
"""

from keras_gan import DCGAN
from keras_gan.datasets import load_cifar10
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=20000, batch_size=64, sample_interval=500, output_dir="images/cifar10_dcgan"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
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
    print(
        f"Samples are in {gan.output_dir}/ "
        "(progress.gif, losses.png, metrics.csv, generator.keras)."
    )
