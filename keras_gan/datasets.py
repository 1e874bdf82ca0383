"""Datasets as GANs want them: images shaped (N, height, width, channels), kept as uint8 pixels.

Pixels stay uint8 (0..255) in memory, a quarter of float32's size, and `GAN.train` scales each
batch to [-1, 1] (the range of the generator's tanh) as it draws it; `scale_images` scales a
whole array when you want floats. MNIST comes from Keras' own download by default. Where there is
no network, point at a local copy with `data_dir=` or the environment variable
`KERAS_GAN_DATA_DIR`: a folder holding either Keras' `mnist.npz` or the four original IDX gzip
files (`train-images-idx3-ubyte.gz`, ...). CIFAR-10 works the same way; `load_image_folder` reads
your own photos at any size.
"""

import gzip
import os
import pickle
import struct
import warnings
import zlib

import numpy as np

DATA_DIR_VARIABLE = "KERAS_GAN_DATA_DIR"
CIFAR10_DIR_VARIABLE = "KERAS_GAN_CIFAR10_DIR"  # CIFAR-10's own, before the shared one

MNIST_IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def scale_images(images):
    """uint8 pixels in [0, 255] -> float32 in [-1, 1], the range of the generator's tanh."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1.0


def to_float(images):
    """A batch as float32 in [-1, 1]: uint8 pixels are scaled, floats (already checked) pass."""
    if images.dtype == np.uint8:
        return scale_images(images)
    return np.asarray(images, dtype=np.float32)


def check_images(data, img_shape, name="data"):
    """Check that `data` fits a model of `img_shape`; return it without copying where it can.

    uint8 pixels (0..255) stay uint8; other numbers must be floats in [-1, 1] and come back as
    float32. (N, H, W) is taken as one channel.
    """
    images = as_array(data, img_shape, name)
    if images.ndim == len(img_shape) and img_shape[-1] == 1:
        images = images[..., np.newaxis]
    if (
        images.ndim != len(img_shape) + 1
        or images.shape[1:] != tuple(img_shape)
        or len(images) == 0
    ):
        raise ValueError(
            f"{name} has shape {images.shape} "
            f"but this GAN makes images of shape {tuple(img_shape)}: "
            f"pass an array of shape (N, {', '.join(map(str, img_shape))}) with N >= 1, "
            "or build the GAN with img_shape matching your data."
        )
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.number) or np.issubdtype(
        images.dtype, np.complexfloating
    ):
        raise ValueError(f"{name} must hold numbers, got dtype {images.dtype}.")
    images = images.astype(np.float32, copy=False)
    low, high = float(images.min()), float(images.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name} holds NaN or infinite values; clean or rescale it to [-1, 1].")
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        raise ValueError(
            f"{name} values lie in [{low:g}, {high:g}] but must lie in [-1, 1], the range of the "
            "generator's tanh: scale pixels as x / 127.5 - 1, or pass them as uint8 (0..255)."
        )
    return images


def as_array(data, img_shape, name):
    """`data` as one numpy array, or a ValueError saying in the user's terms why it cannot be."""
    shape = ", ".join(map(str, img_shape))
    if isinstance(data, (tuple, list)) and len(data) == 2 and np.ndim(data[1]) == 1:
        if np.ndim(data[0]) == len(img_shape) + 1 or np.ndim(data[0]) == len(img_shape):
            raise ValueError(
                f"{name} is a pair, (images, labels) it seems, but this GAN trains on images "
                f"alone: pass the images, an array of shape (N, {shape}) (labelled data is for "
                "CGAN)."
            )
    try:
        return np.asarray(data)
    except (ValueError, TypeError) as error:  # numpy: "inhomogeneous shape", "sequence"
        raise ValueError(
            f"{name} cannot form one array of images: its items are not all of the same shape "
            f"(or not all numbers). Pass an array of shape (N, {shape}), every image the same "
            f"size ({error.__class__.__name__} from numpy)."
        ) from None


def check_labels(labels, num_classes, count, name="labels"):
    """Class labels as int32: whole numbers in 0..num_classes-1, one per example (a single int
    stands for `count` copies of itself)."""
    array = np.asarray(labels)
    if array.ndim == 0:
        array = np.full(count, array)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (count,):
        raise ValueError(
            f"{name} has shape {np.shape(labels)}: pass one label per example, "
            f"shape ({count},), or a single int."
        )
    if not (
        np.issubdtype(array.dtype, np.integer)
        or (array.dtype.kind == "f" and np.all(array == np.round(array)))
    ):
        raise ValueError(
            f"{name} must be whole numbers 0..{num_classes - 1} (class indices), "
            f"got dtype {array.dtype}."
        )
    if count and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{name} lie in [{array.min():g}, {array.max():g}] "
            f"but must lie in 0..{num_classes - 1}: "
            f"one class index per example (num_classes={num_classes})."
        )
    return array.astype("int32")


def check_labelled_images(data, img_shape, num_classes):
    """`(images, labels)` checked: images as `check_images`, labels as `check_labels`, as many."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(
            "A conditional GAN trains on (images, labels): pass data=(images, labels), with one "
            f"class label 0..{num_classes - 1} per image."
        )
    images = check_images(data[0], img_shape, name="images")
    if len(np.asarray(data[1]).reshape(-1)) != len(images) and np.ndim(data[1]) > 0:
        raise ValueError(
            f"data holds {len(images)} images but {len(np.asarray(data[1]).reshape(-1))} labels: "
            "give one label per image."
        )
    return images, check_labels(data[1], num_classes, len(images))


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
    """MNIST digits as (N, 28, 28, 1) uint8 pixels; `(images, labels)` if `with_labels`.

    `split` is "train" (60000 images) or "test" (10000). Labels are the digits 0..9 (int64).
    """
    if split not in MNIST_IDX_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    data_dir = resolve_data_dir(data_dir)
    if data_dir is None:
        train, test = _download("mnist", "MNIST", "mnist.npz or the four IDX .gz files")
        images, labels = train if split == "train" else test
    else:
        images, labels = _read_local_mnist(data_dir, split)
    images = images[..., np.newaxis]
    return (images, labels.astype(np.int64)) if with_labels else images


def _download(dataset, name, local_copy):
    """Keras' download of `dataset` ("mnist", "cifar10"), or an error saying what to do offline."""
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
        raise ValueError(
            f"{path} is not a readable gzip file ({error}); download it again."
        ) from error
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
    """CIFAR-10's 50000 training images as (50000, 32, 32, 3) uint8 pixels.

    Downloaded by Keras unless `data_dir` or `$KERAS_GAN_CIFAR10_DIR` names a local folder holding
    `cifar10.npz` (with `x_train`), or Keras' extracted `cifar-10-batches-py` folder, or the
    contents of that folder (`data_batch_1` ... `data_batch_5`). `$KERAS_GAN_DATA_DIR`, shared
    with MNIST, is used only if it (or a `cifar10/` folder in it) holds one of those.
    """
    shared = not (data_dir or os.environ.get(CIFAR10_DIR_VARIABLE))
    try:
        data_dir = resolve_data_dir(data_dir or os.environ.get(CIFAR10_DIR_VARIABLE))
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"{error} For CIFAR-10 the folder must hold cifar10.npz or cifar-10-batches-py."
        ) from None
    if data_dir is not None and shared:
        # The shared variable often names MNIST's folder: CIFAR-10 is read from it, or from a
        # cifar10/ folder in it, only if it is there; else downloaded (Keras keeps a copy).
        data_dir = next(
            (d for d in (data_dir, os.path.join(data_dir, "cifar10")) if _holds_cifar10(d)), None
        )
    if data_dir is None:
        (images, _), _ = _download(
            "cifar10", "CIFAR-10", "cifar10.npz or the extracted cifar-10-batches-py folder"
        )
    else:
        images = _read_local_cifar10(data_dir)
    return images


def _holds_cifar10(folder):
    names = ("cifar10.npz", CIFAR10_FOLDER, CIFAR10_TRAIN_BATCHES[0])
    return any(os.path.exists(os.path.join(folder, name)) for name in names)


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
            batch = ArraysOnlyUnpickler(stream, encoding="bytes").load()
        rows = np.asarray(batch[b"data"], dtype=np.uint8)
        images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    except Exception as error:
        raise ValueError(
            f"{path} is not a CIFAR-10 python batch ({error}); "
            "extract cifar-10-python.tar.gz again."
        ) from error
    return images


class ArraysOnlyUnpickler(pickle.Unpickler):
    """A pickle reader that rebuilds numpy arrays and plain Python values, and nothing else: a
    pickle can name any function to call, so a tampered batch could otherwise run code."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"it asks to run {module}.{name}, which a dataset of arrays never needs (refused)"
            )
        return super().find_class(module, name)


def _check_cifar10_shape(images, source):
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise ValueError(
            f"{source} holds images of shape {images.shape[1:]}, expected (32, 32, 3)."
        )
    return images


def load_image_folder(path, image_size, channels=3):
    """Every .jpg/.jpeg/.png under `path` (subfolders too) as uint8 pixels (N, H, W, C).

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
    # Filled in place, one image at a time: loading never holds more than the uint8 array.
    images = np.empty((len(paths), height, width, channels), np.uint8)
    count = 0
    for image_path in paths:
        try:
            with Image.open(image_path) as image:
                image = image.convert(mode)
                pixels = np.asarray(ImageOps.fit(image, (width, height), Image.LANCZOS))
        except (OSError, ValueError) as error:
            warnings.warn(f"Skipping {image_path}: not a readable image ({error}).", stacklevel=2)
            continue
        images[count] = pixels.reshape(height, width, channels)
        count += 1
    if count == 0:
        raise ValueError(f"None of the {len(paths)} image files in {path!r} could be read.")
    return images[:count]
