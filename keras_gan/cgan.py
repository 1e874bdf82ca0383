"""Conditional GAN (Mirza & Osindero, 2014): both networks are given the label.

    from keras_gan import CGAN
    gan = CGAN()                          # MNIST digits with their labels
    gan.train(iterations=5000)
    sevens = gan.generate(10, labels=7)

A batch is (images, labels); G is given (noise, label) for labels drawn at random; D judges an
(image, label) pair, so a well-drawn 3 labelled "7" is a fake. The networks are DCGAN's: G gets
the noise joined with a learned embedding of the label; D projects the label onto its features
(Miyato & Koyama, 2018: the verdict is w.h + embedding(y).h for D's features h), which measured
far better than Keras-GAN's label-times-pixels MLP (benchmarks/README.md). The sample grids show
one class per row, from the same noise in each column.
"""

import keras
import numpy as np
from keras import layers

from keras_gan import checks, datasets
from keras_gan.dcgan import DCGAN
from keras_gan.gan import GAN
from keras_gan.settings import Setting

LABEL_EMBEDDING = 50  # the size of the label's embedding that joins G's noise


class CGAN(DCGAN):
    """A DCGAN whose generator draws the class it is asked for."""

    num_classes = Setting(10, checks.whole_number(2), "how many classes the labels name")
    r1_gamma = GAN.r1_gamma.refused(
        "D's input is an (image, label) pair; an R1 penalty for it is not written yet"
    )

    @property
    def grid_shape(self):
        return (self.num_classes, 10)  # a row per class

    # The networks: G(z, y) and D(x, y). -------------------------------------------------------

    def build_generator(self):
        noise, label = self.noise_and_label()
        joined = layers.Concatenate()(
            [noise, layers.Embedding(self.num_classes, LABEL_EMBEDDING)(label)]
        )
        return keras.Model([noise, label], self.upsample(joined), name="generator")

    def build_discriminator(self):
        image, label = (
            keras.Input(self.img_shape, name="image"),
            keras.Input((), dtype="int32", name="label"),
        )
        features = self.downsample(image)
        projection = layers.Dot(axes=1)(
            [layers.Embedding(self.num_classes, features.shape[-1])(label), features]
        )
        verdict = layers.Add()([layers.Dense(1)(features), projection])
        if self.output_activation is not None:
            verdict = layers.Activation(self.output_activation)(verdict)
        return keras.Model([image, label], verdict, name="discriminator")

    def build_combined(self):
        """(z, y) -> D(G(z, y), y): G is asked for class y, and D judges its image as a y."""
        noise, label = self.noise_and_label()
        return keras.Model(
            [noise, label],
            self.discriminator([self.generator([noise, label]), label]),
            name="combined",
        )

    def noise_and_label(self):
        return keras.Input((self.latent_dim,), name="z"), keras.Input(
            (), dtype="int32", name="label"
        )

    # What a batch is and what G is given. -------------------------------------------------------

    def load_data(self):
        """MNIST's digits and their labels."""
        return datasets.load_mnist(with_labels=True)

    def check_data(self, data):
        """`(images, labels)`: labels whole numbers in 0..num_classes-1, one per image."""
        return datasets.check_labelled_images(data, self.img_shape, self.num_classes)

    def sample_batch(self, data, batch_size):
        images, labels = data
        chosen = self.rng.integers(0, len(images), batch_size)
        return [datasets.to_float(images[chosen]), labels[chosen]]

    def generator_inputs(self, batch_size, rng=None):
        """Noise, and a label drawn at random for each fake."""
        rng = rng or self.rng
        return [
            self.noise(batch_size, rng),
            rng.integers(0, self.num_classes, batch_size).astype("int32"),
        ]

    def fake_batch(self, generator_inputs):
        """The fakes with the labels they were made for: D must judge each as that class."""
        return [super().fake_batch(generator_inputs), generator_inputs[1]]

    # Using it. ------------------------------------------------------------------------------------

    def generate(self, n, labels=None, noise=None, seed=None, batch_size=1000):
        """n samples of the classes in `labels` (one int for all, or n of them; None: random)."""
        checks.check_noise(n, noise, self.latent_dim, seed)
        noise = self.noise(n, np.random.default_rng(seed)) if noise is None else noise
        if labels is None:
            labels = np.random.default_rng(seed).integers(0, self.num_classes, n)
        return self.predict_in_batches(
            [np.asarray(noise, "float32"), datasets.check_labels(labels, self.num_classes, n)],
            batch_size,
        )

    def sample_grid(self):
        """One class per row; each column keeps its noise, so a column is one "style"."""
        rows, columns = self.grid_shape
        noise = np.tile(self.fixed_noise[:columns], (rows, 1))
        return self.generate(
            rows * columns, labels=np.repeat(np.arange(rows), columns), noise=noise
        ), columns
