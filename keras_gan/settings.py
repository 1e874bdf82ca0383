"""A GAN's settings, each declared once: its default, what it must be, and what it does.

    class GAN:
        latent_dim = Setting(100, checks.whole_number(minimum=1), "size of the noise vector z")

From that one line, `GAN(latent_dim=64)` checks the value and sets `gan.latent_dim`;
`gan.get_config()` and the checkpoint record it; `keras-gan train --latent-dim 64` is made from it
(cli.py), help text included. A variant changes a default with
`GAN.learning_rate.replace(default=5e-5)` and refuses a setting that means nothing for it with
`GAN.from_logits.refused("why")`; a user's subclass declares its own settings the same way and
they join the command line, checkpoints and resume without editing anything else.
"""

import contextlib
import copy
import difflib
import inspect
import json
import random

import numpy as np


class Setting:
    """One setting of a GAN: its default, a check that returns the value or raises, its help."""

    def __init__(self, default, check, help, command_line=True):
        self.default = default
        self.check = check  # value -> value (normalised); ValueError("must be ...") if wrong
        self.help = help
        self.command_line = command_line  # False: the command line sets it another way
        self.refusal = None  # why a variant takes no such setting (see `refused`)
        self.name = None  # set by Python when the class body assigns the declaration

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, gan, owner=None):
        # On the class, the declaration itself (GAN.latent_dim.default); on a GAN, its value,
        # which __init__ stores in the instance (and which then shadows this method).
        return self if gan is None else self.default

    def replace(self, **changes):
        """A copy with other fields, e.g. a variant's own default: `.replace(default=5e-5)`."""
        setting = copy.copy(self)
        for field, value in changes.items():
            if not hasattr(setting, field):
                raise TypeError(f"A Setting has no field {field!r}.")
            setattr(setting, field, value)
        return setting

    def refused(self, reason):
        """The same setting, refused if given: the variant keeps its default and says why."""
        return self.replace(refusal=reason, command_line=False)

    def checked(self, owner_name, value):
        """`value` as the GAN stores it, or a ValueError naming the class, setting and value."""
        if self.refusal is not None:
            raise ValueError(f"{owner_name} takes no {self.name}: {self.refusal}.")
        try:
            return plain(self.check(value))
        except ValueError as reason:
            raise ValueError(f"{owner_name}: {self.name} {reason}, got {value!r}.") from None


def declared_settings(cls):
    """{name: Setting} of a GAN class, its base classes' first, so in declaration order."""
    declared = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Setting):
                declared[name] = value  # a variant's replacement keeps the base's place
    return declared


def configure(gan, given):
    """Check every given setting against its declaration and set each setting on `gan`.

    Every value is checked before any is set, so a mistake leaves nothing half-made. Returns the
    given settings as stored (what `get_config` gives back).
    """
    cls, declared = type(gan), declared_settings(type(gan))
    unknown = [name for name in given if name not in declared]
    if unknown:
        close = difflib.get_close_matches(unknown[0], declared, n=1)
        raise TypeError(
            f"{cls.__name__} has no setting {unknown[0]!r}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f". Its settings: {', '.join(n for n, s in declared.items() if s.refusal is None)}."
        )
    stored = {name: declared[name].checked(cls.__name__, value) for name, value in given.items()}
    for name, setting in declared.items():
        setattr(gan, name, stored.get(name, setting.default))
    return stored


def signature(cls):
    """`cls(**settings)`'s signature, every setting by name with its default: what help(cls),
    an editor and a notebook's tab completion show."""
    return inspect.Signature(
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=setting.default)
            for name, setting in declared_settings(cls).items()
            if setting.refusal is None
        ]
    )


def check_subclass(cls):
    """Refuse a subclass whose __init__ takes a setting by name instead of declaring it: the
    checkpoint, get_config and the command line would not know it, so a resumed run would
    silently lose it."""
    init = vars(cls).get("__init__")
    if init is None:
        return
    named = [
        name
        for name, parameter in list(inspect.signature(init).parameters.items())[1:]
        if parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    ]
    if named:
        raise TypeError(
            f"{cls.__name__}.__init__ takes {', '.join(named)} by name. Declare each setting on "
            f"the class instead, e.g. `{named[0]} = Setting(default, check, help)` "
            f"(keras_gan.settings), and read it as self.{named[0]}; an __init__ of your own "
            "takes **settings and passes them to super().__init__."
        )


def effective_settings(cls, arguments):
    """Every setting of `cls` with the value it takes: the given `arguments` over the defaults."""
    values = {name: setting.default for name, setting in declared_settings(cls).items()}
    values.update(arguments)
    return to_json_value(values)


def plain(value):
    """NumPy numbers as Python's (np.int64(7) -> 7), inside tuples and lists too: a checkpoint
    stores settings as JSON, and Python's `random.seed` takes no NumPy integer."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(item) for item in value)
    return value


def to_json_value(value):
    """`value` with tuples as lists, as it reads back from JSON; None if it cannot be stored."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def seeded_python_random(seed):
    """Seed Python's `random` for the block, then give the caller's random state back.

    Keras 3 seeds every initializer and dropout layer it creates from Python's `random`
    (keras.random.make_default_seed), so seeding it here fixes a model's initial weights
    without reseeding NumPy's, the backend's or Python's global random state for good.
    """
    if seed is None:
        yield
        return
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)
