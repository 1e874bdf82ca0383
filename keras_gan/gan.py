"""The classic Keras combined-model GAN (Goodfellow et al., 2014), correct on Keras 3.

    from keras_gan import GAN
    gan = GAN()
    gan.train(iterations=30000, batch_size=32, sample_interval=200)   # grids land in images/

Read it top to bottom: the settings; build the discriminator and compile it on its own; build the
generator; freeze the discriminator inside the "combined" model and compile that; then the game,
on one screen: train the discriminator on real and on generated images, train the generator
through the frozen discriminator; then the loop that plays it and now and then saves a grid.

A variant is a small subclass that overrides what it changes: the builders (DCGAN), the loss and
the targets (LSGAN, WGAN), what a batch is and what the generator is given (CGAN).
"""

import keras
import numpy as np
from keras import layers, ops

from keras_gan import averaging, checks, compiled, datasets, penalties, plots, runs, settings
from keras_gan.checks import number, one_of, optional, true_or_false, whole_number
from keras_gan.settings import Setting


class GAN:
    """A generator and a discriminator, trained against each other with `train_on_batch`."""

    # ----------------------------------------------------------------------------------------
    # The settings, `GAN(latent_dim=64, ...)`: each declared once, with its default, what it
    # must be and what it does. They are also get_config(), the checkpoint's record and the
    # `keras-gan train` flags (settings.py).

    img_shape = Setting(
        (28, 28, 1), checks.image_shape, "the images' (height, width, channels)", command_line=False
    )
    latent_dim = Setting(
        100, whole_number(1), "size of the noise vector z that G turns into an image"
    )
    learning_rate = Setting(
        2e-4, number(minimum=0, hint=" (0 freezes that network)"), "Adam's rate for both networks"
    )
    beta_1 = Setting(
        0.5, number(minimum=0, below=1, hint=" (0.5 is usual for GANs)"), "Adam's beta_1"
    )
    generator_learning_rate = Setting(
        None,
        optional(learning_rate.check, "use learning_rate"),
        "G's own rate (default: learning_rate)",
    )
    discriminator_learning_rate = Setting(
        None,
        optional(learning_rate.check, "use learning_rate"),
        "D's own rate (default: learning_rate)",
    )
    d_steps = Setting(1, whole_number(1), "discriminator steps per generator step")
    from_logits = Setting(False, true_or_false, "D outputs a logit; the loss applies the sigmoid")
    label_smoothing = Setting(
        0.0,
        number(minimum=0, below=0.5, hint=" (0.1 is usual)"),
        'one-sided: D learns "real" as real_target * (1 - label_smoothing), e.g. 0.1',
    )
    ema_momentum = Setting(
        None,
        optional(number(above=0, below=1, hint=", e.g. 0.999"), "no averaged generator"),
        "sample from an average of G's weights (averaging.py), e.g. 0.999",
    )
    fakes_in_training_mode = Setting(
        False, true_or_false, "D's fakes from G with BatchNorm on batch statistics (see fake_batch)"
    )
    r1_gamma = Setting(
        0.0,
        number(minimum=0, hint=" (0: no R1 penalty; 10 is usual)"),
        "R1: penalise D's gradient at real images, gamma/2 |grad D(x)|^2, e.g. 10",
    )
    seed = Setting(
        None,
        checks.seed,
        "same seed: same weights, batches and losses (on CPU)",
        command_line=False,
    )
    compile_iteration = Setting(
        True, true_or_false, "run each iteration as one compiled call (False: the four Keras calls)"
    )
    jit_compile = Setting(
        "auto", one_of("auto", True, False), 'XLA: "auto" uses it where it measured faster'
    )

    # What D learns to answer for real and for generated images, and what G wants D to answer.
    real_target = 1.0
    fake_target = 0.0
    generator_target = 1.0
    grid_shape = (5, 5)  # rows and columns of the sample grids

    def __init__(self, **given_settings):
        """Build and compile the models; `given_settings` are any of the settings above."""
        self._config = settings.configure(self, given_settings)  # checked, then self.<name> = ...
        self.rng = np.random.default_rng(self.seed)  # the batches and the noise: the GAN's own
        self.iteration = 0  # iterations trained so far; a resumed run carries on from here
        self.stop_training = False  # set by Ctrl-C or a callback: the run ends after this iteration
        self.output_dir = None  # the folder this GAN's run writes to, once it has one
        self.fixed_noise = self.noise(int(np.prod(self.grid_shape)))  # the grids' noise, kept
        self.steps = compiled.KERAS_CALLS  # what train_on_batch and predict_on_batch call

        # Keras draws its initial weights from Python's `random`: a seed fixes them, and the
        # caller's own random state is put back afterwards.
        with settings.seeded_python_random(self.seed):
            # Build and compile the discriminator. It learns to tell real images from fakes.
            self.discriminator = self.build_discriminator()
            if self.r1_gamma or type(self).penalty_points is not GAN.penalty_points:
                # A term built from D's gradient is no Keras loss: D is wrapped in a model whose
                # own loss adds it, so Keras' train_step runs it on every path (penalties.py).
                self.discriminator = penalties.PenalizedDiscriminator(
                    self.discriminator, self.gradient_penalty, self.seed
                )
            discriminator_optimizer = self.build_optimizer(
                own_or(self.discriminator_learning_rate, self.learning_rate), self.beta_1
            )
            self.discriminator.compile(
                loss=self.build_loss(),
                optimizer=discriminator_optimizer,
                metrics=self.discriminator_metrics(),
                jit_compile=self.jit_compile,
            )

            # Build the generator. It turns a noise vector z into an image.
            self.generator = self.build_generator()
            self.averaged_generator = (
                averaging.copy_of(self.generator) if self.ema_momentum else None
            )

            # The combined model z -> D(G(z)) trains the generator to fool the discriminator.
            # The discriminator inside it must stay fixed. Here that is only marked: Keras 3 reads
            # the flag when a train function is built, so the step methods below set it before
            # each step (and D's summary() shows 0 trainable weights between steps).
            self.discriminator.trainable = False
            self.combined = self.build_combined()
            generator_optimizer = self.build_optimizer(
                own_or(self.generator_learning_rate, self.learning_rate), self.beta_1
            )
            # Each compiled model needs its own optimizer: one Adam shared by both fails in Keras 3.
            checks.check_separate_optimizers(discriminator_optimizer, generator_optimizer)
            self.combined.compile(
                loss=self.build_loss(), optimizer=generator_optimizer, jit_compile=self.jit_compile
            )

    # ----------------------------------------------------------------------------------------
    # The networks and their optimizer: override these for another architecture.

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

    # ----------------------------------------------------------------------------------------
    # The game, one iteration of it. (With compile_iteration, these bodies run once, while they
    # are traced into one compiled call: plain Python in them runs then, not every iteration.)

    def build_loss(self):
        """Binary cross-entropy between D's verdict and the target (1 real, 0 fake)."""
        return keras.losses.BinaryCrossentropy(from_logits=self.from_logits)

    def targets(self, value, batch):
        """One target per example of `batch`: what the loss compares D's output with."""
        return ops.full((batch_length(batch), 1), value, dtype="float32")

    def fake_batch(self, generator_inputs):
        """A batch of generated images for D: G in inference mode, as the classic `predict()`.

        With `fakes_in_training_mode`, G runs in training mode, as PyTorch's DCGAN does: its
        BatchNorm normalises with the batch's own statistics (and updates its moving ones); no
        gradient reaches G from D's step.
        """
        if self.fakes_in_training_mode:
            return ops.stop_gradient(self.generator(generator_inputs, training=True))
        return self.predict_on_batch(self.generator, generator_inputs)

    def train_discriminator(self, real_batch, generator_inputs):
        """(1) Update D: maximise log D(x) + log(1 - D(G(z))), a step on real, one on fakes."""
        # Keras 3 reads `trainable` when a model first builds its train function (the JAX
        # backend: at every call), not at compile() as Keras 2 did. So the freeze set above must
        # be lifted for D's own steps (else D "has no trainable weights" and never learns), and
        # restored for the combined step.
        self.discriminator.trainable = True
        fakes = self.fake_batch(generator_inputs)
        real_target = self.real_target * (1.0 - self.label_smoothing)
        # A gradient penalty rides on the real half: D's loss adds it for the points given.
        points = self.penalty_points(real_batch, fakes)
        real_inputs = real_batch if points is None else penalties.with_points(real_batch, points)
        real = self.train_on_batch(
            self.discriminator, real_inputs, self.targets(real_target, real_batch)
        )
        fake = self.train_on_batch(self.discriminator, fakes, self.targets(self.fake_target, fakes))
        return self.discriminator_logs(real, fake)

    def penalty_points(self, real_batch, fake_batch):
        """Where D's step penalises the gradient of D's output with respect to its input: None for
        no penalty; the real images for R1 (`r1_gamma`); WGANGP: points between real and fake."""
        return real_batch if self.r1_gamma else None

    def gradient_penalty(self, gradients):
        """The term D's loss gains from `gradients`, D's gradient at the penalty points. R1
        (Mescheder et al., 2018) keeps D from growing steep where the real data lies."""
        return 0.5 * self.r1_gamma * ops.mean(penalties.squared_norms(gradients))

    def train_generator(self, generator_inputs):
        """(2) Update G through the frozen D: maximise log D(G(z)), D calling its fakes real."""
        self.discriminator.trainable = False
        target = self.targets(self.generator_target, generator_inputs)
        return {"g_loss": self.train_on_batch(self.combined, generator_inputs, target)["loss"]}

    def train_iteration(self, real_batches, d_generator_inputs, g_generator_inputs):
        """One iteration: D's step on each real batch (`d_steps` of them), then G's step."""
        for real_batch, generator_inputs in zip(real_batches, d_generator_inputs):
            logs = self.train_discriminator(real_batch, generator_inputs)  # keeps D's last logs
        logs.update(self.train_generator(g_generator_inputs))
        if self.averaged_generator is not None:
            averaging.update(
                self.averaged_generator,
                self.generator,
                self.ema_momentum,
                self.combined.optimizer.iterations,
            )
        return logs

    def train_on_batch(self, model, inputs, targets):
        """One optimizer step of `model` on one batch; its logs. Keras' `model.train_on_batch`,
        or in the compiled iteration the `model.train_step` it wraps (compiled.py)."""
        return self.steps.train_on_batch(model, inputs, targets)

    def predict_on_batch(self, model, inputs):
        """A model's output for one batch, in inference mode: Keras' `predict_on_batch`."""
        return self.steps.predict_on_batch(model, inputs)

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
        # Indexing picks the batch without copying the dataset; uint8 is scaled batch by batch.
        return datasets.to_float(data[self.rng.integers(0, len(data), batch_size)])

    def generator_inputs(self, batch_size, rng=None):
        """What G is given to make a batch: noise z ~ N(0, 1)."""
        return self.noise(batch_size, rng)

    def noise(self, n, rng=None):
        """n latent vectors z ~ N(0, 1), from the GAN's own random generator unless `rng` given."""
        return (rng or self.rng).normal(size=(n, self.latent_dim)).astype("float32")

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
        checks.check_resume_or_overwrite(resume, overwrite)
        data = self.check_data(self.load_data() if data is None else data)
        checks.check_batch_size(batch_size, batch_length(data))
        run = runs.Run(self, iterations, output_dir, resume, overwrite, sample_interval,
                       checkpoint_interval, log_interval, verbose, callbacks)  # fmt: skip

        with run:  # however the run ends, its grid, logs and checkpoint are saved
            while self.iteration < iterations and not self.stop_training:
                real_batches = [self.sample_batch(data, batch_size) for _ in range(self.d_steps)]
                d_inputs = [self.generator_inputs(batch_size) for _ in range(self.d_steps)]
                g_inputs = self.generator_inputs(batch_size)
                with run.holding_ctrl_c():  # the step, its count and its log row go together
                    # train_iteration, as one compiled call or as four Keras calls (compiled.py)
                    logs = compiled.run_iteration(self, real_batches, d_inputs, g_inputs)
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
        checks.check_noise(n, noise, self.latent_dim, seed)
        noise = self.noise(n, np.random.default_rng(seed)) if noise is None else noise
        return self.predict_in_batches(np.asarray(noise, "float32"), batch_size)

    def sample_grid(self):
        """The samples a grid shows (from the fixed noise, so grids compare), and its columns."""
        return self.generate(len(self.fixed_noise), noise=self.fixed_noise), self.grid_shape[1]

    def sample_picture(self, scale=3):
        """The picture of a sample interval (its PNG, the GIF, TensorBoard, the notebook): the
        grid of `sample_grid()`, each pixel shown `scale` times (ToyGAN: the game in 2-D)."""
        samples, columns = self.sample_grid()
        return plots.grid_image(samples, columns, scale=scale)

    def predict_in_batches(self, generator_inputs, batch_size=1000):
        """The sampling generator's images for `generator_inputs`, `batch_size` at a time."""
        generator, count = self.sampling_generator(), batch_length(generator_inputs)
        # G called directly, not predict_on_batch: under a tf.distribute strategy that runs every
        # replica on the whole batch and returns all their copies, one after the other.
        batches = [
            ops.convert_to_numpy(
                generator(
                    keras.tree.map_structure(
                        lambda x, s=start: x[s : s + batch_size], generator_inputs
                    ),
                    training=False,
                )
            )
            for start in range(0, count, batch_size)
        ]
        if not batches:
            return np.zeros((0, *self.img_shape), "float32")
        # float32 whatever the precision policy: under mixed_bfloat16 G outputs bfloat16.
        return np.concatenate(batches).astype("float32", copy=False)

    def sampling_generator(self):
        """The generator samples come from: G, or its average (ema_momentum, averaging.py)."""
        if self.averaged_generator is None:
            return self.generator
        averaging.estimate_statistics_once(self)
        return self.averaged_generator

    def get_config(self):
        """The settings this GAN was given: `type(gan)(**gan.get_config())` rebuilds it."""
        return dict(self._config)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        settings.check_subclass(cls)  # a setting in a subclass's __init__ must be declared
        cls.__signature__ = settings.signature(cls)


GAN.__signature__ = settings.signature(GAN)  # help(GAN) and notebooks list every setting


def own_or(own_rate, rate):
    """A network's own learning rate if it has one (0 included: it freezes it), else `rate`."""
    return rate if own_rate is None else own_rate


def batch_length(batch):
    """How many examples a batch (an array, or a list such as images and labels) holds."""
    return int(keras.tree.flatten(batch)[0].shape[0])


def probability_metrics(from_logits):
    """D's accuracy and its mean output, the probability it gives "real", from either kind."""

    def probability(y_pred):
        return ops.sigmoid(y_pred) if from_logits else y_pred

    # Targets are thresholded too, so one-sided smoothed targets (0.9) still count as "real".
    def accuracy(y_true, y_pred):
        return ops.mean(ops.cast((y_true > 0.5) == (probability(y_pred) > 0.5), "float32"))

    def mean_output(y_true, y_pred):
        return ops.mean(probability(y_pred))

    return [accuracy, mean_output]
