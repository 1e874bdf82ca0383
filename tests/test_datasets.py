"""CIFAR-10 from a local folder and folders of images: shape, range, and clear errors."""

import os
import pickle

import numpy as np
import pytest
from PIL import Image

from keras_gan import datasets

# --------------------------------------------------------------------------------------------
# Folders of images.


def write_image(path, size, mode, color):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_image_folder_is_resized_and_cropped_into_uint8_pixels(tmp_path):
    write_image(tmp_path / "wide.png", (40, 20), "RGB", (255, 0, 0))
    write_image(tmp_path / "nested" / "deeper" / "tall.jpg", (10, 30), "RGB", (0, 0, 255))
    (tmp_path / "notes.txt").write_text("not an image extension: ignored")

    images = datasets.load_image_folder(str(tmp_path), image_size=8)

    assert images.shape == (2, 8, 8, 3)
    assert images.dtype == np.uint8  # a quarter of float32's memory; train() scales each batch
    reds, blues = images[..., 0], images[..., 2]
    assert reds.max() >= 250  # the red PNG survived the resize
    assert blues.max() > 240  # and so did the blue JPEG, found two folders down


def test_image_folder_takes_height_and_width(tmp_path):
    write_image(tmp_path / "photo.png", (50, 50), "RGB", (10, 20, 30))
    assert datasets.load_image_folder(str(tmp_path), image_size=(16, 8)).shape == (1, 16, 8, 3)


def test_image_folder_converts_mixed_grayscale_and_rgb_to_the_requested_channels(tmp_path):
    write_image(tmp_path / "gray.png", (12, 12), "L", 255)
    write_image(tmp_path / "color.png", (12, 12), "RGB", (255, 255, 255))
    write_image(tmp_path / "transparent.png", (12, 12), "RGBA", (255, 255, 255, 128))

    rgb = datasets.load_image_folder(str(tmp_path), image_size=4)
    gray = datasets.load_image_folder(str(tmp_path), image_size=4, channels=1)

    assert rgb.shape == (3, 4, 4, 3)
    assert gray.shape == (3, 4, 4, 1)
    np.testing.assert_allclose(rgb, 255, atol=2)
    np.testing.assert_allclose(gray, 255, atol=2)


def test_image_folder_skips_a_corrupt_file_with_a_warning_naming_it(tmp_path):
    write_image(tmp_path / "good.png", (8, 8), "RGB", (0, 0, 0))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")

    with pytest.warns(UserWarning, match="broken.png"):
        images = datasets.load_image_folder(str(tmp_path), image_size=8)

    assert images.shape == (1, 8, 8, 3)
    np.testing.assert_array_equal(images, 0)


def test_empty_image_folder_raises_a_clear_error(tmp_path):
    (tmp_path / "subfolder").mkdir()
    with pytest.raises(ValueError, match=r"No images in .*\.jpg, \.jpeg, \.png"):
        datasets.load_image_folder(str(tmp_path), image_size=8)


def test_image_folder_of_only_corrupt_files_raises_a_clear_error(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="None of the 1 image files"):
        datasets.load_image_folder(str(tmp_path), image_size=8)


def test_image_folder_rejects_a_missing_folder_and_bad_channels(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.load_image_folder(str(tmp_path / "missing"), image_size=8)
    with pytest.raises(ValueError, match="channels must be 1"):
        datasets.load_image_folder(str(tmp_path), image_size=8, channels=4)


# --------------------------------------------------------------------------------------------
# CIFAR-10 from a local folder.


def write_fake_cifar10_batches(folder, images_per_batch=3):
    """Five tiny batches in the real format: pickled dicts, bytes keys, rows channels first."""
    os.makedirs(folder)
    images = np.arange(5 * images_per_batch * 32 * 32 * 3).reshape(-1, 32, 32, 3) % 256
    images = images.astype(np.uint8)
    for number in range(5):
        batch_images = images[number * images_per_batch : (number + 1) * images_per_batch]
        rows = batch_images.transpose(0, 3, 1, 2).reshape(images_per_batch, -1)
        batch = {b"data": rows, b"labels": [0] * images_per_batch}
        with open(os.path.join(folder, f"data_batch_{number + 1}"), "wb") as stream:
            pickle.dump(batch, stream)
    return images


@pytest.mark.parametrize("name_the_batches_folder_itself", [False, True])
def test_cifar10_reads_keras_extracted_batches_folder(tmp_path, name_the_batches_folder_itself):
    batches_dir = tmp_path / "cifar-10-batches-py"
    expected = write_fake_cifar10_batches(str(batches_dir))

    data_dir = batches_dir if name_the_batches_folder_itself else tmp_path
    images = datasets.load_cifar10(str(data_dir))

    assert images.shape == (15, 32, 32, 3)
    assert images.dtype == np.uint8
    np.testing.assert_array_equal(images, expected)


def test_cifar10_reads_a_folder_named_by_the_environment_variable(tmp_path, monkeypatch):
    expected = write_fake_cifar10_batches(str(tmp_path / "cifar-10-batches-py"))
    monkeypatch.setenv(datasets.DATA_DIR_VARIABLE, str(tmp_path))
    np.testing.assert_array_equal(datasets.load_cifar10(), expected)


def test_cifar10_reads_an_npz_with_x_train(tmp_path):
    pixels = np.full((2, 32, 32, 3), 255, np.uint8)
    np.savez(tmp_path / "cifar10.npz", x_train=pixels)
    images = datasets.load_cifar10(str(tmp_path))
    assert images.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(images, 255)


def test_cifar10_folder_without_batches_names_what_is_missing(tmp_path):
    write_fake_cifar10_batches(str(tmp_path / "cifar-10-batches-py"))
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_4")
    with pytest.raises(FileNotFoundError, match="missing data_batch_4"):
        datasets.load_cifar10(str(tmp_path))


def test_cifar10_corrupt_batch_raises_a_clear_error(tmp_path):
    batches_dir = tmp_path / "cifar-10-batches-py"
    write_fake_cifar10_batches(str(batches_dir))
    (batches_dir / "data_batch_2").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="data_batch_2 is not a CIFAR-10 python batch"):
        datasets.load_cifar10(str(tmp_path))


def test_cifar10_missing_folder_says_what_it_should_hold(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar10.npz or cifar-10-batches-py"):
        datasets.load_cifar10(str(tmp_path / "nowhere"))


def test_failed_cifar10_download_says_how_to_use_a_local_copy(monkeypatch):
    import keras

    def no_network():
        raise OSError("network is unreachable")

    monkeypatch.delenv("KERAS_GAN_DATA_DIR", raising=False)
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", no_network)
    with pytest.raises(RuntimeError, match="Could not download CIFAR-10.*cifar-10-batches-py"):
        datasets.load_cifar10()
