"""How much arithmetic an iteration does: multiply-adds counted in XLA's compiled program.

Speed ratios alone cannot say whether a loop is slow or just does more work. This module counts
the multiply-adds of every matrix product and convolution in the HLO that XLA compiles for a
TensorFlow function, i.e. of what the program really computes (a frozen model's weight
gradients, for one, are never asked for), so `train_speed.py` can print beside the measured
ratio train()/fused the ratio of their arithmetic: fused multiply-adds / train() multiply-adds,
what train()/fused would be if both ran their multiply-adds at the same rate.

A transposed convolution, and the input gradient of a strided one, appear in HLO as
convolutions over an input with zeros between its elements (`lhs_dilate`); only the products
with real elements are counted.
"""

import math
import re

# `%name = f32[2,3]{1,0} op(operands), attributes`: one HLO instruction with an array result.
INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%?([\w.\-]+) = \w+\[([\d,]*)\]\S* ([\w\-]+)\((.*)$")
COMPUTATION = re.compile(r"^\S.*\{\s*$")  # `%fused_computation.3 (param_0: f32[2]) -> f32[2] {`
SHAPE = re.compile(r"\w+\[[\d,]*\](\{[^}]*\})?\s*")  # `f32[4,6]{1,0} `, printed before an operand
MATRIX_CUSTOM_CALL = re.compile(r'custom_call_target="[^"]*(matmul|gemm|conv|dot)', re.IGNORECASE)


def multiply_adds(hlo_text):
    """Multiply-adds of all `dot` and `convolution` instructions in an HLO module's text."""
    shapes, total = {}, 0
    for line in hlo_text.splitlines():
        if COMPUTATION.match(line):
            shapes = {}  # parameter names repeat from one computation to the next
        if MATRIX_CUSTOM_CALL.search(line):
            raise ValueError(
                f"XLA made a library call this count cannot see into: {line.strip()[:200]}"
            )
        match = INSTRUCTION.match(line)
        if not match:
            continue
        name, dims, op, rest = match.groups()
        shapes[name] = [int(d) for d in dims.split(",") if d]
        if op not in ("dot", "convolution"):
            continue
        operands = SHAPE.sub("", rest.split(")")[0])
        lhs, rhs = (operand.strip().lstrip("%") for operand in operands.split(",")[:2])
        if op == "dot":  # each output element sums over the contracted dimensions of the lhs
            contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", rest).group(1)
            summed = math.prod(shapes[lhs][int(d)] for d in contracting.split(",") if d)
        else:  # each output element sums over the kernel's window and input features...
            kernel_labels = re.search(r"dim_labels=\w+_(\w+)->", rest).group(1)
            summed = math.prod(shapes[rhs]) // shapes[rhs][kernel_labels.index("o")]
            dilation = re.search(r"lhs_dilate=([\dx]+)", rest)
            if dilation:  # ...of which only one in (dilation) meets a real input element
                summed //= math.prod(int(d) for d in dilation.group(1).split("x"))
        total += math.prod(shapes[name]) * summed
    return total


def tensorflow_multiply_adds(function, *args):
    """Multiply-adds of one call of a `tf.function(jit_compile=True)` on `args`."""
    return multiply_adds(function.experimental_get_compiler_ir(*args)(stage="optimized_hlo"))


def train_iteration_multiply_adds(gan, batch_size):
    """Multiply-adds of one `gan.train_iteration` as XLA compiles it (TensorFlow backend).

    The iteration is traced as keras_gan's one compiled call traces it (compiled.py: the step
    methods with `StatefulSteps` as their primitives, inside a tf.function), but always with XLA,
    whatever `gan.jit_compile` says. Any variant works: its "real" batches are generated ones,
    which have the shape and types of D's real input.
    """
    import keras
    import tensorflow as tf

    from keras_gan import compiled

    real = [gan.fake_batch(gan.generator_inputs(batch_size)) for _ in range(gan.d_steps)]
    d_inputs = [gan.generator_inputs(batch_size) for _ in range(gan.d_steps)]
    batches = keras.tree.map_structure(
        tf.convert_to_tensor, (real, d_inputs, gan.generator_inputs(batch_size))
    )
    compiled.build_training_state(gan, batches)  # a trace cannot create variables
    traced = tf.function(
        lambda batches: compiled.run_steps(gan, compiled.StatefulSteps(), batches), jit_compile=True
    )
    return tensorflow_multiply_adds(traced, batches)
