"""How an iteration runs: gan.py's step methods as the classic four Keras calls, or traced
into one compiled call (`compile_iteration=True`, the default).

The classic loop makes four Keras calls per iteration (`generator.predict_on_batch`, then
`discriminator.train_on_batch` on the real batch and on the generated one, then
`combined.train_on_batch`). Every call pays a fixed price (checking and converting the inputs,
entering the compiled function, converting the logs back to numpy) that for the MNIST MLP is
larger than the arithmetic itself, so one compiled call runs more iterations per second
(measured in benchmarks/README.md).

`compile_iteration(gan)` traces `gan.train_iteration` itself, so whatever a student reads in
gan.py (and whatever a subclass overrides) is what runs. While it traces, the two primitives the
steps are written in change meaning: `gan.train_on_batch(model, x, y)` runs the step Keras'
`train_on_batch` wraps, `model.train_step` (the compiled loss, optimizer and metrics), and
`gan.predict_on_batch(model, x)` runs `model(x, training=False)`. Only this glue differs per
backend:

- TensorFlow: one `tf.function`, XLA-compiled when `jit_compile` is on.
  Built under a `tf.distribute` strategy's scope: every replica runs the steps on its share
  of each batch inside one `strategy.run`, not XLA-compiled (see `_mirrored_runner`).
- JAX: Keras' JAX `train_step` is stateless (variables in, new values out). The iteration runs
  inside a `keras.StatelessScope` that maps every variable of the GAN to its traced value, within
  one `jax.jit`; each step reads its model's values from the scope and writes the new ones back.
- PyTorch: the steps run eagerly; only the Keras call overhead goes away.

A gradient penalty (penalties.py) needs one more piece of glue, `input_gradients`: D's gradient
with respect to its input, which the training step differentiates again.

Before the first call, a build pass runs `train_iteration` once with steps that create each
model's loss, metric and optimizer variables without training (as `train_on_batch` does at its
first call), so that tracing creates none. If the first compiled call fails (say, an override that
needs Python values where the trace has tensors), the iteration runs as the four Keras calls,
which run any Python, and a warning says so once, naming the overridden methods.
"""

import contextlib
import warnings

import keras
from keras import ops

from keras_gan.interrupts import hold_ctrl_c
from keras_gan.layers import all_layers, gan_models

STEP_METHODS = (
    "train_iteration",
    "train_discriminator",
    "train_generator",
    "train_on_batch",
    "predict_on_batch",
    "fake_batch",
    "targets",
    "discriminator_logs",
)


class KerasCalls:
    """The classic path: each step is one Keras call, run as it reads."""

    def train_on_batch(self, model, inputs, targets):
        return model.train_on_batch(inputs, targets, return_dict=True)

    def predict_on_batch(self, model, inputs):
        return model.predict_on_batch(inputs)


KERAS_CALLS = KerasCalls()


def run_iteration(gan, real_batches, d_generator_inputs, g_generator_inputs):
    """`gan.train_iteration(...)` with its logs as floats: as one compiled call if the GAN's
    `compile_iteration` says so (the call is compiled at the first iteration and kept), else
    as the four Keras calls. tests/test_compiled.py proves both train the same weights."""
    if not gan.compile_iteration:
        return four_calls(gan, real_batches, d_generator_inputs, g_generator_inputs)
    if getattr(gan, "_compiled_iteration", None) is None:
        gan._compiled_iteration = compile_iteration(gan)
    return gan._compiled_iteration(real_batches, d_generator_inputs, g_generator_inputs)


def four_calls(gan, *batches):
    return {name: float(value) for name, value in gan.train_iteration(*batches).items()}


def compile_iteration(gan):
    """A function `(real_batches, d_generator_inputs, g_generator_inputs) -> logs (floats)`."""
    backend = keras.backend.backend()
    jit_compile = resolve_jit_compile(gan, gan.jit_compile)
    # run: the compiled function; names: the logs' names, known once traced; ran_once: it works;
    # four_calls: it could not run, so the iteration runs as the Keras calls (the setting stays);
    # strategy: the tf.distribute strategy the models were built under, if any.
    state = {"run": None, "names": None, "ran_once": False, "four_calls": False, "strategy": None}

    def traced_iteration(steps, batches):
        """train_iteration with `steps` as its primitives; the logs as one vector (one transfer)."""
        logs = run_steps(gan, steps, batches)
        state["names"] = list(logs)
        return ops.stack([ops.cast(value, "float32") for value in logs.values()])

    def iteration(real_batches, d_generator_inputs, g_generator_inputs):
        if state["four_calls"]:
            return four_calls(gan, real_batches, d_generator_inputs, g_generator_inputs)
        batches = keras.tree.map_structure(
            ops.convert_to_tensor, (real_batches, d_generator_inputs, g_generator_inputs)
        )
        if state["run"] is None:
            strategy = state["strategy"] = distribution_strategy(gan)
            with strategy.scope() if strategy else contextlib.nullcontext():
                build_training_state(gan, batches)
            if backend == "jax":
                state["run"] = _jax_runner(gan, traced_iteration, jit_compile)
            elif strategy is not None:
                state["run"] = _mirrored_runner(strategy, traced_iteration)
            elif backend == "tensorflow":
                state["run"] = _tensorflow_runner(traced_iteration, jit_compile)
            else:  # torch and any other stateful backend: the same steps, eagerly
                state["run"] = lambda batches: traced_iteration(StatefulSteps(), batches)
        # Under a tf.distribute strategy a failed call may leave the replicas' collectives
        # aborted ("restart your program"): the error is raised, not answered by four calls.
        if state["ran_once"] or state["strategy"] or backend not in ("tensorflow", "jax"):
            vector = state["run"](batches)
        else:
            try:
                vector = state["run"](batches)
            except Exception as error:
                batches = (real_batches, d_generator_inputs, g_generator_inputs)
                logs = _fall_back_to_four_calls(gan, error, *batches)
                state["four_calls"] = True  # from now on; the GAN's own setting stays as given
                return logs
            state["ran_once"] = True
        return dict(zip(state["names"], ops.convert_to_numpy(vector).tolist()))

    return iteration


def run_steps(gan, steps, batches):
    """`gan.train_iteration(*batches)` with `steps` as its two primitives; its logs."""
    gan.steps = steps
    try:
        return gan.train_iteration(*batches)
    finally:
        gan.steps = KERAS_CALLS


def build_training_state(gan, batches):
    """The build pass: create each model's loss, metric and optimizer variables, training nothing.

    It runs the step methods once, eagerly; whatever they assign on the way (G's BatchNorm in a
    training-mode fake batch, an override's own state) is put back afterwards.
    """
    before = [(variable, ops.convert_to_numpy(variable)) for variable in gan_variables(gan)]
    run_steps(gan, BuildSteps(), batches)
    for variable, value in before:
        variable.assign(value)


def _fall_back_to_four_calls(gan, error, *batches):
    """Run the iteration as the classic calls; if that works, keep doing so and say why once."""
    logs = four_calls(gan, *batches)
    overridden = overridden_step_methods(gan)
    reason = [line.strip() for line in str(error).splitlines() if line.strip()][-1:] or [
        type(error).__name__
    ]
    warnings.warn(
        f"{type(gan).__name__}: the training iteration could not run as one compiled call "
        f"({reason[0]})"
        + (f"; it overrides {', '.join(overridden)}" if overridden else "")
        + ". Running each iteration as the classic Keras calls instead, which "
        "run any Python. To get the compiled speed, write the step methods with keras.ops on the "
        "tensors they are given.",
        stacklevel=4,
    )
    return logs


def overridden_step_methods(gan):
    """The step methods a subclass overrides, e.g. ['MyGAN.train_generator']."""
    root = [klass for klass in type(gan).__mro__ if "train_iteration" in vars(klass)][-1]
    names = []
    for name in STEP_METHODS:
        owner = next(klass for klass in type(gan).__mro__ if name in vars(klass))
        if owner is not root:
            names.append(f"{owner.__name__}.{name}")
    return names


class BuildSteps:
    """Steps that create a model's training variables (loss, metrics, optimizer), training none."""

    def train_on_batch(self, model, inputs, targets):
        predictions = model(inputs, training=False)
        model.compute_loss(x=inputs, y=targets, y_pred=predictions)
        logs = model.compute_metrics(inputs, targets, predictions, sample_weight=None)
        model.reset_metrics()
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        return {name: ops.convert_to_tensor(value) for name, value in logs.items()}

    def predict_on_batch(self, model, inputs):
        return model(inputs, training=False)


class StatefulSteps:
    """TensorFlow (traced) and PyTorch (eager): each model's own stateful `train_step`."""

    def train_on_batch(self, model, inputs, targets):
        model.reset_metrics()  # as train_on_batch does: each step logs its own batch only
        return dict(model.train_step((inputs, targets)))

    def predict_on_batch(self, model, inputs):
        return ops.stop_gradient(model(inputs, training=False))


class JaxSteps:
    """JAX: the stateless `train_step`, fed from and written back to the enclosing scope."""

    def train_on_batch(self, model, inputs, targets):
        model.reset_metrics()  # recorded in the scope, as every assignment in it
        groups = (
            model.trainable_variables,
            model.non_trainable_variables,
            model.optimizer.variables,
            model.metrics_variables,
        )
        values = tuple([variable.value for variable in group] for group in groups)
        logs, new_values = model.train_step(values, (inputs, targets))
        for group, group_values in zip(groups, new_values):
            for variable, value in zip(group, group_values):
                variable.assign(value)
        return dict(logs)

    def predict_on_batch(self, model, inputs):
        return model(inputs, training=False)


def resolve_jit_compile(gan, jit_compile):
    """True or False for XLA; "auto" picks what measured faster (benchmarks/README.md has the
    figures and the command that measured them)."""
    if jit_compile != "auto":
        return bool(jit_compile)
    backend = keras.backend.backend()
    if backend == "jax":
        return True  # un-jitted JAX runs op by op, many times slower
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return True  # Keras' own "auto" rule on a GPU
        # On a CPU XLA speeds up the MLP but slows the DCGAN down: TensorFlow's own (oneDNN)
        # convolutions beat XLA's.
        return not any(
            "Conv" in type(layer).__name__
            for model in gan_models(gan)
            for layer in all_layers(model)
        )
    return False  # PyTorch: torch.compile took longer to compile than it saved


def gan_variables(gan):
    """Every variable an iteration may read or write: models, their metrics and optimizers."""
    variables, seen = [], set()
    for model in gan_models(gan):
        optimizer = getattr(model, "optimizer", None)
        for variable in [
            *model.variables,
            *model.metrics_variables,
            *(optimizer.variables if optimizer else []),
        ]:
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
    return variables


def _tensorflow_runner(traced_iteration, jit_compile):
    """The iteration as one tf.function, called through its concrete function for each shape:
    that skips tf.function's per-call signature matching, a measurable share of the MLP's step."""
    import tensorflow as tf

    traced = tf.function(
        lambda batches: traced_iteration(StatefulSteps(), batches), jit_compile=jit_compile
    )
    concrete = {}

    def run(batches):
        signature = tuple((tuple(x.shape), str(x.dtype)) for x in keras.tree.flatten(batches))
        if signature not in concrete:
            concrete[signature] = traced.get_concrete_function(batches)
        return concrete[signature](batches)

    return run


def distribution_strategy(gan):
    """The tf.distribute strategy the GAN's models were built under (`with strategy.scope():`),
    or None. Every model must have been built under the same one."""
    if keras.backend.backend() != "tensorflow":
        return None
    # Keras records the strategy a model is created under; a model made outside any has None.
    strategies = {
        id(model): getattr(model, "_distribute_strategy", None) for model in gan_models(gan)
    }
    distinct = {id(strategy): strategy for strategy in strategies.values()}
    if len(distinct) > 1:
        raise ValueError(
            "The GAN's models were built under different tf.distribute strategies (or some under "
            "none): build the whole GAN inside one `with strategy.scope():`."
        )
    return next(iter(distinct.values()), None)


def replicas(gan):
    """How many replicas one iteration runs on: the strategy's, or 1."""
    strategy = distribution_strategy(gan)
    return strategy.num_replicas_in_sync if strategy is not None else 1


def _mirrored_runner(strategy, traced_iteration):
    """The iteration on every replica of a tf.distribute strategy, each on its share of the batch.

    Each replica runs the same traced steps on 1/N of every batch; Keras' train_step divides each
    replica's loss by N and its optimizer sums the gradients over the replicas (an all-reduce), so
    the update is the one of the whole batch. The logs are the mean over the replicas. Not
    XLA-compiled: the all-reduce inside the step is no XLA operation on MirroredStrategy.
    """
    import tensorflow as tf

    count = strategy.num_replicas_in_sync

    @tf.function
    def step(shards):
        per_replica = strategy.run(
            lambda shard: traced_iteration(StatefulSteps(), shard), args=(shards,)
        )
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)

    def share(x, context):
        size = int(x.shape[0]) // count
        start = context.replica_id_in_sync_group * size
        return x[start : start + size]

    def run(batches):
        rows = batch_length(batches)
        if rows % count:
            raise ValueError(
                f"A batch of {rows} cannot be shared evenly by {count} replicas: use a batch_size "
                f"that is a multiple of {count}."
            )
        shards = strategy.experimental_distribute_values_from_function(
            lambda context: keras.tree.map_structure(lambda x: share(x, context), batches)
        )
        with strategy.scope():
            return step(shards)

    return run


def batch_length(batches):
    return int(keras.tree.flatten(batches)[0].shape[0])


def _jax_runner(gan, traced_iteration, jit_compile):
    """The iteration inside one jax.jit, over the values of every variable of the GAN."""
    import jax

    variables = gan_variables(gan)  # after the build pass: every variable exists
    known = {id(variable) for variable in variables}

    def iteration(values, batches):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
            vector = traced_iteration(JaxSteps(), batches)
        # StatelessScope keys its values by id(variable).
        if any(key not in known for key in scope.state_mapping):
            raise ValueError(
                "The training iteration changed a variable that belongs to none of the GAN's "
                "models or their optimizers: keep every model the steps train as an attribute of "
                "the GAN, so that its state is carried from one call to the next."
            )
        return vector, [scope.get_current_value(variable) for variable in variables]

    # Donating the old values lets XLA write the new ones in place, as Keras' own JAX
    # train_on_batch does: no fresh buffers per call, whose page faults cost a share of an
    # iteration at batch 128. The old buffers are deleted by the call: until the write-back below
    # has run, the variables hold nothing valid, so a Ctrl-C must wait for it (at the first call
    # that includes XLA's compilation, a few seconds).
    compiled = jax.jit(iteration, donate_argnums=0) if jit_compile else iteration

    def run(batches):
        distribution = keras.distribution.distribution()
        if distribution is not None:  # e.g. DataParallel: split each batch over the devices
            batches = keras.tree.map_structure(
                lambda x: keras.distribution.distribute_tensor(
                    x, distribution.get_data_layout(x.shape)
                ),
                batches,
            )
        with hold_ctrl_c() if jit_compile else contextlib.nullcontext():
            vector, values = compiled([variable.value for variable in variables], batches)
            for variable, value in zip(variables, values):
                variable.assign(value)
        return vector

    return run


def replica_share(value):
    """`value` / N inside a TensorFlow strategy of N replicas, else `value`. Keras divides each
    replica's compiled loss by N before its optimizer sums the replicas' gradients
    (keras.src.losses.loss.scale_loss_for_distribution, not public); a term added to that loss
    needs the same share, or N replicas would weigh it N times. JAX shards one global batch."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        count = tf.distribute.get_strategy().num_replicas_in_sync
        if count > 1:
            return value / count
    return value


def input_gradients(model, points):
    """d sum(model(points)) / d points, itself differentiable with respect to model's weights.

    The model runs in training mode, as in D's step, through `stateless_call`: whatever it would
    assign on the way (BatchNorm's moving statistics) is dropped, so the penalty's extra forward
    pass changes nothing but the loss.
    """
    trainable = [variable.value for variable in model.trainable_variables]
    non_trainable = [variable.value for variable in model.non_trainable_variables]

    def total_output(x):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=True)
        return ops.sum(ops.cast(outputs, "float32"))

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(points)
            total = total_output(points)
        return tape.gradient(total, points)
    if backend == "jax":
        import jax

        return jax.grad(total_output)(points)
    if backend == "torch":
        import torch

        points = ops.convert_to_tensor(points).detach().requires_grad_(True)
        with torch.enable_grad():
            total = total_output(points)
            return torch.autograd.grad(total, points, create_graph=True)[0]
    raise ValueError(
        f"Gradient penalties run on the tensorflow, jax and torch backends, not {backend!r}."
    )
