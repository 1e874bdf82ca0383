"""ToyGAN: the classic GAN on 2-D points, where the whole game can be drawn (keras_gan/game.py).

    from keras_gan import ToyGAN
    gan = ToyGAN(dataset="ring")  # or "grid", "moons", "spiral"; train(data=points) for your own
    gan.train(iterations=2000)  # a frame of the game every 250 iterations, and progress.gif
    gan.picture()  # D's verdict over the plane, real and fake points, G's pushes, G's map
    gan.measure_quality()  # {'modes_captured': 8, 'modes': 8, 'high_quality_share': 0.97}

Only what the data changes is overridden: two small MLPs, the data hooks, and the picture of a
sample interval. The loop, the freeze, checkpoints, callbacks and the command line are GAN's.

Why the defaults are what they are (measured in benchmarks/README.md, "The game in 2-D"):
- 2-D noise (`latent_dim=2`): G's map from noise to the plane is then a warped sheet a class
  can see whole; more noise dimensions measured no better on the ring and grid.
- 3 hidden layers of 256 ReLU units in each network (the issue's probe): wide enough to carve
  25 modes, small enough that an iteration costs a few milliseconds on a laptop CPU.
- Adam(1e-3, beta_1=0.5): 5x the image models' rate; 2-D points need no slow, careful steps,
  and a class watches 5000 iterations, not 30000.
- batches of 256 points: a batch must hold every mode several times (25 modes in the grid),
  or D cannot see which ones G misses.
- R1 on D (`r1_gamma=1.0`) and samples from an average of G's weights (`ema_momentum=0.999`):
  the plain GAN hops between good and poor states (ring seed 0: 2 of 8 modes at 5000); with the
  pair every seed holds 8 of 8 ring modes at over 90% from iteration 2250-3250, and the grid
  reaches 23-25 of 25 modes at 81% (medians of seeds 0-2, two runs): short of the aim's 90%.
  `ToyGAN(r1_gamma=0, ema_momentum=None)` is the plain game.
"""

import keras
import numpy as np
from keras import layers, ops

from keras_gan import checks, datasets, game
from keras_gan.gan import GAN
from keras_gan.settings import Setting

FRAME_POINTS = 512  # fake points in each frame, from fixed noise (the frames compare)


class ToyGAN(GAN):
    """A GAN for (N, 2) float points: MLPs of `depth` x `units` ReLU units, linear points out."""

    dataset = Setting(
        "ring",
        checks.optional(checks.one_of(*datasets.TOY_DATASETS), "train on data= only"),
        "what load_data() trains on, and whose modes measure_quality() counts",
        command_line=False,  # keras-gan train --dataset sets it
    )
    img_shape = GAN.img_shape.replace(default=(2,)).refused("ToyGAN makes 2-D points, shape (2,)")
    latent_dim = GAN.latent_dim.replace(default=2)
    units = Setting(256, checks.whole_number(1), "units per hidden layer of G and D")
    depth = Setting(3, checks.whole_number(1), "hidden layers of G and D")
    learning_rate = GAN.learning_rate.replace(default=1e-3)
    r1_gamma = GAN.r1_gamma.replace(default=1.0)
    ema_momentum = GAN.ema_momentum.replace(default=0.999)

    grid_shape = (1, FRAME_POINTS)  # a "grid" is the frame's fake points

    def __init__(self, **given_settings):
        self.points = None  # the data of the last train(), for the frames and the steps by hand
        self.game_pictures = {}  # (arrows, extent, dpi) -> its figure, redrawn each time
        super().__init__(**given_settings)

    def build_generator(self):
        """Noise -> `depth` x Dense(`units`, ReLU) -> a point (linear: data is not in [-1, 1])."""
        return keras.Sequential(
            [keras.Input(shape=(self.latent_dim,)), *self.hidden_layers(), layers.Dense(2)],
            name="generator",
        )

    def build_discriminator(self):
        """A point -> `depth` x Dense(`units`, ReLU) -> how real D finds it."""
        verdict = layers.Dense(1, activation=self.output_activation)
        return keras.Sequential(
            [keras.Input(shape=self.img_shape), *self.hidden_layers(), verdict],
            name="discriminator",
        )

    def hidden_layers(self):
        """`depth` new Dense(`units`, ReLU) layers: the body of both networks."""
        return [layers.Dense(self.units, activation="relu") for _ in range(self.depth)]

    # ----------------------------------------------------------------------------------------
    # The data.

    def load_data(self):
        """`dataset`'s points (keras_gan.datasets.load_toy), when train() gets no data."""
        if self.dataset is None:
            raise ValueError(
                "This ToyGAN has dataset=None: pass your points, train(data=points), shape (N, 2)."
            )
        return datasets.load_toy(self.dataset)

    def check_data(self, data):
        self.points = datasets.check_points(data)
        return self.points

    def sample_batch(self, data, batch_size):
        return data[self.rng.integers(0, len(data), batch_size)]

    def train(self, iterations=5000, batch_size=256, sample_interval=250, **options):
        """GAN.train with a toy run's defaults: 5000 iterations of 256 points, a frame every 250.

        (Pass the rest by name: data=, output_dir=, callbacks=, ...)"""
        return super().train(
            iterations=iterations, batch_size=batch_size, sample_interval=sample_interval, **options
        )

    # ----------------------------------------------------------------------------------------
    # The picture of the game (keras_gan/game.py draws it).

    def discriminator_verdicts(self, points):
        """D's probability that each point (n, 2) is real, as numpy (n,), in inference mode."""
        output = self.discriminator.predict_on_batch(np.asarray(points, "float32"))
        output = ops.sigmoid(output) if self.from_logits else output
        return ops.convert_to_numpy(output).reshape(-1)

    def frame_real_points(self):
        """The real points a frame shows: a fixed subset of the data (or of `dataset`)."""
        points = self.points if self.points is not None else self.load_data()
        return points[np.random.default_rng(0).permutation(len(points))[:FRAME_POINTS]]

    def picture(self, arrows=game.ARROWS, extent=None, dpi=100):
        """The game now, as a PIL image (keras_gan.game.GamePicture): `arrows` fakes with an
        arrow (0: none), the plane's `extent` (None: the real points' box), `dpi`."""
        extent = None if extent is None else tuple(float(side) for side in extent)
        options = (arrows, extent, dpi)
        if options not in self.game_pictures:
            if len(self.game_pictures) >= 4:  # a few figures at most (live, frames, by hand)
                self.game_pictures.clear()
            self.game_pictures[options] = game.GamePicture(self, arrows, extent, dpi=dpi)
        return self.game_pictures[options].draw()

    def sample_picture(self, scale=3):
        return self.picture(dpi=40 * scale)

    # ----------------------------------------------------------------------------------------
    # Step by step, for a class: gan.py's own step methods, called one at a time.

    def discriminator_step(self, batch_size=256):
        """One D step by hand (GAN.train_discriminator, as Keras calls): its logs as floats.

        Not counted as an iteration: `gan.iteration` counts what train() ran."""
        data = self.points if self.points is not None else self.check_data(self.load_data())
        logs = self.train_discriminator(
            self.sample_batch(data, batch_size), self.generator_inputs(batch_size)
        )
        return {name: float(value) for name, value in logs.items()}

    def generator_step(self, batch_size=256):
        """One G step by hand through the frozen D (GAN.train_generator): its logs as floats."""
        logs = self.train_generator(self.generator_inputs(batch_size))
        return {name: float(value) for name, value in logs.items()}

    # ----------------------------------------------------------------------------------------
    # Quality: modes captured (keras_gan/metrics/modes.py).

    def measure_quality(self, samples=2500, seed=0):
        """Modes captured and the share of high-quality samples among `samples` generated points,
        against `dataset`'s modes (ring and grid only: moons and spiral have none)."""
        modes = None if self.dataset is None else datasets.toy_modes(self.dataset)
        if modes is None:
            raise ValueError(
                f"Mode metrics count the modes of a mixture of Gaussians (ring or grid); this "
                f"{type(self).__name__} has dataset={self.dataset!r}, which has none."
            )
        from keras_gan.metrics.modes import mode_quality

        return mode_quality(self.generate(samples, seed=seed), *modes)
