"""One training iteration in one compiled call: the classic steps without the per-call cost.

The classic loop makes four Keras calls per iteration: `generator.predict_on_batch`, then
`discriminator.train_on_batch` on the real batch and on the generated one, then
`combined.train_on_batch`. Every call pays a fixed price (checking and converting the inputs,
entering the compiled function, converting the logs back to numpy) that for the MNIST MLP is
larger than the arithmetic itself: on a 2-core CPU the four calls run ~40 iterations/s, one
compiled call ~100 (`benchmarks/train_speed.py`).

`compile_iteration(gan)` returns a function that runs those very steps, in the same order, on the
same compiled models: it calls each model's own Keras `train_step` (the function `train_on_batch`
wraps: the compiled loss, the optimizer, the metrics) and `generator(noise, training=False)` (what
`predict_on_batch` computes). Nothing about the algorithm changes; only the glue around it, which
differs per backend:

- TensorFlow: one `tf.function`, XLA-compiled when `jit_compile` is on.
- JAX: Keras' JAX `train_step` is stateless (variables in, new values out), so the iteration
  gathers every variable it reads or writes, runs the steps inside one `jax.jit`, and writes the
  new values back.
- PyTorch: the steps run eagerly in turn; only the Keras call overhead goes away.

`tests/test_one_call.py` proves that the weights after a few iterations equal those the four
separate calls give.

Measured and not kept: a discriminator-trainer model (real images and noise in, G frozen inside,
the classic WGAN-GP code's way), two calls per iteration instead of four. It ran 1.15x more
iterations per second, but trains D on real and fake in one Adam step instead of two, and learned
less per iteration (Frechet distance after 2000 iterations 100-110 instead of 92): no gain per
second of training, and a different algorithm. What one call leaves at batch 128 is arithmetic
the classic algorithm itself does (G runs twice, D three times): `benchmarks/arithmetic.py`.
"""

import contextlib

import keras
import numpy as np
from keras import ops

from keras_gan.callbacks import hold_ctrl_c
from keras_gan.gan import discriminator_logs


LOG_NAMES = ("d_loss", "d_accuracy", "d_real", "d_fake", "g_loss")


def compile_iteration(gan, jit_compile="auto"):
    """A function `(real_batches, d_noises, g_noise) -> logs` for `gan`, as `GAN.train_iteration`.

    `real_batches` and `d_noises` hold one batch per discriminator step (`gan.d_steps`);
    the labels are `gan.real_labels`, `gan.fake_labels` and `gan.valid_labels`.
    """
    backend = keras.backend.backend()
    jit_compile = resolve_jit_compile(gan, jit_compile)
    if backend == "jax":
        run = _jax_runner(gan, jit_compile)
    elif backend == "tensorflow":
        run = _tensorflow_runner(gan, jit_compile)
    else:  # torch and any other stateful backend: the same steps, eagerly
        run = _iteration_for(gan)
    label_arrays, label_tensors = None, None  # train() sets the labels once per run
    built = False

    def iteration(real_batches, d_noises, g_noise):
        nonlocal label_arrays, label_tensors, built
        current = (gan.real_labels, gan.fake_labels, gan.valid_labels)
        if label_arrays is None or any(old is not new for old, new in zip(label_arrays, current)):
            label_arrays, label_tensors = current, [ops.convert_to_tensor(a) for a in current]
        arrays = [tuple(map(ops.convert_to_tensor, real_batches)),
                  tuple(map(ops.convert_to_tensor, d_noises)),
                  ops.convert_to_tensor(g_noise), *label_tensors]
        if not built:
            _build_training_state(gan, arrays)
            built = True
        # One transfer to the host per iteration: the logs, as one small vector.
        return dict(zip(LOG_NAMES, ops.convert_to_numpy(run(*arrays)).tolist()))

    return iteration


def resolve_jit_compile(gan, jit_compile):
    """True or False for XLA; "auto" picks what measured faster (benchmarks/train_speed.py)."""
    if jit_compile != "auto":
        return bool(jit_compile)
    backend = keras.backend.backend()
    if backend == "jax":
        return True  # un-jitted JAX runs op by op: 13x slower for the MLP
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return True  # Keras' own "auto" rule on a GPU
        # On a CPU XLA makes the MLP 1.4x faster, but the DCGAN 0.9x at batch 128:
        # TensorFlow's own (oneDNN) convolutions beat XLA's there.
        return not any("Conv" in type(layer).__name__ for layer in _all_layers(gan))
    return False  # PyTorch: torch.compile took 85 s for the MLP's iteration and ran no faster


def _all_layers(gan):
    layers, models = [], [gan.generator, gan.discriminator]
    while models:
        for layer in models.pop().layers:
            layers.append(layer)
            if hasattr(layer, "layers"):
                models.append(layer)
    return layers


def _tensorflow_runner(gan, jit_compile):
    """The iteration as one tf.function, called through its concrete function for each shape:
    that skips tf.function's per-call signature matching, ~1 ms of the MLP's ~10 ms."""
    import tensorflow as tf

    traced = tf.function(_iteration_for(gan), jit_compile=jit_compile)
    concrete = {}

    def run(*arrays):
        shapes = tuple(tuple(x.shape) for x in keras.tree.flatten(arrays))
        if shapes not in concrete:
            concrete[shapes] = traced.get_concrete_function(*arrays)
        return concrete[shapes](*arrays)

    return run


def _iteration_for(gan):
    """The classic iteration written against stateful models: TensorFlow traces it, PyTorch runs it."""
    D, G, combined = gan.discriminator, gan.generator, gan.combined

    def step(model, x, y):
        model.reset_metrics()  # as train_on_batch does: each step logs its own batch only
        return dict(model.train_step((x, y)))

    def iteration(real_batches, d_noises, g_noise, real_labels, fake_labels, valid_labels):
        # The freeze is read while tracing, as train_on_batch reads it (see GAN.train_discriminator).
        D.trainable = True
        for real_images, noise in zip(real_batches, d_noises):
            fake_images = ops.stop_gradient(G(noise, training=False))
            real = step(D, real_images, real_labels)
            fake = step(D, fake_images, fake_labels)
        D.trainable = False
        generator = step(combined, g_noise, valid_labels)
        return _log_vector(real, fake, generator)

    return iteration


def _jax_runner(gan, jit_compile):
    """The same iteration on JAX, where Keras' `train_step` is stateless: it takes the values of
    a model's variables and returns their new values. The iteration threads one list of values
    (every variable it reads or writes, each once) through the three steps, inside one jax.jit."""
    import jax

    D, G, combined = gan.discriminator, gan.generator, gan.combined
    variables, position, fresh_metrics = [], {}, {}  # filled at the first call, once all exist

    def collect_variables():
        for model in (D, G, combined):
            for v in model.variables + model.metrics_variables:
                if id(v) not in position:
                    position[id(v)] = len(variables)
                    variables.append(v)
        for v in D.optimizer.variables + combined.optimizer.variables:
            position[id(v)] = len(variables)
            variables.append(v)
        D.reset_metrics()
        combined.reset_metrics()
        # Copies: the variables' own buffers are donated to the first call (below).
        fresh_metrics.update({id(v): np.array(v.value) for v in D.metrics_variables + combined.metrics_variables})

    def step(state, model, x, y):
        for v in model.metrics_variables:  # reset, as train_on_batch does
            state[position[id(v)]] = fresh_metrics[id(v)]
        groups = (model.trainable_variables, model.non_trainable_variables,
                  model.optimizer.variables, model.metrics_variables)
        model_state = tuple([state[position[id(v)]] for v in group] for group in groups)
        logs, new_model_state = model.train_step(model_state, (x, y))
        for group, values in zip(groups, new_model_state):
            for v, value in zip(group, values):
                state[position[id(v)]] = value
        return logs

    def iteration(state, real_batches, d_noises, g_noise, real_labels, fake_labels, valid_labels):
        state = list(state)
        D.trainable = True  # read while tracing, as in _iteration_for
        for real_images, noise in zip(real_batches, d_noises):
            fake_images, _ = G.stateless_call(
                [state[position[id(v)]] for v in G.trainable_variables],
                [state[position[id(v)]] for v in G.non_trainable_variables],
                noise,
                training=False,
            )
            real = step(state, D, real_images, real_labels)
            fake = step(state, D, fake_images, fake_labels)
        D.trainable = False
        generator = step(state, combined, g_noise, valid_labels)
        return _log_vector(real, fake, generator), state

    # Donating the old values lets XLA write the new ones in place, as Keras' own JAX
    # train_on_batch does: no fresh buffers per call, whose page faults cost up to 15% of an
    # iteration at batch 128. The old buffers are deleted by the call: until the write-back below
    # has run, the variables hold nothing valid, so a Ctrl-C must wait for it (at the first call
    # that includes XLA's compilation, a few seconds).
    compiled = jax.jit(iteration, donate_argnums=0) if jit_compile else iteration

    def run(*arrays):
        if not variables:
            collect_variables()
        distribution = keras.distribution.distribution()
        if distribution is not None:  # e.g. DataParallel: split each batch over the devices
            arrays = keras.tree.map_structure(
                lambda x: keras.distribution.distribute_tensor(x, distribution.get_data_layout(x.shape)),
                arrays,
            )
        with hold_ctrl_c() if jit_compile else contextlib.nullcontext():
            logs, state = compiled([v.value for v in variables], *arrays)
            for v, value in zip(variables, state):
                v.assign(value)
        return logs

    return run


def _log_vector(real, fake, generator):
    logs = {**discriminator_logs(real, fake), "g_loss": generator["loss"]}
    return ops.stack([ops.cast(logs[name], "float32") for name in LOG_NAMES])


def _build_training_state(gan, arrays):
    """Create the loss, metric and optimizer variables before tracing, as train_on_batch would."""
    real_batches, d_noises, g_noise, real_labels, _, valid_labels = arrays
    for model, x, y, frozen in (
        (gan.discriminator, real_batches[0], real_labels, False),
        (gan.combined, g_noise, valid_labels, True),
    ):
        gan.discriminator.trainable = not frozen
        y_pred = model(x)
        model.compute_loss(x=x, y=y, y_pred=y_pred)
        model.compute_metrics(x, y, y_pred, sample_weight=None)
        model.reset_metrics()
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    gan.discriminator.trainable = False
