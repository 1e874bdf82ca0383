"""The classic Keras combined-model GAN (Goodfellow et al., 2014), correct on Keras 3.

    from keras_gan import GAN
    gan = GAN()
    gan.train(iterations=30000, batch_size=32, sample_interval=200)   # grids land in images/

Read it top to bottom: build the discriminator and compile it on its own; build the generator;
freeze the discriminator and stack it on the generator (the "combined" model) and compile that;
then the loop: train the discriminator on real and on generated images, train the generator
through the frozen discriminator, and now and then save a grid of samples. (Each iteration's
steps run as one compiled call by default; `train_iteration` says why and how.)
"""

import numpy as np
import keras
from keras import layers, ops

from keras_gan import checks, datasets
from keras_gan.callbacks import CallbackList, History, standard_callbacks
from keras_gan.checkpoints import checkpoint_path, load_checkpoint


class GAN:
    """A generator and a discriminator, trained against each other with `train_on_batch`."""

    def __init__(
        self,
        img_shape=(28, 28, 1),
        latent_dim=100,
        learning_rate=2e-4,
        beta_1=0.5,
        generator_learning_rate=None,  # None: use learning_rate
        discriminator_learning_rate=None,  # None: use learning_rate
        d_steps=1,  # discriminator steps per generator step
        from_logits=False,  # True: D outputs a logit and the loss applies the sigmoid itself
        label_smoothing=0.0,  # one-sided: D learns "real" as 1 - label_smoothing
        seed=None,  # same seed, same weights, same batches, same losses (on CPU)
        one_call=True,  # run each iteration's steps as one compiled call (see train_iteration)
        jit_compile="auto",  # XLA: "auto" uses it where it measured faster (one_call.py)
    ):
        self.img_shape = tuple(img_shape)
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.seed = seed
        self.one_call = one_call
        self.jit_compile = jit_compile
        self._compiled_iteration = None  # built at the first one-call iteration
        checks.check_gan_settings(self.img_shape, latent_dim, d_steps, label_smoothing, jit_compile)
        if seed is not None:
            keras.utils.set_random_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.iteration = 0  # iterations trained so far; a resumed run carries on from here
        self.fixed_noise = self.rng.normal(size=(25, latent_dim)).astype("float32")

        # Build and compile the discriminator. It learns to say 1 for real images, 0 for fakes.
        self.discriminator = self.build_discriminator()
        self.discriminator.compile(
            loss=keras.losses.BinaryCrossentropy(from_logits=from_logits),
            optimizer=self.build_optimizer(discriminator_learning_rate or learning_rate, beta_1),
            metrics=discriminator_metrics(from_logits),
            jit_compile=jit_compile,
        )

        # Build the generator. It turns a noise vector z into an image.
        self.generator = self.build_generator()

        # The combined model z -> D(G(z)) trains the generator to fool the discriminator.
        # The discriminator inside it must stay fixed. Here that is only marked: Keras 3 reads the
        # flag when a train function is built, so the step methods below set it before each step
        # (and D's summary() shows 0 trainable weights between steps). The combined model needs
        # its own optimizer: one Adam shared by both models fails in Keras 3.
        z = keras.Input(shape=(latent_dim,), name="z")
        self.discriminator.trainable = False
        validity = self.discriminator(self.generator(z))
        self.combined = keras.Model(z, validity, name="combined")
        self.combined.compile(
            loss=keras.losses.BinaryCrossentropy(from_logits=from_logits),
            optimizer=self.build_optimizer(generator_learning_rate or learning_rate, beta_1),
            jit_compile=jit_compile,
        )

    # ----------------------------------------------------------------------------------------
    # The two networks and their optimizer: override these to try another architecture.

    def build_generator(self):
        """MLP 256-512-1024, LeakyReLU(0.2) and BatchNorm(momentum 0.8), tanh image out."""
        model = keras.Sequential(name="generator")
        model.add(keras.Input(shape=(self.latent_dim,)))
        for units in (256, 512, 1024):
            model.add(layers.Dense(units))
            model.add(layers.LeakyReLU(negative_slope=0.2))
            model.add(layers.BatchNormalization(momentum=0.8))
        model.add(layers.Dense(int(np.prod(self.img_shape)), activation="tanh"))
        model.add(layers.Reshape(self.img_shape))
        return model

    def build_discriminator(self):
        """MLP 512-256 with LeakyReLU(0.2); one output: the probability the image is real."""
        model = keras.Sequential(name="discriminator")
        model.add(keras.Input(shape=self.img_shape))
        model.add(layers.Flatten())
        for units in (512, 256):
            model.add(layers.Dense(units))
            model.add(layers.LeakyReLU(negative_slope=0.2))
        model.add(layers.Dense(1, activation=None if self.from_logits else "sigmoid"))
        return model

    def build_optimizer(self, learning_rate, beta_1):
        """Adam(2e-4, beta_1=0.5), as the DCGAN paper found works for GANs."""
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1)

    def load_data(self):
        """The training images when `train` gets none: MNIST in [-1, 1], shape (60000, 28, 28, 1)."""
        return datasets.load_mnist()

    # ----------------------------------------------------------------------------------------
    # One training step of each network.

    def train_discriminator(self, real_images, noise):
        """One step of D on a real batch (label 1), then one on a generated batch (label 0)."""
        # Keras 3 reads `trainable` when a model first builds its train function (the JAX
        # backend: at every call), not at compile() as Keras 2 did. So the freeze set above must
        # be lifted for D's own steps (else D "has no trainable weights" and never learns), and
        # restored for the combined step.
        self.discriminator.trainable = True
        fake_images = self.generator.predict_on_batch(noise)
        real = self.discriminator.train_on_batch(real_images, self.real_labels, return_dict=True)
        fake = self.discriminator.train_on_batch(fake_images, self.fake_labels, return_dict=True)
        return discriminator_logs(real, fake)

    def train_generator(self, noise):
        """One step of G through the frozen D, asking D to call its images real."""
        self.discriminator.trainable = False
        g_loss = self.combined.train_on_batch(noise, self.valid_labels)
        return {"g_loss": g_loss}

    def train_iteration(self, real_batches, d_noises, g_noise):
        """One iteration: D's step(s) on real and generated batches, then G's step; the logs.

        With `one_call=True` (the default) the same steps, on the same models, run as one
        compiled call instead of four Keras calls: 2.2x faster for the MLP on TensorFlow, as
        each call costs more than its arithmetic (keras_gan/one_call.py; tests/test_one_call.py proves
        both ways give the same weights). `one_call=False` runs the methods above, the way the
        2018 code reads.
        """
        if self.one_call:
            if self._compiled_iteration is None:
                from keras_gan.one_call import compile_iteration

                self._compiled_iteration = compile_iteration(self, self.jit_compile)
            return self._compiled_iteration(real_batches, d_noises, g_noise)
        for real_images, noise in zip(real_batches, d_noises):
            logs = self.train_discriminator(real_images, noise)  # the logs keep D's last step
        logs.update(self.train_generator(g_noise))
        return logs

    # ----------------------------------------------------------------------------------------
    # The training loop.

    def train(
        self,
        iterations=30000,
        batch_size=32,
        sample_interval=200,
        data=None,
        output_dir="images",
        checkpoint_interval=1000,
        log_interval=1,
        resume=False,
        overwrite=False,
        verbose=1,
        callbacks=(),
    ):
        """Train up to iteration `iterations` (a resumed run keeps its numbering); return the losses.

        Every `sample_interval` iterations a 5x5 grid goes to `<output_dir>/<iteration>.png`, the
        losses to `metrics.csv` and `losses.png`; every `checkpoint_interval` a checkpoint.
        `data` is an array of images (N, *img_shape) in [-1, 1] (uint8 is scaled for you);
        None means `self.load_data()`.
        """
        checks.check_training_arguments(
            iterations, batch_size, sample_interval, checkpoint_interval, log_interval
        )
        checks.prepare_output_dir(self, output_dir, resume, overwrite)
        images = datasets.check_images(self.load_data() if data is None else data, self.img_shape)
        checks.check_batch_size(batch_size, len(images))
        if resume:
            load_checkpoint(self, checkpoint_path(output_dir))
        checks.check_iterations_ahead(iterations, self.iteration)
        history = History()
        run = CallbackList(
            standard_callbacks(output_dir, sample_interval, checkpoint_interval, log_interval, verbose)
            + [history, *callbacks]
        )

        # Labels for the three kinds of batch; one-sided smoothing softens only the "real" ones.
        self.real_labels = np.full((batch_size, 1), 1.0 - self.label_smoothing, "float32")
        self.fake_labels = np.zeros((batch_size, 1), "float32")
        self.valid_labels = np.ones((batch_size, 1), "float32")

        with run.running(self, iterations) as interrupt:
            while self.iteration < iterations and not interrupt.requested:
                real_batches, d_noises = [], []
                for _ in range(self.d_steps):
                    # Indexing picks a random batch without copying the dataset.
                    real_batches.append(images[self.rng.integers(0, len(images), batch_size)])
                    d_noises.append(self.noise(batch_size))
                logs = self.train_iteration(real_batches, d_noises, self.noise(batch_size))
                self.iteration += 1
                run.on_iteration_end(self, self.iteration, logs)
        return history.history

    def noise(self, n):
        """n latent vectors z ~ N(0, 1) from the GAN's own random generator."""
        return self.rng.normal(size=(n, self.latent_dim)).astype("float32")

    # ----------------------------------------------------------------------------------------
    # Using the trained generator.

    def generate(self, n, noise=None, batch_size=1000):
        """n samples as a numpy array (n, *img_shape) in [-1, 1]; from `noise` (n, latent_dim) if given."""
        if noise is None:
            noise = np.random.default_rng().normal(size=(n, self.latent_dim))
        noise = np.asarray(noise, dtype="float32")
        batches = [
            self.generator.predict_on_batch(noise[start : start + batch_size])
            for start in range(0, len(noise), batch_size)
        ]
        return np.concatenate(batches) if batches else np.zeros((0, *self.img_shape), "float32")


def discriminator_metrics(from_logits):
    """D's accuracy and its mean output, the probability it gives "real", from either output kind."""

    def probability(y_pred):
        return ops.sigmoid(y_pred) if from_logits else y_pred

    # Labels are thresholded too, so one-sided smoothed labels (0.9) still count as "real".
    def accuracy(y_true, y_pred):
        return ops.mean(ops.cast((y_true > 0.5) == (probability(y_pred) > 0.5), "float32"))

    def mean_output(y_true, y_pred):
        return ops.mean(probability(y_pred))

    return [accuracy, mean_output]


def discriminator_logs(real, fake):
    """The logs of one discriminator step from the logs of its real half and its fake half."""
    return {
        "d_loss": 0.5 * (real["loss"] + fake["loss"]),
        "d_accuracy": 0.5 * (real["accuracy"] + fake["accuracy"]),
        "d_real": real["mean_output"],  # mean D(x): how real D finds real images
        "d_fake": fake["mean_output"],  # mean D(G(z)): how real D finds the fakes
    }
