"""Train the MNIST classifier that `keras_gan.metrics` measures samples with.

    python -m keras_gan.metrics.train_classifier --data-dir /path/to/mnist

Writes `mnist_classifier.weights.h5` and `mnist_classifier.json` (test accuracy, seed, epochs,
date, command) next to this file, i.e. into the package, where the metrics load them from.
Takes about a minute per epoch on a 2-core CPU. Same seed, same weights (on the same machine
and backend; thread scheduling can still change the last digits).
"""

import argparse
import datetime
import json
import os
import sys

import keras

from keras_gan import datasets
from keras_gan.metrics import classifier as classifier_module


def train(data_dir=None, epochs=4, batch_size=128, seed=1337, output_dir=None):
    """Train from scratch; save weights and record into `output_dir`; return the record."""
    keras.utils.set_random_seed(seed)
    x_train, y_train = datasets.load_mnist(data_dir, "train", with_labels=True)
    x_test, y_test = datasets.load_mnist(data_dir, "test", with_labels=True)
    x_train, x_test = (
        datasets.scale_images(x_train),
        datasets.scale_images(x_test),
    )  # the [-1, 1] GANs make

    model = classifier_module.build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    # Halving the step size for the last epoch settles the weights a little closer to a
    # minimum, which is worth a few tenths of a percent on MNIST.
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, rate: 1e-3 if epoch < epochs - 1 else 3e-4
    )
    model.fit(
        x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[schedule], verbose=2
    )
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)

    output_dir = output_dir or os.path.dirname(classifier_module.WEIGHTS_PATH)
    # A trained model's weights file also holds the optimizer's state, twice the weights'
    # size; a fresh copy without an optimizer keeps the shipped file small.
    inference_model = classifier_module.build_classifier()
    inference_model.set_weights(model.get_weights())
    inference_model.save_weights(
        os.path.join(output_dir, os.path.basename(classifier_module.WEIGHTS_PATH))
    )
    record = {
        "test_accuracy": round(float(accuracy), 4),
        "test_images": int(len(x_test)),
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "parameters": int(model.count_params()),
        "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "date": datetime.date.today().isoformat(),
        "command": "python -m keras_gan.metrics.train_classifier " + " ".join(sys.argv[1:]),
    }
    with open(
        os.path.join(output_dir, os.path.basename(classifier_module.RECORD_PATH)), "w"
    ) as stream:
        json.dump(record, stream, indent=2)
        stream.write("\n")
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the MNIST IDX .gz files or mnist.npz (default: $KERAS_GAN_DATA_DIR, "
        "else download)",
    )
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument(
        "--output-dir", default=None, help="where to write the weights (default: the package)"
    )
    args = parser.parse_args(argv)
    record = train(args.data_dir, args.epochs, args.batch_size, args.seed, args.output_dir)
    print(json.dumps(record, indent=2))
    if record["test_accuracy"] < 0.99:
        print("Test accuracy is below 0.99: train longer (--epochs).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
