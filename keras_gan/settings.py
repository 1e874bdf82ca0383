"""A GAN's settings: the arguments it was built with (what a checkpoint rebuilds it from), and its seed."""

import contextlib
import inspect
import json
import random

import numpy as np


def call_arguments(cls, args, kwargs):
    """The arguments of `cls(*args, **kwargs)` by name, as its __init__ would bind them.

    Keyword arguments collected by `**settings` in a subclass are listed by their own names, so
    `cls(**call_arguments(...))` makes the same call. Arguments that do not bind are left to
    __init__ to reject.
    """
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return dict(kwargs)
    arguments = {}
    parameters = inspect.signature(cls.__init__).parameters
    for name, value in list(bound.arguments.items())[1:]:  # [0] is self
        kind = parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update({key: plain(item) for key, item in value.items()})
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                arguments[f"*{name}"] = [plain(item) for item in value]
        else:
            arguments[name] = plain(value)
    return arguments


def plain(value):
    """NumPy numbers as Python's (np.int64(7) -> 7), inside tuples and lists too: a checkpoint
    stores settings as JSON, and Python's `random.seed` takes no NumPy integer."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(item) for item in value)
    return value


def effective_settings(cls, arguments):
    """Every setting of `cls` with the value it takes: the given `arguments` over the defaults.

    Defaults come from each __init__ along the class hierarchy, the subclass's first (WGAN's
    learning_rate=5e-5 over GAN's 2e-4).
    """
    settings = {}
    for klass in reversed(cls.__mro__):
        init = vars(klass).get("__init__")
        if init is None:
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                settings[name] = parameter.default
    settings.update(arguments)
    return to_json_value(settings)


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
