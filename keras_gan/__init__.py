"""keras_gan: the classic Keras combined-model GAN, correct and fast on Keras 3.

    from keras_gan import GAN, DCGAN, CGAN, LSGAN, WGAN, WGANGP, ToyGAN, PacGAN

The files, from the one to read first:

    gan.py           the GAN class: the one file to read, top to bottom (settings, networks,
                     the game on one screen, the loop)
    dcgan.py, cgan.py, lsgan.py, wgan.py, wgan_gp.py    the variants, each a small subclass of it
    toy.py, pacgan.py    ToyGAN for 2-D points; PacGAN, its discriminator judging packs of points
    game.py          the picture of the game in 2-D: D's verdict, points, G's pushes, G's map
    settings.py      how a setting is declared once (Setting) and what follows from it
    checks.py        what a setting or an argument must be: clear errors, before any work
    compiled.py      how an iteration runs: four Keras calls, or the steps traced into one
                     compiled call (TensorFlow, JAX and PyTorch glue)
    penalties.py     gradient penalties (R1, WGAN-GP): the term D's loss gains on every path
    devices.py       several devices: MirroredStrategy (TF) or DataParallel (JAX) from a count
    runs.py          around the loop: logs, checkpoints, callbacks, the end of a run
    folders.py       which folder a run writes to; numbered folders, resume, overwrite
    callbacks.py     progress bar, grids, loss plot, quality log, TensorBoard; which Keras
                     callbacks fit a GAN run
    averaging.py     the averaged generator (ema_momentum)
    notebook.py      live samples and loss curves in a notebook
    checkpoints.py   save, resume and rebuild a run; export the generator
    layers.py        layers a GAN needs: FreezeSafeBatchNormalization, the WGAN critic's clip
    datasets.py      MNIST (download or local IDX / npz), CIFAR-10, image folders, as uint8
    plots.py         grids, GIF, loss plot, real vs fake, interpolation
    metrics/         Frechet distance, MNIST score, coverage, conditional accuracy, classifier;
                     modes.py: modes captured and high-quality share of 2-D points
    failures.py      the classic mistakes on demand (the 2018 freeze, saturating loss, ...)
    diagnosis.py     the callback every run gets: names a failure in one line when it sees one
    gradients.py     G's gradient norm through the frozen D (backend glue, for the diagnosis)
    doctor.py        keras-gan doctor: does this Keras behave as the classic pattern needs?
    cli.py           the keras-gan command
    files.py, interrupts.py   atomic files; Ctrl-C and SIGTERM
    locks.py, quiet.py   one process per run folder; TensorFlow's start-up lines left out
"""

import importlib

__all__ = ["GAN", "DCGAN", "CGAN", "LSGAN", "WGAN", "WGANGP", "ToyGAN", "PacGAN", "load_gan"]

_HOMES = {
    "GAN": "gan",
    "DCGAN": "dcgan",
    "CGAN": "cgan",
    "LSGAN": "lsgan",
    "WGAN": "wgan",
    "WGANGP": "wgan_gp",
    "ToyGAN": "toy",
    "PacGAN": "pacgan",
    "load_gan": "checkpoints",
}


def __getattr__(name):
    # Importing Keras takes seconds. Loading it only when a model is asked for keeps
    # `keras-gan --help` and the command line's error messages instant and free of its logs.
    if name in _HOMES:
        from keras_gan import quiet

        quiet.load_keras()  # without TensorFlow's start-up lines (quiet.py)
        return getattr(importlib.import_module(f"keras_gan.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'keras_gan' has no attribute {name!r}")
