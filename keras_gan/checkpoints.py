"""Checkpoints: everything needed to continue a run exactly where it stopped, in one .npz file,
and the generator on its own as a `.keras` file that loads without keras_gan.

A checkpoint holds every model's variables (the generator, the discriminator and any other model
a subclass keeps), both optimizers' state (Adam's moments), the iteration count, the fixed noise
of the sample grids, the batch sampler's random state, and the class and arguments the GAN was
built with, so that `load_gan(path)` (and the `keras-gan` command) can rebuild it. Files are
written atomically, so a crash during a save leaves the previous ones intact.
"""

import contextlib
import importlib
import json
import os

import keras
import numpy as np
from keras import ops

from keras_gan import compiled, settings
from keras_gan.files import atomic_path

CHECKPOINT_NAME = "checkpoint.npz"
GENERATOR_NAME = "generator.keras"
FORMAT = 2  # the layout of the arrays below; an older file gets a clear error
RENAMED_SETTINGS = {"one_call": "compile_iteration"}  # old name -> new, in older checkpoints


def checkpoint_path(output_dir):
    return os.path.join(output_dir, CHECKPOINT_NAME)


def generator_path(output_dir):
    return os.path.join(output_dir, GENERATOR_NAME)


def class_path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _models(gan):
    """The GAN's models whose variables a checkpoint keeps, by attribute name (combined only
    shares G's and D's variables, so it adds none)."""
    named, seen = {}, set()
    for name, model in vars(gan).items():
        if isinstance(model, keras.Model) and not {id(v) for v in model.variables} <= seen:
            named[name] = model
            seen.update(id(v) for v in model.variables)
    return named


def _optimizers(gan):
    return {
        "discriminator_optimizer": gan.discriminator.optimizer,
        "generator_optimizer": gan.combined.optimizer,
    }


def _state_variables(gan):
    """Every variable a resumed run needs, by part, in a fixed order. The learning rates are left
    out: the GAN being resumed keeps its own (a resumed run takes the settings it is given)."""
    parts = {name: model.variables for name, model in _models(gan).items()}
    for name, optimizer in _optimizers(gan).items():
        parts[name] = [v for v in optimizer.variables if v.name != "learning_rate"]
    return parts


def build_optimizers(gan):
    """Create the optimizers' moment slots, which Keras otherwise makes at the first step."""
    # A GAN built under a tf.distribute strategy makes its slots in that strategy's scope.
    strategy = compiled.distribution_strategy(gan)
    with strategy.scope() if strategy else contextlib.nullcontext():
        for model, frozen in ((gan.discriminator, False), (gan.combined, True)):
            gan.discriminator.trainable = not frozen
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
    gan.discriminator.trainable = False


def describe(gan):
    """What rebuilds `gan`: its class, the arguments it was built with, every setting's value."""
    arguments = gan.get_config()
    return {
        "format": FORMAT,
        "class": class_path(type(gan)),
        "arguments": settings.to_json_value(arguments),  # None: not all storable, see load_gan
        "settings": settings.effective_settings(type(gan), arguments),
    }


def weights_are_finite(gan):
    return all(
        np.all(np.isfinite(ops.convert_to_numpy(v)))
        for v in gan.generator.variables + gan.discriminator.variables
        if "float" in str(v.dtype)
    )


def save_checkpoint(gan, path):
    """Write `gan`'s full training state to `path`, and its generator beside it (atomically)."""
    build_optimizers(gan)
    arrays = {
        f"{part}/{index}": ops.convert_to_numpy(variable)
        for part, variables in _state_variables(gan).items()
        for index, variable in enumerate(variables)
    }
    arrays["iteration"] = np.array(gan.iteration)
    arrays["fixed_noise"] = gan.fixed_noise
    arrays["description"] = np.array(json.dumps(describe(gan)))
    arrays["rng_state"] = np.array(json.dumps(gan.rng.bit_generator.state))
    arrays["seed"] = np.array(json.dumps(gan.seed))
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            np.savez(stream, **arrays)
    export_generator(gan, generator_path(os.path.dirname(path) or "."))
    return path


def export_generator(gan, path):
    """Save the generator alone as a `.keras` file: `keras.saving.load_model(path)` loads it
    anywhere, without keras_gan, and it makes the images `gan.generate` makes."""
    if not str(path).endswith(".keras"):
        raise ValueError(
            "The generator is saved in Keras' format: the file name must end in .keras, "
            f"got {path!r}."
        )
    with atomic_path(path, suffix=".keras") as temporary:
        gan.sampling_generator().save(temporary)
    return path


def read_description(path):
    """What wrote the checkpoint at `path`: class, arguments, settings, format and iteration."""
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No checkpoint at {path!r}: train without resume first, "
            "or give the output folder of the run you want to continue."
        )
    try:
        with np.load(path) as archive:
            description = json.loads(str(archive["description"]))
            description["iteration"] = int(archive["iteration"])
    except Exception as error:
        raise ValueError(f"{path} is not a readable keras_gan checkpoint ({error}).") from error
    if not isinstance(description, dict):
        raise ValueError(f"{path} is damaged: its description is not a record of settings.")
    if description.get("format") != FORMAT:
        raise ValueError(
            f"{path} was written by an older keras_gan "
            f"(checkpoint format {description.get('format', 1)}, this one reads {FORMAT}): "
            "train it afresh, or load it with the keras_gan that wrote it."
        )
    missing = [key for key in ("class", "arguments", "settings") if key not in description]
    if missing or not isinstance(description["settings"], dict):
        raise ValueError(f"{path} is damaged: its description lacks {', '.join(missing)}.")
    for record in ("arguments", "settings"):
        if isinstance(description[record], dict):
            description[record] = {
                RENAMED_SETTINGS.get(name, name): value
                for name, value in description[record].items()
            }
    return description


def differing_settings(description, gan):
    """{name: (checkpoint's value, this GAN's value)} for each setting that differs."""
    ours = describe(gan)["settings"]
    theirs = description["settings"]
    return {
        name: (theirs.get(name), ours.get(name))
        for name in sorted(set(ours) | set(theirs))
        if theirs.get(name) != ours.get(name) and name != "seed"
    }


def check_resumable(gan, path):
    """The checkpoint's description, if `gan` can continue it; else a ValueError saying why."""
    description = read_description(path)
    if description["class"] != class_path(type(gan)):
        raise ValueError(
            f"{path} was written by a {description['class']}, "
            f"but this is a {class_path(type(gan))}: "
            "build the same kind of model to resume it (keras_gan.load_gan(path) rebuilds it)."
        )
    differences = differing_settings(description, gan)
    if "from_logits" in differences:
        raise ValueError(_difference_message(path, differences, "what D's output means differs"))
    return description


def _difference_message(path, differences, why):
    listed = ", ".join(
        f"{name} {theirs!r} there, {ours!r} here" for name, (theirs, ours) in differences.items()
    )
    return (
        f"Cannot resume {path} with this model ({why}): {listed}. "
        "Build the model with the checkpoint's settings (keras_gan.load_gan(path) does)."
    )


def load_checkpoint(gan, path):
    """Restore `gan`'s training state from `path`; a clear error if it belongs to another model.

    The learning rates stay this GAN's own; every other variable comes from the checkpoint.
    """
    description = check_resumable(gan, path)
    arrays = read_arrays(path)
    build_optimizers(gan)
    parts = _state_variables(gan)
    saved_parts = {name.split("/")[0] for name in arrays if "/" in name}
    if saved_parts != set(parts):
        raise ValueError(
            _difference_message(
                path,
                differing_settings(description, gan),
                f"it holds the models {', '.join(sorted(saved_parts))}; "
                f"this GAN has {', '.join(sorted(parts))}",
            )
        )
    # Check every part before assigning any, so a mismatch leaves the model as it was.
    restores = []
    for part, variables in parts.items():
        count = sum(k.startswith(part + "/") for k in arrays)
        missing = [f"{part}/{i}" for i in range(count) if f"{part}/{i}" not in arrays]
        if missing:  # a gap in the numbering: arrays were taken out of the file
            raise ValueError(f"{path} is damaged: it lacks the arrays {', '.join(missing)}.")
        saved = [arrays[f"{part}/{i}"] for i in range(count)]
        if [s.shape for s in saved] != [tuple(v.shape) for v in variables]:
            differences = differing_settings(description, gan)
            if differences:
                raise ValueError(
                    _difference_message(path, differences, f"its {part} has other shapes")
                )
            wrong = [
                f"{part}/{i} has shape {s.shape}, the model's variable {tuple(v.shape)}"
                for i, (s, v) in enumerate(zip(saved, variables))
                if s.shape != tuple(v.shape)
            ]
            raise ValueError(
                f"{path} holds {count} arrays for the {part}, this model has {len(variables)} "
                "variables: the architecture differs from the checkpoint's."
                if count != len(variables)
                else f"{path} does not fit this model: its array {wrong[0]}. The file is damaged"
                " or was written by another architecture."
            )
        not_numbers = [f"{part}/{i}" for i, a in enumerate(saved) if a.dtype.kind not in "biuf"]
        if not_numbers:
            raise ValueError(f"{path} is damaged: {', '.join(not_numbers)} hold no numbers.")
        restores.extend(zip(variables, saved))
    run_state = read_run_state(path, arrays, gan)
    for variable, value in restores:
        variable.assign(value)
    gan.iteration, gan.fixed_noise, rng_state, gan.seed = run_state
    gan.rng.bit_generator.state = rng_state
    gan._statistics_estimated_at = None
    return gan


def read_arrays(path):
    """Every array of the checkpoint at `path`, by name; a damaged file: a ValueError naming it."""
    try:
        with np.load(path) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as error:  # a truncated zip, a bad CRC, an array that does not decode
        raise ValueError(f"{path} is damaged and cannot be read ({error}).") from error


def read_run_state(path, arrays, gan):
    """(iteration, fixed noise, random state, seed) from a checkpoint's arrays, each checked."""
    missing = [n for n in ("iteration", "fixed_noise", "rng_state", "seed") if n not in arrays]
    if missing:
        raise ValueError(f"{path} is damaged: it lacks the arrays {', '.join(missing)}.")
    noise = arrays["fixed_noise"]
    if noise.shape != np.shape(gan.fixed_noise):
        raise ValueError(
            f"{path} is damaged: its fixed_noise has shape {noise.shape}, this model's grids "
            f"take {np.shape(gan.fixed_noise)}."
        )
    try:
        iteration = int(arrays["iteration"])
        rng_state, seed = json.loads(str(arrays["rng_state"])), json.loads(str(arrays["seed"]))
        type(gan.rng.bit_generator)().state = rng_state  # tried on a spare one first
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(
            f"{path} is damaged: its iteration, rng_state or seed does not read ({error})."
        ) from error
    if iteration < 0:
        raise ValueError(f"{path} is damaged: its iteration is {iteration}.")
    return iteration, noise, rng_state, seed


def checkpoint_class(description, path):
    """The class that wrote a checkpoint, imported; a clear error where it cannot be."""
    module_name, _, class_name = description["class"].rpartition(".")
    try:
        if module_name == "__main__" or "<locals>" in class_name:
            raise ImportError(f"{class_name} is defined in {module_name}")
        cls = importlib.import_module(module_name)
        for part in class_name.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"{path} was written by {description['class']}, which cannot be imported here "
            f"({error}). "
            f"Load it in Python where {class_name} is defined: gan = {class_name}(...); "
            f"keras_gan.checkpoints.load_checkpoint(gan, {path!r})."
        ) from None
    return cls


def load_gan(path, **overrides):
    """Rebuild the GAN that wrote a checkpoint (a run folder or its checkpoint.npz) and load it.

    `overrides` replace settings it was built with (e.g. learning_rate=1e-4 to continue slower).
    A class the checkpoint names must be importable (a GAN defined in a notebook or in
    `__main__` is not): then build it yourself and call load_checkpoint(gan, path).
    """
    path = checkpoint_path(path) if os.path.isdir(path) else path
    description = read_description(path)
    module_name, _, class_name = description["class"].rpartition(".")
    if description["arguments"] is None:
        raise ValueError(
            f"{path} was written by a {class_name} built with arguments that cannot be stored: "
            "build it yourself in Python and call "
            f"keras_gan.checkpoints.load_checkpoint(gan, {path!r})."
        )
    cls = checkpoint_class(description, path)
    return load_checkpoint(cls(**{**description["arguments"], **overrides}), path)
