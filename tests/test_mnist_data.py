"""MNIST loading: Keras' download by default, or a local folder; clear errors for bad files."""

import gzip
import struct

import numpy as np
import pytest

from keras_gan import datasets
from keras_gan.datasets import check_images, load_mnist, read_idx


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist_folder(tmp_path):
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("test", 4)):
        image_name, label_name = datasets.MNIST_IDX_FILES[split]
        write_idx(tmp_path / image_name, rng.integers(0, 256, (count, 28, 28)))
        write_idx(tmp_path / label_name, rng.integers(0, 10, count))
    return tmp_path


def test_local_idx_folder_gives_uint8_images_and_labels(tiny_mnist_folder):
    images, labels = load_mnist(tiny_mnist_folder, with_labels=True)
    raw = read_idx(tiny_mnist_folder / "train-images-idx3-ubyte.gz")
    assert images.shape == (6, 28, 28, 1) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[..., 0], raw)
    np.testing.assert_allclose(datasets.scale_images(images)[..., 0], raw / 127.5 - 1.0, atol=1e-6)
    assert labels.shape == (6,) and labels.dtype == np.int64
    assert load_mnist(tiny_mnist_folder, split="test").shape == (4, 28, 28, 1)


def test_environment_variable_names_the_folder(tiny_mnist_folder, monkeypatch):
    monkeypatch.setenv("KERAS_GAN_DATA_DIR", str(tiny_mnist_folder))
    assert load_mnist().shape == (6, 28, 28, 1)


def test_keras_npz_in_the_folder_is_read(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_train": np.arange(3),
        "x_test": np.zeros((2, 28, 28), np.uint8),
        "y_test": np.arange(2),
    }
    np.savez(tmp_path / "mnist.npz", **arrays)
    np.testing.assert_array_equal(load_mnist(tmp_path)[..., 0], arrays["x_train"])


def test_real_mnist_files_read(mnist_data_dir):
    images, labels = load_mnist(mnist_data_dir, split="test", with_labels=True)
    assert images.shape == (10000, 28, 28, 1)
    assert images.dtype == np.uint8 and images.min() == 0 and images.max() == 255
    assert sorted(set(labels.tolist())) == list(range(10))


def test_truncated_file_is_a_clear_error_naming_it(tiny_mnist_folder):
    path = tiny_mnist_folder / "train-images-idx3-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[:-100]))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz is truncated or corrupt"):
        load_mnist(tiny_mnist_folder)


def test_cut_gzip_stream_is_a_clear_error_naming_it(tiny_mnist_folder):
    path = tiny_mnist_folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is not a readable gzip"):
        load_mnist(tiny_mnist_folder)


def test_wrong_file_is_a_clear_error(tiny_mnist_folder):
    with gzip.open(tiny_mnist_folder / "train-images-idx3-ubyte.gz", "wb") as stream:
        stream.write(b"<html>not found</html>")
    with pytest.raises(ValueError, match="bad magic number"):
        load_mnist(tiny_mnist_folder)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing train-images-idx3-ubyte.gz, train-labels"):
        load_mnist(tmp_path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*KERAS_GAN_DATA_DIR"):
        load_mnist(tmp_path / "nowhere")


def test_failed_download_says_how_to_use_a_local_copy(monkeypatch):
    import keras

    def no_network():
        raise OSError("network is unreachable")

    monkeypatch.delenv("KERAS_GAN_DATA_DIR", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(RuntimeError, match="Could not download MNIST.*KERAS_GAN_DATA_DIR"):
        load_mnist()


def test_check_images_adds_the_channel_and_keeps_uint8_without_a_copy():
    pixels = np.array([[[0, 255]]], np.uint8)
    checked = check_images(pixels, (1, 2, 1))
    assert checked.dtype == np.uint8 and np.shares_memory(checked, pixels)
    np.testing.assert_allclose(datasets.to_float(checked)[..., 0], [[[-1.0, 1.0]]])


def test_check_images_rejects_other_shapes_and_ranges():
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3, 3\).*\(28, 28, 1\)"):
        check_images(np.zeros((2, 3, 3, 3)), (28, 28, 1))
    with pytest.raises(ValueError, match=r"\[0, 2\].*x / 127.5 - 1.*uint8"):
        check_images(np.array([[[[0.0]], [[2.0]]]]), (2, 1, 1))
    with pytest.raises(ValueError, match="numbers"):
        check_images(np.array([[[["a"]]]]), (1, 1, 1))
