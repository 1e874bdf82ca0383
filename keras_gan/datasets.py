"""Datasets as GANs want them: float32 images scaled to [-1, 1], shape (N, height, width, channels).

MNIST comes from Keras' own download by default. Where there is no network, point at a local
copy with `data_dir=` or the environment variable `KERAS_GAN_DATA_DIR`: a folder holding either
Keras' `mnist.npz` or the four original IDX gzip files (`train-images-idx3-ubyte.gz`, ...).
CIFAR-10 works the same way; `load_image_folder` reads your own photos at any size.
"""

import gzip
import os
import pickle
import struct
import warnings
import zlib

import numpy as np

DATA_DIR_VARIABLE = "KERAS_GAN_DATA_DIR"

MNIST_IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def scale_images(images):
    """uint8 pixels in [0, 255] -> float32 in [-1, 1], the range of the generator's tanh."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1.0


def check_images(data, img_shape):
    """Check that `data` fits a model of `img_shape` and return it as float32 in [-1, 1].

    uint8 images (0..255) are scaled for you; (N, H, W) is taken as one channel.
    """
    images = np.asarray(data)
    if images.ndim == len(img_shape) and img_shape[-1] == 1:
        images = images[..., np.newaxis]
    if images.ndim != len(img_shape) + 1 or images.shape[1:] != tuple(img_shape) or len(images) == 0:
        raise ValueError(
            f"data has shape {images.shape} but this GAN makes images of shape {tuple(img_shape)}: "
            f"pass an array of shape (N, {', '.join(map(str, img_shape))}) with N >= 1, "
            "or build the GAN with img_shape matching your data."
        )
    if images.dtype == np.uint8:
        return scale_images(images)
    if not np.issubdtype(images.dtype, np.number) or np.issubdtype(images.dtype, np.complexfloating):
        raise ValueError(f"data must hold numbers, got dtype {images.dtype}.")
    images = images.astype(np.float32, copy=False)
    low, high = float(images.min()), float(images.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("data holds NaN or infinite values; clean or rescale it to [-1, 1].")
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        raise ValueError(
            f"data values lie in [{low:g}, {high:g}] but must lie in [-1, 1], the range of the "
            "generator's tanh: scale pixels as x / 127.5 - 1 (uint8 arrays are scaled for you)."
        )
    return images


def resolve_data_dir(data_dir=None):
    """The local data folder: the argument, else `$KERAS_GAN_DATA_DIR`, else None (download)."""
    data_dir = data_dir or os.environ.get(DATA_DIR_VARIABLE) or None
    if data_dir is not None and not os.path.isdir(data_dir):
        raise FileNotFoundError(
            f"Data folder {data_dir!r} does not exist. Give a folder that holds mnist.npz or the "
            f"four MNIST IDX .gz files (argument data_dir or ${DATA_DIR_VARIABLE})."
        )
    return data_dir


def load_mnist(data_dir=None, split="train", with_labels=False):
    """MNIST digits as (N, 28, 28, 1) float32 in [-1, 1]; with labels if `with_labels`.

    `split` is "train" (60000 images) or "test" (10000).
    """
    if split not in MNIST_IDX_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    data_dir = resolve_data_dir(data_dir)
    if data_dir is None:
        train, test = _download("mnist", "MNIST", "mnist.npz or the four IDX .gz files")
        images, labels = train if split == "train" else test
    else:
        images, labels = _read_local_mnist(data_dir, split)
    images = scale_images(images)[..., np.newaxis]
    return (images, labels) if with_labels else images


def _download(dataset, name, local_copy):
    """Keras' own download of `dataset` ("mnist", "cifar10"), or an error saying what to do offline."""
    import keras

    try:
        return getattr(keras.datasets, dataset).load_data()
    except Exception as error:  # Keras raises several kinds for "no network".
        raise RuntimeError(
            f"Could not download {name} ({error}). Point at a local copy instead: "
            f"data_dir='path/to/{dataset}' or the environment variable {DATA_DIR_VARIABLE}, naming "
            f"a folder that holds {local_copy}."
        ) from error


def _read_local_mnist(data_dir, split):
    npz_path = os.path.join(data_dir, "mnist.npz")
    if os.path.exists(npz_path):
        try:
            with np.load(npz_path) as archive:
                return archive[f"x_{split}"], archive[f"y_{split}"]
        except Exception as error:
            raise ValueError(f"{npz_path} is not a readable Keras mnist.npz: {error}") from error

    image_name, label_name = MNIST_IDX_FILES[split]
    paths = [os.path.join(data_dir, name) for name in (image_name, label_name)]
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise FileNotFoundError(
            f"No MNIST in {data_dir!r}: expected mnist.npz or the IDX files, missing "
            + ", ".join(os.path.basename(path) for path in missing)
            + "."
        )
    images, labels = (read_idx(path) for path in paths)
    if len(images) != len(labels):
        raise ValueError(
            f"{paths[0]} holds {len(images)} images but {paths[1]} holds {len(labels)} labels."
        )
    return images, labels


def read_idx(path):
    """Read one gzipped IDX file (the original MNIST format) into a uint8 array."""
    try:
        with gzip.open(path, "rb") as stream:
            content = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a readable gzip file ({error}); download it again.") from error
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = content[3]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(f"{path} is truncated: its header is incomplete.")
    shape = struct.unpack(f">{ndim}I", content[4:header_size])
    expected = header_size + int(np.prod(shape))
    if len(content) != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header announces shape {shape} "
            f"({expected} bytes) but it holds {len(content)} bytes."
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


# --------------------------------------------------------------------------------------------
# CIFAR-10 and folders of images.

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{number}" for number in range(1, 6))
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def load_cifar10(data_dir=None):
    """CIFAR-10's 50000 training images as (50000, 32, 32, 3) float32 in [-1, 1].

    Downloaded by Keras unless `data_dir` or `$KERAS_GAN_DATA_DIR` names a local folder holding
    `cifar10.npz` (with `x_train`), or Keras' extracted `cifar-10-batches-py` folder, or the
    contents of that folder (`data_batch_1` ... `data_batch_5`).
    """
    try:
        data_dir = resolve_data_dir(data_dir)
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"{error} For CIFAR-10 the folder must hold cifar10.npz or cifar-10-batches-py."
        ) from None
    if data_dir is None:
        (images, _), _ = _download("cifar10", "CIFAR-10", "cifar10.npz or the extracted cifar-10-batches-py folder")
    else:
        images = _read_local_cifar10(data_dir)
    return scale_images(images)


def _read_local_cifar10(data_dir):
    npz_path = os.path.join(data_dir, "cifar10.npz")
    if os.path.exists(npz_path):
        try:
            with np.load(npz_path) as archive:
                images = archive["x_train"]
        except Exception as error:
            raise ValueError(f"{npz_path} is not a readable npz with x_train: {error}") from error
        return _check_cifar10_shape(images, npz_path)

    batches_dir = os.path.join(data_dir, CIFAR10_FOLDER)
    if not os.path.isdir(batches_dir):
        batches_dir = data_dir  # the user may name the batches folder itself
    paths = [os.path.join(batches_dir, name) for name in CIFAR10_TRAIN_BATCHES]
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise FileNotFoundError(
            f"No CIFAR-10 in {data_dir!r}: expected cifar10.npz or {CIFAR10_FOLDER}/ with "
            f"data_batch_1 ... data_batch_5; missing "
            + ", ".join(os.path.basename(path) for path in missing)
            + "."
        )
    return np.concatenate([_read_cifar10_batch(path) for path in paths])


def _read_cifar10_batch(path):
    # The batches are Python pickles with bytes keys; each row is one image, channels first.
    try:
        with open(path, "rb") as stream:
            batch = pickle.load(stream, encoding="bytes")
        rows = np.asarray(batch[b"data"], dtype=np.uint8)
        images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    except Exception as error:
        raise ValueError(
            f"{path} is not a CIFAR-10 python batch ({error}); extract cifar-10-python.tar.gz again."
        ) from error
    return images


def _check_cifar10_shape(images, source):
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise ValueError(f"{source} holds images of shape {images.shape[1:]}, expected (32, 32, 3).")
    return images


def load_image_folder(path, image_size, channels=3):
    """Every .jpg/.jpeg/.png under `path` (subfolders too) as float32 (N, H, W, C) in [-1, 1].

    Each image is scaled so that it covers `image_size` (an int for square images, or
    (height, width)) and then center-cropped to it; grayscale and colour images are converted
    to `channels` (1 or 3). Unreadable files are skipped with a warning naming them.
    """
    from PIL import Image, ImageOps

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}.")
    height, width = (image_size, image_size) if np.ndim(image_size) == 0 else image_size
    if not os.path.isdir(path):
        raise FileNotFoundError(f"Image folder {path!r} does not exist.")
    paths = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(path)
        for name in names
        if name.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not paths:
        raise ValueError(
            f"No images in {path!r} or its subfolders: expected files ending in "
            + ", ".join(IMAGE_EXTENSIONS)
            + "."
        )

    mode = "L" if channels == 1 else "RGB"
    images = []
    for image_path in paths:
        try:
            with Image.open(image_path) as image:
                image = image.convert(mode)
                images.append(np.asarray(ImageOps.fit(image, (width, height), Image.LANCZOS)))
        except (OSError, ValueError) as error:
            warnings.warn(f"Skipping {image_path}: not a readable image ({error}).", stacklevel=2)
    if not images:
        raise ValueError(f"None of the {len(paths)} image files in {path!r} could be read.")
    return scale_images(np.stack(images)).reshape(len(images), height, width, channels)
