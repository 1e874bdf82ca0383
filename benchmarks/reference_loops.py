"""The loops `train_speed.py` times keras_gan against: the 2018 code, a fused step, PyTorch.

Each is a small class with `train(n)`, which runs n training iterations of the MNIST GAN and
waits for the last one to finish, so that a caller can time it. They take images as float32 in
[-1, 1] (the 2018 code scaled the whole dataset once, before its loop).

- `SeedLoop`: Keras-GAN's loop (2018) as written, on keras_gan's models.
- `FusedTFMLP`, `FusedKerasTF`: one XLA-compiled TensorFlow step with two gradient tapes, the
  TensorFlow DCGAN tutorial's way: the best-known fast reference.
- `TorchMLP`: the MLP GAN in plain PyTorch.
"""

import keras
import numpy as np


class SeedLoop:
    """Keras-GAN's gan.py / dcgan.py loop (2018), line for line, the freeze toggled so D trains.

    From github.com/eriklindernoren/Keras-GAN: `generator.predict` each step, D on the real
    batch, D on the fake one, then the combined model. Keras 3 reads `trainable` when a train
    function is built, so without the two marked lines D would never learn (see gan.py).
    """

    def __init__(self, gan, images, batch_size):
        self.generator, self.discriminator, self.combined = (
            gan.generator,
            gan.discriminator,
            gan.combined,
        )
        self.images, self.batch_size, self.latent_dim = images, batch_size, gan.latent_dim
        self.valid = np.ones((batch_size, 1))
        self.fake = np.zeros((batch_size, 1))

    def train(self, n):
        for _ in range(n):
            idx = np.random.randint(0, self.images.shape[0], self.batch_size)
            imgs = self.images[idx]
            noise = np.random.normal(0, 1, (self.batch_size, self.latent_dim))
            gen_imgs = self.generator.predict(noise, verbose=0)
            self.discriminator.trainable = True  # the repair (1/2)
            d_loss_real = self.discriminator.train_on_batch(imgs, self.valid)
            d_loss_fake = self.discriminator.train_on_batch(gen_imgs, self.fake)
            d_loss = 0.5 * np.add(d_loss_real, d_loss_fake)
            noise = np.random.normal(0, 1, (self.batch_size, self.latent_dim))
            self.discriminator.trainable = False  # the repair (2/2)
            g_loss = self.combined.train_on_batch(noise, self.valid)
            # The seed printed a progress line here every iteration; left out, which favours it.
            del d_loss, g_loss


class FusedTFMLP:
    """The MLP GAN in plain TensorFlow, one `tf.function(jit_compile=True)` per iteration.

    The TensorFlow DCGAN tutorial's step (tensorflow.org/tutorials/generative/dcgan): G once, D on
    the real and on the fake batch, two tapes, both optimizers. Same layers as keras_gan's GAN
    (BatchNorm momentum 0.8, Adam(2e-4, 0.5)), but written without Keras, so it runs beside any
    Keras backend.
    """

    def __init__(self, images, batch_size, latent_dim=100, seed=0):
        import tensorflow as tf

        self.tf, self.batch_size, self.latent_dim = tf, batch_size, latent_dim
        self.images = images.reshape(len(images), -1)
        self.rng = np.random.default_rng(seed)
        tf.random.set_seed(seed)

        def dense(n_in, n_out):
            limit = np.sqrt(6.0 / (n_in + n_out))
            w = tf.Variable(self.rng.uniform(-limit, limit, (n_in, n_out)).astype("float32"))
            return [w, tf.Variable(tf.zeros([n_out]))]

        pixels = self.images.shape[1]
        self.g_dense = [
            dense(a, b) for a, b in ((latent_dim, 256), (256, 512), (512, 1024), (1024, pixels))
        ]
        self.g_bn = [
            [tf.Variable(tf.ones([u])), tf.Variable(tf.zeros([u]))] for u in (256, 512, 1024)
        ]
        self.g_moving = [
            [
                tf.Variable(tf.zeros([u]), trainable=False),
                tf.Variable(tf.ones([u]), trainable=False),
            ]
            for u in (256, 512, 1024)
        ]
        self.d_dense = [dense(a, b) for a, b in ((pixels, 512), (512, 256), (256, 1))]
        self.g_vars = [v for layer in self.g_dense + self.g_bn for v in layer]
        self.d_vars = [v for layer in self.d_dense for v in layer]
        self.g_adam = self._adam_slots(self.g_vars)
        self.d_adam = self._adam_slots(self.d_vars)
        self.step = tf.function(self._step, jit_compile=True)

    def real_batch(self):
        return self.images[self.rng.integers(0, len(self.images), self.batch_size)]

    def train(self, n):
        for _ in range(n):
            d_loss, g_loss = self.step(self.real_batch())
        float(d_loss)  # wait for the last step

    def _adam_slots(self, variables):
        tf = self.tf
        return (
            [tf.Variable(tf.zeros_like(v)) for v in variables],
            [tf.Variable(tf.zeros_like(v)) for v in variables],
            tf.Variable(0.0),
        )

    def _adam(self, slots, variables, grads, lr=2e-4, b1=0.5, b2=0.999, eps=1e-7):
        tf = self.tf
        ms, vs, t = slots
        t.assign_add(1.0)
        alpha = lr * tf.sqrt(1 - b2**t) / (1 - b1**t)
        for var, g, m, v in zip(variables, grads, ms, vs):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * g * g)
            var.assign_sub(alpha * m / (tf.sqrt(v) + eps))

    def _generator(self, z):
        tf = self.tf
        h = z
        for (w, b), (gamma, beta), (mean, var) in zip(self.g_dense, self.g_bn, self.g_moving):
            h = tf.nn.leaky_relu(h @ w + b, 0.2)
            m, v = tf.nn.moments(h, axes=[0])
            mean.assign(0.8 * mean + 0.2 * m)
            var.assign(0.8 * var + 0.2 * v)
            h = tf.nn.batch_normalization(h, m, v, beta, gamma, 1e-3)
        w, b = self.g_dense[-1]
        return tf.tanh(h @ w + b)

    def _discriminator(self, x):
        tf = self.tf
        h = x
        for w, b in self.d_dense[:-1]:
            h = tf.nn.leaky_relu(h @ w + b, 0.2)
        w, b = self.d_dense[-1]
        return h @ w + b  # a logit; the loss applies the sigmoid

    def _step(self, real):
        tf = self.tf
        noise = tf.random.normal([self.batch_size, self.latent_dim])
        bce = tf.nn.sigmoid_cross_entropy_with_logits
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self._generator(noise)
            real_logit = self._discriminator(real)
            fake_logit = self._discriminator(fake)
            d_loss = 0.5 * (
                tf.reduce_mean(bce(tf.ones_like(real_logit), real_logit))
                + tf.reduce_mean(bce(tf.zeros_like(fake_logit), fake_logit))
            )
            g_loss = tf.reduce_mean(bce(tf.ones_like(fake_logit), fake_logit))
        self._adam(self.g_adam, self.g_vars, g_tape.gradient(g_loss, self.g_vars))
        self._adam(self.d_adam, self.d_vars, d_tape.gradient(d_loss, self.d_vars))
        return d_loss, g_loss


class FusedKerasTF:
    """The TensorFlow DCGAN tutorial's fused step on keras_gan's own models (TensorFlow only).

    As `FusedTFMLP`, but G and D are the GAN's Keras models with fresh Adam(2e-4, 0.5) optimizers:
    the reference for the DCGAN, whose convolutions are not worth writing out by hand.
    """

    def __init__(self, gan, images, batch_size):
        import tensorflow as tf

        generator, discriminator = gan.generator, gan.discriminator
        self.images, self.batch_size, self.rng = images, batch_size, np.random.default_rng(0)
        generator.trainable = discriminator.trainable = True
        g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        bce = keras.losses.BinaryCrossentropy(from_logits=gan.from_logits)

        @tf.function(jit_compile=True)
        def step(real):
            noise = tf.random.normal([batch_size, gan.latent_dim])
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = generator(noise, training=True)
                real_out = discriminator(real, training=True)
                fake_out = discriminator(fake, training=True)
                d_loss = 0.5 * (
                    bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
                )
                g_loss = bce(tf.ones_like(fake_out), fake_out)
            g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
            d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
            g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
            d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))
            return d_loss, g_loss

        self.step = step

    def real_batch(self):
        return self.images[self.rng.integers(0, len(self.images), self.batch_size)]

    def train(self, n):
        for _ in range(n):
            d_loss, _ = self.step(self.real_batch())
        float(d_loss)  # wait for the last step


class TorchMLP:
    """The MLP GAN in plain PyTorch (eager), the PyTorch way: D on real and detached fake, then G.

    The structure of PyTorch's own DCGAN example (github.com/pytorch/examples, dcgan/main.py),
    with keras_gan's MLP layers and Adam(2e-4, 0.5): one fake batch serves both steps.
    """

    def __init__(self, images, batch_size, latent_dim=100):
        import torch
        from torch import nn

        torch.manual_seed(0)
        self.torch, self.batch_size, self.latent_dim = torch, batch_size, latent_dim
        self.images = torch.from_numpy(images.reshape(len(images), -1).astype("float32"))
        pixels = self.images.shape[1]
        layers = []
        for n_in, n_out in ((latent_dim, 256), (256, 512), (512, 1024)):
            # Keras' momentum 0.8 keeps 80% of the old statistics: PyTorch's momentum 0.2.
            layers += [
                nn.Linear(n_in, n_out),
                nn.LeakyReLU(0.2),
                nn.BatchNorm1d(n_out, eps=1e-3, momentum=0.2),
            ]
        self.G = nn.Sequential(*layers, nn.Linear(1024, pixels), nn.Tanh())
        self.D = nn.Sequential(
            nn.Linear(pixels, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()
        self.ones = torch.ones(batch_size, 1)
        self.zeros = torch.zeros(batch_size, 1)

    def train(self, n):
        torch = self.torch
        for _ in range(n):
            real = self.images[torch.randint(0, len(self.images), (self.batch_size,))]
            fake = self.G(torch.randn(self.batch_size, self.latent_dim))
            self.d_opt.zero_grad()
            d_loss = 0.5 * (
                self.bce(self.D(real), self.ones) + self.bce(self.D(fake.detach()), self.zeros)
            )
            d_loss.backward()
            self.d_opt.step()
            self.g_opt.zero_grad()
            g_loss = self.bce(self.D(fake), self.ones)
            g_loss.backward()
            self.g_opt.step()
            d_loss.item(), g_loss.item()  # the losses a loop would log
