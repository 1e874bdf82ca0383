"""The plain PyTorch DCGAN recipe, sized for 28x28 MNIST: the peer keras_gan's DCGAN is measured
against in benchmarks/quality.py.

    from torch_dcgan import TorchDCGAN
    model = TorchDCGAN(seed=0)
    model.train(5000, images, batch_size=32)   # images: (N, 28, 28, 1), uint8 or floats in [-1, 1]
    samples = model.generate(5000, seed=0)     # numpy (5000, 28, 28, 1) in [-1, 1], like keras_gan

It follows pytorch/examples' dcgan/main.py, the recipe a PyTorch user would copy:
- G: the noise seen as a 1x1 map, a transposed convolution to 7x7 (main.py's first layer makes
  4x4 the same way), then ConvTranspose 4x4 stride 2 to 14 and 28; BatchNorm and ReLU after each
  hidden layer, tanh out. D mirrors it: Conv 4x4 stride 2 to 14 and 7, LeakyReLU(0.2), BatchNorm
  on all but the first layer, then a 7x7 convolution to one sigmoid output. No biases.
  With `filters=64` the widths are those of keras_gan's DCGAN(filters=64) on MNIST: G 128 -> 64,
  D 64 -> 128.
- Weights N(0, 0.02), BatchNorm gamma N(1, 0.02) and beta 0; Adam(2e-4, betas (0.5, 0.999)) for
  each network; binary cross-entropy.
- One iteration: D's gradients from a real batch (target 1) and a fake batch (target 0) are
  summed into one optimizer step; then G takes a step on that same fake batch, through D, with
  target 1. The data is read in shuffled epochs, as main.py's DataLoader(shuffle=True) does.

Samples are drawn in train mode, with each batch's own BatchNorm statistics: main.py never calls
netG.eval(), so that is what its users see (its sample grids come from netG(fixed_noise) in
train mode). `generate` draws 1000 at a time, whose statistics are close to the population's.
`generate(..., train_mode=False)` uses the running statistics instead.
"""

import os

# OpenMP's threads busy-wait for work by default. On a machine shared with other jobs that spin
# costs more than it saves (2 cores under load: 0.84 s per iteration instead of 0.18), so they
# wait passively unless OMP_WAIT_POLICY says otherwise. It must be set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class Generator(nn.Module):
    """z -> 7x7 -> 14x14 -> 28x28: transposed convolutions, BatchNorm, ReLU; tanh image out."""

    def __init__(self, latent_dim, filters, channels):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, filters * 2, 7, 1, 0, bias=False),
            nn.BatchNorm2d(filters * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(filters * 2, filters, 4, 2, 1, bias=False),
            nn.BatchNorm2d(filters),
            nn.ReLU(True),
            nn.ConvTranspose2d(filters, channels, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, noise):
        return self.main(noise[:, :, None, None])


class Discriminator(nn.Module):
    """28x28 -> 14x14 -> 7x7 -> one probability: convolutions, BatchNorm, LeakyReLU(0.2)."""

    def __init__(self, filters, channels):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(channels, filters, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(filters, filters * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(filters * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(filters * 2, 1, 7, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, images):
        return self.main(images).view(-1)


def initialize_weights(module, generator):
    """main.py's weights_init: convolutions N(0, 0.02); BatchNorm gamma N(1, 0.02), beta 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02, generator=generator)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02, generator=generator)
        nn.init.zeros_(module.bias)


class TorchDCGAN:
    """pytorch/examples' DCGAN for 28x28 images, with keras_gan's train/generate vocabulary."""

    def __init__(
        self, latent_dim=100, filters=64, channels=1, learning_rate=2e-4, beta_1=0.5, seed=None
    ):
        self.latent_dim = latent_dim
        self.img_shape = (28, 28, channels)  # what keras_gan.metrics checks before it measures
        self.rng = np.random.default_rng(seed)  # the batches and the noise, as keras_gan's GAN.rng
        self.iteration = 0
        weights_rng = torch.Generator()
        if seed is not None:
            weights_rng.manual_seed(seed)
        self.generator = Generator(latent_dim, filters, channels)
        self.discriminator = Discriminator(filters, channels)
        for network in (self.generator, self.discriminator):
            network.apply(lambda module: initialize_weights(module, weights_rng))
        self.generator_optimizer = torch.optim.Adam(
            self.generator.parameters(), learning_rate, betas=(beta_1, 0.999)
        )
        self.discriminator_optimizer = torch.optim.Adam(
            self.discriminator.parameters(), learning_rate, betas=(beta_1, 0.999)
        )
        self.loss = nn.BCELoss()

    def train_iteration(self, real_images):
        """One step of D on a real and a fake batch together, then one of G on the same fakes."""
        batch_size = len(real_images)
        real_target, fake_target = torch.ones(batch_size), torch.zeros(batch_size)
        fake_images = self.generator(self.noise(batch_size))

        self.discriminator.zero_grad()
        real_output = self.discriminator(real_images)
        # detach(): D's step must not send gradients into G.
        fake_output = self.discriminator(fake_images.detach())
        d_loss = self.loss(real_output, real_target) + self.loss(fake_output, fake_target)
        d_loss.backward()
        self.discriminator_optimizer.step()

        self.generator.zero_grad()
        g_loss = self.loss(self.discriminator(fake_images), real_target)  # G wants "real"
        g_loss.backward()
        self.generator_optimizer.step()
        return {
            "d_loss": d_loss.item(),
            "g_loss": g_loss.item(),
            "d_real": real_output.mean().item(),
            "d_fake": fake_output.mean().item(),
        }

    def train(self, iterations, images, batch_size=32, callbacks=()):
        """Train up to iteration `iterations`. `callbacks` get the calls a keras_gan run makes:
        on_train_begin(), on_train_batch_begin(iteration), on_train_batch_end(iteration, logs),
        on_train_end(logs); iterations count from 1. Each call starts a new shuffled epoch."""
        if len(images) < batch_size:
            raise ValueError(f"{len(images)} images cannot fill a batch of {batch_size}.")
        for callback in callbacks:
            callback.on_train_begin()
        logs = {}
        batches = self.epochs_of_batches(images, batch_size)
        while self.iteration < iterations:
            for callback in callbacks:
                callback.on_train_batch_begin(self.iteration + 1)
            logs = self.train_iteration(next(batches))
            self.iteration += 1
            for callback in callbacks:
                callback.on_train_batch_end(self.iteration, logs)
        for callback in callbacks:
            callback.on_train_end(logs)
        return logs

    def epochs_of_batches(self, images, batch_size):
        """Batches of real images (N, C, H, W) in [-1, 1], an epoch at a time, shuffled."""
        while True:
            order = self.rng.permutation(len(images))
            for start in range(0, len(order) - batch_size + 1, batch_size):
                yield to_tensor(images[order[start : start + batch_size]])

    def noise(self, n):
        return torch.from_numpy(self.rng.normal(size=(n, self.latent_dim)).astype("float32"))

    @torch.no_grad()
    def generate(self, n, noise=None, seed=None, batch_size=1000, train_mode=True):
        """n samples as numpy (n, H, W, C) in [-1, 1], from `noise` or drawn with `seed`."""
        if noise is None:
            noise = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        # In train mode BatchNorm also updates its running statistics: they are put back, so
        # that drawing samples leaves the model as it was.
        running_statistics = {
            name: buffer.clone() for name, buffer in self.generator.named_buffers()
        }
        self.generator.train(train_mode)
        try:
            batches = [
                self.generator(torch.from_numpy(noise[start : start + batch_size]))
                for start in range(0, n, batch_size)
            ]
        finally:
            self.generator.train(True)
            self.generator.load_state_dict(running_statistics, strict=False)
        return torch.cat(batches).permute(0, 2, 3, 1).numpy()


def to_tensor(images):
    """Images (N, H, W, C), uint8 or floats in [-1, 1] -> float32 tensor (N, C, H, W) in [-1, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype("float32") / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype="float32"))
