"""Peak memory of training on a large uint8 dataset: the data is never copied to float32.

    python benchmarks/memory.py                          # 200,000 images of 64x64x3 (CelebA-sized)
    python benchmarks/memory.py --images 20000 --float-images 20000 --folder-images 2000

Each measurement runs in a fresh process and reads its peak resident memory (ru_maxrss):
- `uint8`: make N random uint8 images (H, W, 3), then a DCGAN trains 3 iterations on them;
- `float32`: images handed over as float32 in [-1, 1], as keras_gan's loaders gave them before
  they returned uint8 (fewer by default: 200,000 would need ~10 GiB for the floats alone);
- `folder`: `load_image_folder` reads M PNG files first written to a temporary folder, then the
  DCGAN trains on what it returned.
It prints each peak beside the size of the data, and the peak above a process that trained the
same DCGAN for 3 iterations on 64 images (the model's, TensorFlow's and XLA's own memory).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

WORKER = r"""
import json, resource, sys, tempfile
import numpy as np
from keras_gan import DCGAN, datasets
kind, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
gan = DCGAN(img_shape=(size, size, 3), filters=16, seed=0)
data_bytes = 0
if kind == "bare":
    data = np.random.default_rng(0).integers(0, 256, (64, size, size, 3), dtype=np.uint8)
elif kind in ("uint8", "float32"):
    data = np.random.default_rng(0).integers(0, 256, (count, size, size, 3), dtype=np.uint8)
    if kind == "float32":
        data = datasets.scale_images(data)  # (the scaling's own temporaries count in the peak)
    data_bytes = data.nbytes
elif kind == "folder":
    data = datasets.load_image_folder(sys.argv[4], size)
    data_bytes = data.nbytes
gan.train(iterations=3, batch_size=32, data=data, output_dir=tempfile.mkdtemp(), verbose=0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print("RESULT", json.dumps({"peak": peak, "data": data_bytes}))
"""


def measure(kind, count, size, folder=""):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(count), str(size), folder],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the {kind} worker failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def write_pictures(folder, count, size):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size + index % 7, size, 3), dtype=np.uint8)).save(
            os.path.join(folder, f"{index}.png")
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200000, help="images in the uint8 array")
    parser.add_argument(
        "--float-images", type=int, default=20000, help="images in the float32 array"
    )
    parser.add_argument(
        "--folder-images", type=int, default=5000, help="PNG files for the folder measurement"
    )
    parser.add_argument(
        "--size", type=int, default=64, help="image side in pixels (a DCGAN size: 32, 64, ...)"
    )
    args = parser.parse_args(argv)

    def gib(count):
        return f"{count / 2**30:.2f} GiB"

    bare = measure("bare", 0, args.size)
    print(f"a process that trained the DCGAN on 64 images: peak {gib(bare['peak'])}")
    rows = [("uint8", args.images), ("float32", args.float_images)]
    with tempfile.TemporaryDirectory() as folder:
        write_pictures(folder, args.folder_images, args.size)
        for kind, count in rows + [("folder", args.folder_images)]:
            result = measure(kind, count, args.size, folder)
            print(
                f"{kind:>8}: {count} images of {args.size}x{args.size}x3, "
                f"data {gib(result['data'])}, peak {gib(result['peak'])}, "
                f"peak above the bare process {gib(result['peak'] - bare['peak'])} "
                f"({(result['peak'] - bare['peak']) / result['data']:.2f}x the data)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
