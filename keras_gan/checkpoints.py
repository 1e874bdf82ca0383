"""Checkpoints: everything needed to continue a run exactly where it stopped, in one .npz file.

A checkpoint holds both networks' variables, both optimizers' state (Adam's moments), the
iteration count, the fixed noise of the sample grids, the batch sampler's random state and the
seed the run started from. It is
written atomically, so a crash during a save leaves the previous checkpoint intact.
"""

import json
import os

import numpy as np
from keras import ops

from keras_gan.files import atomic_path

CHECKPOINT_NAME = "checkpoint.npz"


def checkpoint_path(output_dir):
    return os.path.join(output_dir, CHECKPOINT_NAME)


def _state_variables(gan):
    """Every variable that a resumed run needs, by part, in a fixed order."""
    return {
        "generator": gan.generator.variables,
        "discriminator": gan.discriminator.variables,
        "generator_optimizer": gan.combined.optimizer.variables,
        "discriminator_optimizer": gan.discriminator.optimizer.variables,
    }


def _build_optimizers(gan):
    """Create the optimizers' moment slots, which Keras otherwise makes at the first step."""
    for model, frozen in ((gan.discriminator, False), (gan.combined, True)):
        gan.discriminator.trainable = not frozen
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    gan.discriminator.trainable = False


def _description(gan):
    return {
        "model": type(gan).__name__,
        "img_shape": list(gan.img_shape),
        "latent_dim": gan.latent_dim,
        "from_logits": gan.from_logits,
    }


def save_checkpoint(gan, path):
    """Write `gan`'s full training state to `path` (atomically)."""
    _build_optimizers(gan)
    arrays = {
        f"{part}/{index}": ops.convert_to_numpy(variable)
        for part, variables in _state_variables(gan).items()
        for index, variable in enumerate(variables)
    }
    arrays["iteration"] = np.array(gan.iteration)
    arrays["fixed_noise"] = gan.fixed_noise
    arrays["description"] = np.array(json.dumps(_description(gan)))
    arrays["rng_state"] = np.array(json.dumps(gan.rng.bit_generator.state))
    arrays["seed"] = np.array(json.dumps(gan.seed))
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            np.savez(stream, **arrays)
    return path


def read_description(path):
    """What model wrote the checkpoint at `path`: its class name, img_shape and latent_dim."""
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No checkpoint at {path!r}: train without resume first, "
            "or give the output folder of the run you want to continue."
        )
    try:
        with np.load(path) as archive:
            return json.loads(str(archive["description"]))
    except Exception as error:
        raise ValueError(f"{path} is not a readable keras_gan checkpoint ({error}).") from error


def load_checkpoint(gan, path):
    """Restore `gan`'s training state from `path`; a clear error if it belongs to another model."""
    description = read_description(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}

    if description != _description(gan):
        raise ValueError(
            f"{path} was written by a {description['model']} with img_shape "
            f"{tuple(description['img_shape'])}, latent_dim {description['latent_dim']} and "
            f"from_logits {description.get('from_logits')}, but this is a {type(gan).__name__} "
            f"with img_shape {gan.img_shape}, latent_dim {gan.latent_dim} and from_logits "
            f"{gan.from_logits}: build the same model to resume it."
        )
    _build_optimizers(gan)
    # Check every part before assigning any, so a mismatch leaves the model as it was.
    restores = []
    for part, variables in _state_variables(gan).items():
        saved = [arrays[f"{part}/{i}"] for i in range(sum(k.startswith(part + "/") for k in arrays))]
        shapes = [tuple(v.shape) for v in variables]
        if [s.shape for s in saved] != shapes:
            raise ValueError(
                f"{path} holds a {part} with variable shapes {[s.shape for s in saved]}, "
                f"but this model's are {shapes}: the architecture differs from the checkpoint's."
            )
        restores.extend(zip(variables, saved))
    for variable, value in restores:
        variable.assign(value)
    gan.iteration = int(arrays["iteration"])
    gan.fixed_noise = arrays["fixed_noise"]
    gan.rng.bit_generator.state = json.loads(str(arrays["rng_state"]))
    gan.seed = json.loads(str(arrays["seed"]))
    return gan
