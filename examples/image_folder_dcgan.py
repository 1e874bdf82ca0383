"""Train a DCGAN on your own pictures: every .jpg/.png under PATH, cropped to 64x64.

    python examples/image_folder_dcgan.py ~/Pictures/faces --iterations 20000
    python examples/image_folder_dcgan.py ~/Pictures/faces --image-size 32   # quicker on a CPU

Images of any size are scaled and center-cropped; unreadable files are skipped with a warning.
Ctrl-C stops cleanly and saves a checkpoint; add --resume to carry on from it.
"""

from keras_gan import DCGAN
from keras_gan.datasets import load_image_folder
from keras_gan.script import command_line, errors_in_one_line

parser = command_line(
    __doc__,
    iterations=20000,
    batch_size=64,
    sample_interval=500,
    output_dir="images/image_folder_dcgan",
    data_dir=False,
)
parser.add_argument("path", help="folder of .jpg/.png images (subfolders are searched too)")
parser.add_argument(
    "--image-size", type=int, default=64, help="side in pixels: 8, 16, 32, 64, 128, ..."
)
args = parser.parse_args()

with errors_in_one_line():  # a missing folder, an impossible size: one line, not a traceback
    gan = DCGAN(img_shape=(args.image_size, args.image_size, 3), seed=args.seed)
    gan.train(
        iterations=args.iterations,
        batch_size=args.batch_size,
        sample_interval=args.sample_interval,
        data=load_image_folder(args.path, args.image_size),
        output_dir=args.output_dir,
        resume=args.resume,
        overwrite=args.overwrite,
    )
    print(
        f"Samples are in {gan.output_dir}/ "
        "(progress.gif, losses.png, metrics.csv, generator.keras)."
    )
