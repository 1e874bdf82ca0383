"""`keras-gan doctor`: does the installed Keras behave as the classic combined-model GAN needs?

    keras-gan doctor            # versions, then one line per check; exit status 1 if any fails

Keras has changed these behaviours before, and each change broke the code copied from 2018
(Keras 3 stopped reading `trainable` at compile(); Keras 3.6 broke Keras-GAN's cgan.py, keras
#20474). Each check builds two-layer models and trains them for a step or two, in seconds; a
teacher runs it on a classroom machine, and CI sees the next such change.
"""

import dataclasses
import platform
import warnings

import numpy as np


@dataclasses.dataclass
class Result:
    name: str
    passed: bool
    detail: str

    def __str__(self):
        return f"{'ok  ' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def versions():
    """One line: Python, Keras and the backend with their versions."""
    import keras

    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend)
    try:
        backend_version = __import__(module).__version__
    except ImportError:
        backend_version = "?"
    return (
        f"Python {platform.python_version()}, Keras {keras.__version__}, "
        f"backend {backend} {backend_version}"
    )


# --------------------------------------------------------------------------------------------
# Tiny stand-ins for the GAN's three models: G: 2 -> 4, D: 4 -> 1, combined: D(G(z)).


def tiny_models(batch_normalization=None):
    import keras

    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)], name="g")
    hidden = [batch_normalization] if batch_normalization is not None else []
    discriminator = keras.Sequential(
        [keras.Input((4,)), *hidden, keras.layers.Dense(1, activation="sigmoid")], name="d"
    )
    discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.1))
    discriminator.trainable = False  # the classic freeze, once, before combined is compiled
    z = keras.Input((2,))
    combined = keras.Model(z, discriminator(generator(z)))
    combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.1))
    return generator, discriminator, combined


def values(model):
    import keras

    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.variables]


def changed(before, after):
    return [not np.array_equal(old, new) for old, new in zip(before, after)]


BATCH = 8


def batch(width, value=None):
    data = np.random.default_rng(1).normal(size=(BATCH, width)).astype("float32")
    return data if value is None else np.full((BATCH, 1), value, "float32")


# --------------------------------------------------------------------------------------------
# The checks: each returns a Result.


def check_trainable_read_at_step():
    """The classic code froze D once before compiling combined. keras_gan lifts the freeze for
    D's own steps and sets it again for G's: needed is that D trains in its step, every time."""
    generator, discriminator, combined = tiny_models()
    before = values(discriminator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "The model does not have any trainable weights"
        discriminator.train_on_batch(batch(4), batch(1, 1.0))
    trains_frozen_once = any(changed(before, values(discriminator)))
    generator, discriminator, combined = tiny_models()
    trained = []
    for _ in range(2):  # D's step, G's step, and D's step again
        discriminator.trainable = True
        before = values(discriminator)
        discriminator.train_on_batch(batch(4), batch(1, 1.0))
        trained.append(any(changed(before, values(discriminator))))
        discriminator.trainable = False
        combined.train_on_batch(batch(2), batch(1, 1.0))
    when = (
        "at compile() (Keras 2: the 2018 freeze trains D)"
        if trains_frozen_once
        else "when a step runs, not at compile() (the 2018 freeze never trains D)"
    )
    return Result(
        "when `trainable` is read",
        all(trained),
        f"{when}; D unfrozen for its own steps trains in "
        f"{sum(trained)} of {len(trained)} (needed: every one)",
    )


def check_frozen_discriminator_in_combined():
    """G's step through the frozen D must move every G weight and no D variable."""
    generator, discriminator, combined = tiny_models()
    discriminator.trainable = True
    discriminator.train_on_batch(batch(4), batch(1, 1.0))  # D's step first, as in a GAN
    discriminator.trainable = False
    d_before, g_before = values(discriminator), values(generator)
    combined.train_on_batch(batch(2), batch(1, 1.0))
    d_moved = sum(changed(d_before, values(discriminator)))
    g_still = changed(g_before, values(generator)).count(False)
    return Result(
        "a frozen D inside combined",
        d_moved == 0 and g_still == 0,
        f"G's step moved {len(g_before) - g_still} of {len(g_before)} G variables and "
        f"{d_moved} of {len(d_before)} D variables (needed: all of G's, none of D's)",
    )


def check_batch_normalization_when_frozen():
    """A frozen stock BatchNormalization runs in inference mode (the DCGAN trap, documented);
    keras_gan's FreezeSafeBatchNormalization must use batch statistics and keep its moving
    ones."""
    import keras

    from keras_gan.layers import FreezeSafeBatchNormalization

    inputs = 3.0 + 2.0 * batch(4)  # far from the initial moving statistics (0, 1)
    modes = {}
    for layer in (keras.layers.BatchNormalization(), FreezeSafeBatchNormalization()):
        model = keras.Sequential([keras.Input((4,)), layer])
        model.trainable = False
        moving = values(model)
        outputs = keras.ops.convert_to_numpy(model(inputs, training=True))
        batch_mode = abs(float(outputs.mean())) < 0.1  # normalised by this batch's mean
        kept = not any(changed(moving, values(model)))
        modes[type(layer).__name__] = (batch_mode, kept)
    stock_batch_mode = modes["BatchNormalization"][0]
    safe_batch_mode, safe_kept = modes["FreezeSafeBatchNormalization"]
    return Result(
        "BatchNormalization in a frozen model",
        safe_batch_mode and safe_kept,
        f"stock: {'batch statistics' if stock_batch_mode else 'inference mode (moving statistics)'}"
        f"; FreezeSafeBatchNormalization: "
        + (
            "batch statistics, moving ones kept"
            if safe_batch_mode and safe_kept
            else "NOT batch statistics with its moving ones kept"
        ),
    )


def check_train_on_batch_logs_each_call():
    """The four-call path logs what `train_on_batch` returns: each call's own batch, not a
    running mean over the calls."""
    import keras

    def mean_target(y_true, y_pred):
        return keras.ops.mean(y_true)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=[mean_target])
    model.train_on_batch(batch(4), batch(1, 1.0), return_dict=True)
    second = model.train_on_batch(batch(4), batch(1, 0.0), return_dict=True)["mean_target"]
    return Result(
        "train_on_batch logs each call",
        abs(float(second)) < 1e-6,
        f"a call on targets 0 after one on targets 1 logs mean target {float(second):.2f} "
        "(needed: 0, this call's own)",
    )


def check_separate_optimizers():
    """Each compiled model needs its own optimizer (the 2018 code shared one Adam)."""
    import keras

    generator, discriminator, combined = tiny_models()
    shared = keras.optimizers.Adam(0.1)
    discriminator.compile(loss="binary_crossentropy", optimizer=shared)
    combined.compile(loss="binary_crossentropy", optimizer=shared)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            combined.train_on_batch(batch(2), batch(1, 1.0))
            discriminator.trainable = True
            discriminator.train_on_batch(batch(4), batch(1, 1.0))
        outcome = "works"
    except Exception as error:  # noqa: BLE001 - the error is the finding
        outcome = f"fails ({type(error).__name__})"
    return Result(
        "one optimizer shared by D and combined",
        True,  # keras_gan gives each its own (checks.check_separate_optimizers): informative
        f"{outcome}; keras_gan builds one per model",
    )


def check_compiled_matches_four_calls():
    """keras_gan's compiled one-call iteration trains what the four Keras calls train."""
    from keras_gan import GAN, compiled

    results = []
    for one_call in (True, False):
        gan = GAN(img_shape=(4, 4, 1), latent_dim=2, seed=0, compile_iteration=one_call)
        rng = np.random.default_rng(0)
        for _ in range(2):
            real = [rng.uniform(-1, 1, (BATCH, 4, 4, 1)).astype("float32")]
            noise = [rng.normal(size=(BATCH, 2)).astype("float32")]
            compiled.run_iteration(gan, real, noise, rng.normal(size=(BATCH, 2)).astype("float32"))
        results.append(gan.generator.get_weights() + gan.discriminator.get_weights())
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(*results))
    return Result(
        "one compiled call trains as the four calls",
        difference < 1e-4,
        f"largest weight difference after 2 iterations {difference:.1e} (needed: < 1e-4)",
    )


CHECKS = (
    check_trainable_read_at_step,
    check_frozen_discriminator_in_combined,
    check_batch_normalization_when_frozen,
    check_train_on_batch_logs_each_call,
    check_separate_optimizers,
    check_compiled_matches_four_calls,
)


def run_checks(print_line=print):
    """Print the versions and each check's line; the results."""
    print_line(versions())
    results = []
    for check in CHECKS:
        try:
            result = check()
        except Exception as error:  # noqa: BLE001 - a check that cannot run has failed
            result = Result(check.__name__.removeprefix("check_"), False, f"raised {error!r}")
        print_line(str(result))
        results.append(result)
    failed = [result for result in results if not result.passed]
    print_line(
        f"{len(results) - len(failed)} of {len(results)} checks passed"
        + ("." if not failed else ": this Keras breaks the classic GAN pattern as shown above.")
    )
    return results
