"""Where one training iteration's time goes (JAX): products, optimizer updates, copies, the rest.

    KERAS_BACKEND=jax python benchmarks/profile_iteration.py --data-dir ../shared/data/mnist \
        --batch-size 128

Runs `compiled.run_iteration` (the one compiled call, as train() runs it) under `jax.profiler`, adds
up the time XLA's CPU runtime spends in each operation of the compiled program, and sorts the
operations by what they compute, read from the program itself (its HLO): matrix products (dots
and convolutions, alone or fused with what follows them), the optimizers' updates (the
operations Keras' Adam emitted), copies XLA inserted, and the rest. Each figure is operations'
own start-to-end time: XLA runs independent operations side by side on the CPU's cores, where
they slow each other down, so the times add up to more than the iteration's wall time, and the
profiler itself slows them a little. Read them as where the work is, not as what removing an
operation would save. For scale it also prints the iteration's multiply-adds per second and the
machine's own rate for a lone matrix product of the model's largest dense layer.
"""

import argparse
import collections
import glob
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import time

# XLA writes the compiled programs here (several MB: their text, LLVM IR and object code; deleted
# at the end); set before JAX starts.
HLO_DIR = tempfile.mkdtemp(prefix="profile_iteration_hlo_")
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + f" --xla_dump_to={HLO_DIR} "
    "--xla_dump_hlo_as_text --xla_dump_hlo_module_re=.*iteration.*"
)

import arithmetic  # noqa: E402  benchmarks/arithmetic.py, beside this script
import keras  # noqa: E402

from keras_gan import DCGAN, GAN, compiled, datasets  # noqa: E402

KINDS = ("matrix products", "optimizer updates", "copies", "the rest")
# One instruction of the HLO text:
# `%name = f32[2,3]{1,0} opcode(operands), ..., calls=%computation, ...,
#  op_name="jit(iteration)/adam/sub"`
INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%([\w.\-]+) = .*? ([\w\-]+)\(")
COMPUTATION = re.compile(r"^(?:ENTRY )?%?([\w.\-]+) .*\{\s*$")
NOT_RUN = ("parameter", "constant", "tuple", "get-tuple-element", "bitcast")  # no work of their own


def compiled_operations(hlo_text):
    """{operation name: (opcode, computation it calls or None, op_name)} of an HLO module's text,
    the names of the computations that contain a dot or a convolution, and the operations the
    program runs (those of its ENTRY computation that do work)."""
    operations, with_products, run, computation, entry = {}, set(), set(), None, False
    for line in hlo_text.splitlines():
        start = COMPUTATION.match(line)
        if start:
            computation, entry = start.group(1), line.startswith("ENTRY")
            continue
        match = INSTRUCTION.match(line)
        if not match:
            continue
        name, opcode = match.groups()
        if opcode in ("dot", "convolution"):
            with_products.add(computation)
        called = re.search(r"calls=%([\w.\-]+)", line)
        op_name = re.search(r'op_name="([^"]*)"', line)
        operations[name] = (opcode, called and called.group(1), op_name.group(1) if op_name else "")
        if entry and opcode not in NOT_RUN:
            run.add(name)
    return operations, with_products, run


def kind(operation, with_products, optimizer_names):
    opcode, called, op_name = operation
    if opcode in ("dot", "convolution") or called in with_products:
        return "matrix products"
    if any(f"/{name}/" in op_name for name in optimizer_names):
        return "optimizer updates"
    if opcode == "copy":
        return "copies"
    return "the rest"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="mlp", choices=("mlp", "dcgan"))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--iterations", type=int, default=30, help="iterations profiled (after a warm-up)"
    )
    parser.add_argument(
        "--top", type=int, default=12, help="how many of the longest operations to list"
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KERAS_GAN_DATA_DIR"),
        help="MNIST folder (else $KERAS_GAN_DATA_DIR, else Keras' download)",
    )
    trace_dir = tempfile.mkdtemp(prefix="profile_iteration_trace_")
    try:
        args = parser.parse_args(argv)
        if keras.backend.backend() != "jax":
            raise SystemExit(
                "This profile reads JAX's profiler: run it with KERAS_BACKEND=jax "
                f"(this process runs Keras on {keras.backend.backend()})."
            )
        profile(args, trace_dir)
    finally:
        shutil.rmtree(HLO_DIR, ignore_errors=True)
        shutil.rmtree(trace_dir, ignore_errors=True)
    return 0


def profile(args, trace_dir):
    import jax

    images = datasets.load_mnist(args.data_dir)
    gan = GAN(seed=0) if args.model == "mlp" else DCGAN(seed=0)
    batch = args.batch_size

    def iterations(n):  # each call waits for its logs: the time is the iterations' own
        start = time.perf_counter()
        for _ in range(n):
            compiled.run_iteration(
                gan,
                [gan.sample_batch(images, batch)],
                [gan.generator_inputs(batch)],
                gan.generator_inputs(batch),
            )
        return (time.perf_counter() - start) / n

    iterations(5)  # compilation and warm-up
    seconds = iterations(args.iterations)
    with jax.profiler.trace(trace_dir):
        iterations(args.iterations)

    programs = sorted(glob.glob(os.path.join(HLO_DIR, "*jit_iteration*after_optimizations.txt")))
    traces = glob.glob(os.path.join(trace_dir, "**", "*.trace.json.gz"), recursive=True)
    if not programs or not traces:
        raise SystemExit(
            f"No compiled program ({HLO_DIR}) or no trace ({trace_dir}) was written: "
            "this JAX may name or place them differently."
        )
    with open(programs[-1]) as file:
        hlo_text = file.read()
    operations, with_products, run = compiled_operations(hlo_text)
    with gzip.open(traces[0]) as file:
        events = [
            e
            for e in json.load(file)["traceEvents"]
            if e.get("ph") == "X" and e["name"] in operations
        ]

    optimizer_names = {gan.discriminator.optimizer.name, gan.combined.optimizer.name}
    per_operation = collections.Counter()
    for event in events:
        per_operation[event["name"]] += event["dur"] / 1000 / args.iterations  # ms per iteration
    per_kind = collections.Counter()
    for name, ms in per_operation.items():
        per_kind[kind(operations[name], with_products, optimizer_names)] += ms
    total = sum(per_kind.values())
    if not total:
        raise SystemExit(
            "The profile holds no operation of the compiled iteration: nothing to sort."
        )
    timed = collections.Counter(event["name"] for event in events)

    print(
        f"{args.model}, batch {batch}, JAX {jax.__version__}, Keras {keras.__version__}: "
        f"{seconds * 1000:.2f} ms per iteration without the profiler"
    )
    print(
        f"timed {len(run & set(timed))} of the program's {len(run)} operations, "
        f"{min(timed.values())}-{max(timed.values())} times each; operation time per iteration:"
    )
    for name in KINDS:
        print(f"  {name:18s} {per_kind[name]:7.2f} ms  {100 * per_kind[name] / total:5.1f}%")
    print(f"  {'all operations':18s} {total:7.2f} ms")

    # The machine's own speed at the iteration's largest matrix product, for scale.
    multiply_adds = arithmetic.multiply_adds(hlo_text)
    kernels = [
        tuple(w.shape)
        for model in (gan.generator, gan.discriminator)
        for w in model.weights
        if len(w.shape) == 2
    ]
    inputs, units = max(kernels, key=lambda shape: shape[0] * shape[1])
    x, w = jax.numpy.ones((batch, inputs)), jax.numpy.ones((inputs, units))
    product = jax.jit(jax.numpy.matmul)
    product(x, w).block_until_ready()
    start = time.perf_counter()
    for _ in range(200):
        y = product(x, w)
    y.block_until_ready()
    lone_rate = batch * inputs * units * 200 / (time.perf_counter() - start)
    print(
        f"\nThe iteration: {multiply_adds / 1e9:.3f} G multiply-adds (counted in this program), "
        f"{multiply_adds / seconds / 1e9:.1f} G/s at its speed above; a lone product of its "
        f"largest dense layer's shape, ({batch}x{inputs}) by ({inputs}x{units}): "
        f"{lone_rate / 1e9:.1f} G/s."
    )
    print(f"\nThe {args.top} longest operations:")
    for name, ms in per_operation.most_common(args.top):
        print(
            f"  {ms:6.2f} ms  {name:26s} "
            f"{kind(operations[name], with_products, optimizer_names):18s} {operations[name][2]}"
        )


if __name__ == "__main__":
    sys.exit(main())
