"""Train a conditional GAN on MNIST: ask it for a digit. Grids show one digit per row.

    python examples/mnist_cgan.py --iterations 2000       # each row its digit, in minutes (a DCGAN)
    python examples/mnist_cgan.py --data-dir ../shared/data/mnist

Both networks are given the label: G draws the digit it is asked for, D judges (image, label)
pairs. Afterwards: gan.generate(10, labels=7), or keras-gan sample RUN --label 7.
"""

from keras_gan import CGAN
from keras_gan.datasets import load_mnist
from keras_gan.script import command_line, errors_in_one_line

args = command_line(
    __doc__, iterations=2000, batch_size=32, sample_interval=200, output_dir="images/mnist_cgan"
).parse_args()

with errors_in_one_line():  # no network, a missing folder, a bad flag: one line, not a traceback
    gan = CGAN(seed=args.seed)
    gan.train(
        iterations=args.iterations,
        batch_size=args.batch_size,
        sample_interval=args.sample_interval,
        data=load_mnist(args.data_dir, with_labels=True),
        output_dir=args.output_dir,
        resume=args.resume,
        overwrite=args.overwrite,
    )
    print(
        f"Samples are in {gan.output_dir}/ "
        "(progress.gif, losses.png, metrics.csv, generator.keras)."
    )
