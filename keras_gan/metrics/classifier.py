"""The small MNIST classifier whose features and predictions the quality metrics are built on.

Its weights are trained by `python -m keras_gan.metrics.train_classifier` and ship with the
package, next to this file, so every run of the metrics sees the very same network.
"""

import functools
import json
import os

import keras
from keras import layers

WEIGHTS_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "mnist_classifier.weights.h5"
)
RECORD_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_classifier.json")
FEATURES_LAYER = "features"


def build_classifier():
    """Three 3x3 convolutions and a 128-unit dense layer: >= 99% on MNIST, ~130k weights.

    Input: (28, 28, 1) images in [-1, 1], as `keras_gan.datasets.load_mnist` gives them.
    Output: the probabilities of the 10 digits.
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.25)(x)
    # The Frechet distance is measured on this layer's output, the classifier's last view of
    # the image before it commits to a digit.
    x = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_classifier")


@functools.lru_cache(maxsize=1)
def load_classifier():
    """The trained classifier as a model image -> (features, probabilities); loaded once."""
    if not os.path.exists(WEIGHTS_PATH):
        raise FileNotFoundError(
            f"The classifier's weights {WEIGHTS_PATH} are missing. They ship with keras_gan; "
            "reinstall it, or train them again with "
            "`python -m keras_gan.metrics.train_classifier --data-dir path/to/mnist`."
        )
    classifier = build_classifier()
    classifier.load_weights(WEIGHTS_PATH)
    return keras.Model(
        classifier.input,
        [classifier.get_layer(FEATURES_LAYER).output, classifier.output],
        name="mnist_features_and_probabilities",
    )


def classifier_record():
    """What the shipped weights were trained with and the test accuracy they reached."""
    with open(RECORD_PATH) as stream:
        return json.load(stream)
