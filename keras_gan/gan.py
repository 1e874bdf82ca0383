"""The classic Keras combined-model GAN (Goodfellow et al., 2014), correct on Keras 3.

    from keras_gan import GAN
    gan = GAN()
    gan.train(iterations=30000, batch_size=32, sample_interval=200)   # grids land in images/

Read it top to bottom: build the discriminator and compile it on its own; build the generator;
freeze the discriminator inside the "combined" model and compile that; then the loop: train the
discriminator on real and on generated images, train the generator through the frozen
discriminator, and now and then save a grid of samples.

A variant is a small subclass that overrides what it changes: the builders (DCGAN), the loss and
the targets (LSGAN, WGAN), what a batch is and what the generator is given (CGAN).
"""

import keras
import numpy as np
from keras import layers, ops

from keras_gan import checks, compiled, datasets, runs, settings
from keras_gan.layers import all_layers


class GAN:
    """A generator and a discriminator, trained against each other with `train_on_batch`."""

    # What D learns to answer for real and for generated images, and what G wants D to answer.
    real_target = 1.0
    fake_target = 0.0
    valid_target = 1.0
    grid_shape = (5, 5)  # rows and columns of the sample grids
    inapplicable_settings = {}  # a variant's settings that mean nothing for it: refused if given

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
        label_smoothing=0.0,  # one-sided: D learns "real" as real_target * (1 - label_smoothing)
        seed=None,  # same seed, same weights, same batches, same losses (on CPU)
        ema_momentum=None,  # e.g. 0.999: sample from an averaged generator (see the end)
        fakes_in_training_mode=False,  # D's fakes from G with BatchNorm on batch statistics (fake_batch)
        one_call=True,  # run each iteration's steps as one compiled call (see run_iteration)
        jit_compile="auto",  # XLA: "auto" uses it where it measured faster (compiled.py)
    ):
        checks.check_gan_settings(
            self,
            img_shape,
            latent_dim,
            learning_rate,
            beta_1,
            generator_learning_rate,
            discriminator_learning_rate,
            d_steps,
            from_logits,
            label_smoothing,
            seed,
            one_call,
            jit_compile,
        )
        checks.check_quality_levers(self, ema_momentum, fakes_in_training_mode)
        checks.check_applicable(
            self, self.get_config()
        )  # (the arguments were recorded by __new__, below)
        img_shape, latent_dim, d_steps, seed = settings.plain(
            (img_shape, latent_dim, d_steps, seed)
        )
        self.img_shape = tuple(img_shape)
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.seed = seed
        self.ema_momentum = ema_momentum
        self.fakes_in_training_mode = fakes_in_training_mode
        self.one_call = one_call
        self.jit_compile = jit_compile
        self.rng = np.random.default_rng(seed)  # the batches and the noise: the GAN's own draws
        self.iteration = 0  # iterations trained so far; a resumed run carries on from here
        self.stop_training = False  # set by Ctrl-C or a callback: the run ends after this iteration
        self.output_dir = None  # the folder this GAN's run writes to, once it has one
        self.fixed_noise = self.noise(int(np.prod(self.grid_shape)))  # the grids' noise, kept
        self._compiled_iteration = None
        self._traced_steps = None
        self._statistics_estimated_at = None  # the iteration the averaged G's BatchNorm matches

        # Keras draws its initial weights from Python's `random`: a seed fixes them, and the
        # caller's own random state is put back afterwards.
        with settings.seeded_python_random(seed):
            # Build and compile the discriminator. It learns to tell real images from fakes.
            self.discriminator = self.build_discriminator()
            discriminator_optimizer = self.build_optimizer(
                learning_rate
                if discriminator_learning_rate is None
                else discriminator_learning_rate,
                beta_1,
            )
            self.discriminator.compile(
                loss=self.build_loss(),
                optimizer=discriminator_optimizer,
                metrics=self.discriminator_metrics(),
                jit_compile=jit_compile,
            )

            # Build the generator. It turns a noise vector z into an image.
            self.generator = self.build_generator()
            self.averaged_generator = self.build_averaged_generator() if ema_momentum else None

            # The combined model z -> D(G(z)) trains the generator to fool the discriminator.
            # The discriminator inside it must stay fixed. Here that is only marked: Keras 3 reads
            # the flag when a train function is built, so the step methods below set it before
            # each step (and D's summary() shows 0 trainable weights between steps).
            self.discriminator.trainable = False
            self.combined = self.build_combined()
            generator_optimizer = self.build_optimizer(
                learning_rate if generator_learning_rate is None else generator_learning_rate,
                beta_1,
            )
            # Each compiled model needs its own optimizer: one Adam shared by both fails in Keras 3.
            checks.check_separate_optimizers(discriminator_optimizer, generator_optimizer)
            self.combined.compile(
                loss=self.build_loss(), optimizer=generator_optimizer, jit_compile=jit_compile
            )

    # ----------------------------------------------------------------------------------------
    # The networks, their optimizer and the game they play: override these for a variant.

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
        """MLP 512-256 with LeakyReLU(0.2); one output: how real D finds the image."""
        model = keras.Sequential(name="discriminator")
        model.add(keras.Input(shape=self.img_shape))
        model.add(layers.Flatten())
        for units in (512, 256):
            model.add(layers.Dense(units))
            model.add(layers.LeakyReLU(negative_slope=0.2))
        model.add(layers.Dense(1, activation=self.output_activation))
        return model

    @property
    def output_activation(self):
        """D's last activation: a probability (sigmoid), or none when the loss takes a logit."""
        return None if self.from_logits else "sigmoid"

    def build_combined(self):
        """The generator stacked on the (frozen) discriminator: noise -> G -> D -> verdict."""
        z = keras.Input(shape=(self.latent_dim,), name="z")
        return keras.Model(z, self.discriminator(self.generator(z)), name="combined")

    def build_optimizer(self, learning_rate, beta_1):
        """Adam(2e-4, beta_1=0.5), as the DCGAN paper found works for GANs. A new one per call."""
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1)

    def build_loss(self):
        """Binary cross-entropy between D's verdict and the target (1 real, 0 fake)."""
        return keras.losses.BinaryCrossentropy(from_logits=self.from_logits)

    def discriminator_metrics(self):
        """D's accuracy and its mean output (as a probability), logged at each of its steps."""
        return probability_metrics(self.from_logits)

    def discriminator_logs(self, real, fake):
        """The logs of one D step, from the logs of its real half and of its fake half."""
        return {
            "d_loss": 0.5 * (real["loss"] + fake["loss"]),
            "d_accuracy": 0.5 * (real["accuracy"] + fake["accuracy"]),
            "d_real": real["mean_output"],  # mean D(x): how real D finds real images
            "d_fake": fake["mean_output"],  # mean D(G(z)): how real D finds the fakes
        }

    # ----------------------------------------------------------------------------------------
    # The data, and what each network is given.

    def load_data(self):
        """The training data when `train` gets none: MNIST's 60000 digits (uint8, 28x28x1)."""
        return datasets.load_mnist()

    def check_data(self, data):
        """`data` checked against the model (a clear ValueError if it does not fit)."""
        return datasets.check_images(data, self.img_shape)

    def sample_batch(self, data, batch_size):
        """A random batch of real images, as D takes them: float32 in [-1, 1]."""
        # Indexing picks the batch without copying the dataset; uint8 data is scaled batch by batch.
        return datasets.to_float(data[self.rng.integers(0, len(data), batch_size)])

    def generator_inputs(self, batch_size, rng=None):
        """What G is given to make a batch: noise z ~ N(0, 1)."""
        return self.noise(batch_size, rng)

    def noise(self, n, rng=None):
        """n latent vectors z ~ N(0, 1), from the GAN's own random generator unless `rng` is given."""
        return (rng or self.rng).normal(size=(n, self.latent_dim)).astype("float32")

    def fake_batch(self, generator_inputs):
        """A batch of generated images, as D takes them: G in inference mode, as the classic `predict()`.

        With `fakes_in_training_mode`, G runs in training mode, as PyTorch's DCGAN does: its
        BatchNorm normalises with the batch's own statistics (and updates its moving ones); no
        gradient reaches G from D's step.
        """
        if self.fakes_in_training_mode:
            return ops.stop_gradient(self.generator(generator_inputs, training=True))
        return self.predict_on_batch(self.generator, generator_inputs)

    def targets(self, value, batch):
        """One target per example of `batch`: what the loss compares D's output with."""
        return ops.full((batch_length(batch), 1), value, dtype="float32")

    # ----------------------------------------------------------------------------------------
    # One training step of each network.

    def train_discriminator(self, real_batch, generator_inputs):
        """One step of D on a real batch (target 1), then one on a generated batch (target 0)."""
        # Keras 3 reads `trainable` when a model first builds its train function (the JAX
        # backend: at every call), not at compile() as Keras 2 did. So the freeze set above must
        # be lifted for D's own steps (else D "has no trainable weights" and never learns), and
        # restored for the combined step.
        self.discriminator.trainable = True
        fake_batch = self.fake_batch(generator_inputs)
        real_target = self.real_target * (1.0 - self.label_smoothing)
        real = self.train_on_batch(
            self.discriminator, real_batch, self.targets(real_target, real_batch)
        )
        fake = self.train_on_batch(
            self.discriminator, fake_batch, self.targets(self.fake_target, fake_batch)
        )
        return self.discriminator_logs(real, fake)

    def train_generator(self, generator_inputs):
        """One step of G through the frozen D, asking D to call its images real."""
        self.discriminator.trainable = False
        valid = self.targets(self.valid_target, generator_inputs)
        return {"g_loss": self.train_on_batch(self.combined, generator_inputs, valid)["loss"]}

    def train_iteration(self, real_batches, d_generator_inputs, g_generator_inputs):
        """One iteration: D's step on each real batch (`d_steps` of them), then G's step."""
        for real_batch, generator_inputs in zip(real_batches, d_generator_inputs):
            logs = self.train_discriminator(real_batch, generator_inputs)  # logs keep D's last step
        logs.update(self.train_generator(g_generator_inputs))
        if self.averaged_generator is not None:
            self.update_averaged_generator()
        return logs

    def train_on_batch(self, model, inputs, targets):
        """One optimizer step of a compiled model on one batch; its logs (loss and metrics).

        This is Keras' `model.train_on_batch`. Inside the compiled iteration (`one_call=True`),
        it is the step `train_on_batch` wraps, `model.train_step`, traced (compiled.py).
        """
        if self._traced_steps is not None:
            return self._traced_steps.train_on_batch(model, inputs, targets)
        return model.train_on_batch(inputs, targets, return_dict=True)

    def predict_on_batch(self, model, inputs):
        """A model's output for one batch, in inference mode: Keras' `predict_on_batch`."""
        if self._traced_steps is not None:
            return self._traced_steps.predict_on_batch(model, inputs)
        return model.predict_on_batch(inputs)

    def run_iteration(self, real_batches, d_generator_inputs, g_generator_inputs):
        """`train_iteration`, with its logs as floats.

        With `one_call=True` (the default) the methods above run traced into one compiled call
        instead of four Keras calls per iteration: faster, as each Keras call costs more than the
        MLP's arithmetic (compiled.py; measured in benchmarks/README.md;
        tests/test_compiled.py proves both ways train the same weights). `one_call=False` runs
        them as they read, call by call.
        """
        batches = (real_batches, d_generator_inputs, g_generator_inputs)
        if not self.one_call:
            return {name: float(value) for name, value in self.train_iteration(*batches).items()}
        if self._compiled_iteration is None:
            self._compiled_iteration = compiled.compile_iteration(self)
        return self._compiled_iteration(*batches)

    # ----------------------------------------------------------------------------------------
    # The training loop.

    def train(
        self,
        iterations=30000,
        batch_size=32,
        sample_interval=200,
        data=None,
        output_dir=None,
        checkpoint_interval=1000,
        log_interval=1,
        resume=False,
        overwrite=False,
        verbose=1,
        callbacks=(),
    ):
        """Train up to iteration `iterations` (a resumed run keeps its numbering); return the logs.

        Every `sample_interval` iterations a grid of samples goes to `<output_dir>/<iteration>.png`,
        the logs to `metrics.csv` and `losses.png`; every `checkpoint_interval` a checkpoint.
        `output_dir=None` is `images/`, or `images-2/`, ... when that holds an earlier run.
        `data`: images (N, *img_shape), float in [-1, 1] or uint8 pixels; None: `self.load_data()`.
        """
        # Everything is checked before anything is built, written or deleted: the arguments, the
        # data, then (in runs.Run) the folder, the callbacks and a checkpoint to resume.
        checks.check_training_arguments(
            iterations, batch_size, sample_interval, checkpoint_interval, log_interval
        )
        data = self.check_data(self.load_data() if data is None else data)
        checks.check_batch_size(batch_size, batch_length(data))
        run = runs.Run(
            self,
            iterations,
            output_dir,
            resume,
            overwrite,
            sample_interval,
            checkpoint_interval,
            log_interval,
            verbose,
            callbacks,
        )

        with run:  # however the run ends, its grid, logs and checkpoint are saved
            while self.iteration < iterations and not self.stop_training:
                real_batches = [self.sample_batch(data, batch_size) for _ in range(self.d_steps)]
                d_inputs = [self.generator_inputs(batch_size) for _ in range(self.d_steps)]
                g_inputs = self.generator_inputs(batch_size)
                with run.holding_ctrl_c():  # the step, its count and its log row go together
                    logs = self.run_iteration(real_batches, d_inputs, g_inputs)
                    self.iteration += 1
                    run.record(logs)
                run.on_iteration_end(logs)  # grids, checkpoints, plots and your callbacks
        return run.history

    # ----------------------------------------------------------------------------------------
    # Using the trained generator.

    def generate(self, n, noise=None, seed=None, batch_size=1000):
        """n samples as a numpy array (n, *img_shape) in [-1, 1].

        From `noise` (n, latent_dim) if given, else from noise drawn with `seed` (None: fresh).
        """
        noise = checks.check_noise(n, noise, self.latent_dim, seed)
        return self.predict_in_batches(noise, batch_size)

    def sample_grid(self):
        """The samples a grid shows (from the fixed noise, so grids compare), and its columns."""
        return self.generate(len(self.fixed_noise), noise=self.fixed_noise), self.grid_shape[1]

    def predict_in_batches(self, generator_inputs, batch_size=1000):
        """The sampling generator's images for `generator_inputs`, `batch_size` at a time, as numpy."""
        generator, count = self.sampling_generator(), batch_length(generator_inputs)
        batches = [
            generator.predict_on_batch(
                keras.tree.map_structure(lambda x: x[start : start + batch_size], generator_inputs)
            )
            for start in range(0, count, batch_size)
        ]
        if not batches:
            return np.zeros((0, *self.img_shape), "float32")
        # float32 whatever the precision policy: under mixed_bfloat16 G outputs bfloat16.
        return np.concatenate(batches).astype("float32", copy=False)

    # ----------------------------------------------------------------------------------------
    # The averaged generator (ema_momentum): samples from a running average of G's weights.

    # GAN training oscillates; an exponential moving average of G's weights smooths the
    # oscillation out of the samples (Yazici et al., 2019). Our own, not Keras' optimizer
    # option `use_ema`: that one hands its average over only by overwriting the trained weights.

    def build_averaged_generator(self):
        """A copy of G whose weights will follow the average of G's."""
        average = keras.models.clone_model(self.generator)
        average.set_weights(self.generator.get_weights())
        return average

    def update_averaged_generator(self):
        """Move the average toward G's weights, a little faster at first (the average of only a
        few steps must not lean on G's random initial weights)."""
        steps = ops.cast(
            self.combined.optimizer.iterations, "float32"
        )  # G's steps so far, this one included
        momentum = ops.minimum(self.ema_momentum, steps / (9.0 + steps))
        for average, weight in zip(
            self.averaged_generator.trainable_weights, self.generator.trainable_weights
        ):
            average.assign(momentum * average + (1.0 - momentum) * weight)

    def sampling_generator(self):
        """The generator samples come from: G, or its average once its BatchNorm statistics have
        been estimated for the averaged weights (averaging G's own statistics measured no gain)."""
        if self.averaged_generator is None:
            return self.generator
        if self._statistics_estimated_at != self.iteration:
            estimate_batch_statistics(
                self.averaged_generator, self.generator_inputs(1000, rng=np.random.default_rng(0))
            )
            self._statistics_estimated_at = self.iteration
        return self.averaged_generator

    # ----------------------------------------------------------------------------------------
    # Saving: what a checkpoint needs to rebuild this GAN.

    def __new__(cls, *args, **kwargs):
        # Remember the arguments the GAN is built with (as Keras layers do for get_config), so a
        # checkpoint can rebuild it, subclass settings included.
        gan = super().__new__(cls)
        gan._arguments = settings.call_arguments(cls, args, kwargs)
        return gan

    def get_config(self):
        """The arguments this GAN was built with: `type(gan)(**gan.get_config())` rebuilds it."""
        return dict(self._arguments)


def batch_length(batch):
    """How many examples a batch (an array, or a list of arrays such as images and labels) holds."""
    return int(keras.tree.flatten(batch)[0].shape[0])


def estimate_batch_statistics(model, inputs):
    """Set every BatchNormalization's moving statistics of `model` to those of one large batch."""
    batch_norms = [
        layer for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization)
    ]
    momenta = [layer.momentum for layer in batch_norms]
    for layer in batch_norms:
        layer.momentum = 0.0  # the moving statistics become this batch's
    try:
        model(inputs, training=True)
    finally:
        for layer, momentum in zip(batch_norms, momenta):
            layer.momentum = momentum


def probability_metrics(from_logits):
    """D's accuracy and its mean output, the probability it gives "real", from either output kind."""

    def probability(y_pred):
        return ops.sigmoid(y_pred) if from_logits else y_pred

    # Targets are thresholded too, so one-sided smoothed targets (0.9) still count as "real".
    def accuracy(y_true, y_pred):
        return ops.mean(ops.cast((y_true > 0.5) == (probability(y_pred) > 0.5), "float32"))

    def mean_output(y_true, y_pred):
        return ops.mean(probability(y_pred))

    return [accuracy, mean_output]
