"""The benchmarks run and print what they measure: smoke runs, not measurements (speed is never
asserted in tests: this machine is shared and noisy)."""

import importlib
import importlib.util
import math
import os
import re
import subprocess
import sys
import types

import keras
import numpy as np
import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_train_speed(mnist_data_dir, variants, iterations):
    """benchmarks/train_speed.py on the MLP at batch 8, one round: its finished process."""
    script = os.path.join(REPOSITORY_ROOT, "benchmarks", "train_speed.py")
    options = ["--models", "mlp", "--batch-sizes", "8", "--variants", variants]
    options += ["--iterations", str(iterations), "--repeats", "1", "--data-dir", mnist_data_dir]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, script, *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_train_speed_prints_side_by_side_table(mnist_data_dir):
    result = run_train_speed(mnist_data_dir, "train,seed,fused", iterations=3)
    lines = result.stdout.splitlines()
    header = [
        cell.strip()
        for cell in next(line for line in lines if line.startswith("| model |"))
        .strip("|")
        .split("|")
    ]
    rows = [line for line in lines if line.startswith("| mlp | 8 |")]
    assert len(rows) == 1, result.stdout
    row = dict(zip(header, (cell.strip() for cell in rows[0].strip("|").split("|"))))
    rates = [float(row[name]) for name in ("train()", "seed loop", "fused TF XLA")]
    assert all(rate > 0 for rate in rates), row
    # The table prints rates to 0.1 and the ratio (of the unrounded rates) to 0.01: compare the
    # ratio with the range the rounded rates allow, never with their own ratio (a slow seed loop,
    # e.g. 2.4 it/s, makes that rounding alone worth several per cent).
    printed_ratio = float(row["train/seed"].split("x")[0])
    lowest = (rates[0] - 0.05) / (rates[1] + 0.05) - 0.005
    highest = (rates[0] + 0.05) / max(rates[1] - 0.05, 1e-9) + 0.005
    assert lowest <= printed_ratio <= highest, (row, lowest, highest)
    if keras.backend.backend() != "tensorflow":  # the count runs in a TensorFlow process only
        return
    # the multiply-adds counted in both XLA programs: the classic iteration does more
    assert 0.7 < float(row["MACs fused/train"][:-1]) < 0.85, row
    # ...and each loop's multiply-adds per second: the count times the measured rate
    count = re.search(
        r"mlp b8: ([\d.]+) G multiply-adds per train\(\) iteration, ([\d.]+) G per fused",
        result.stdout,
    )
    speeds = re.search(
        r"per second at the measured rates \(TensorFlow's counts\): "
        r"train\(\) on tensorflow ([\d.]+) G/s, fused ([\d.]+) G/s",
        result.stdout,
    )
    assert count and speeds, result.stdout
    for multiply_adds, rate, speed in zip(count.groups(), (rates[0], rates[2]), speeds.groups()):
        # the same rounding: counts printed to 0.001, rates and speeds to 0.1
        multiply_adds = float(multiply_adds)
        lowest = (multiply_adds - 0.0005) * (rate - 0.05) - 0.05
        highest = (multiply_adds + 0.0005) * (rate + 0.05) + 0.05
        assert lowest <= float(speed) <= highest, (speed, multiply_adds, rate)


def import_benchmark(name):
    sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def markdown_rows(stdout):
    """The printed Markdown table: {model: {column: cell}}."""
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|"))))
        for line in lines[1:]
    ]
    return {row["model"]: row for row in rows}


def test_train_speed_prints_what_r1_costs(mnist_data_dir):
    result = run_train_speed(mnist_data_dir, "train,train-r1,train-no-gp", iterations=2)
    row = markdown_rows(result.stdout)["mlp"]
    assert float(row["train()"]) > 0 and float(row["train() R1"]) > 0, row
    cost = float(re.fullmatch(r"([\d.]+)x", row["train/R1"]).group(1))
    assert math.isfinite(cost) and cost > 0, row
    # the MLP has no built-in penalty to switch off: no "no GP" column or ratio, and a note says why
    assert "train() no GP" not in row and row["no GP/train"] == "-", row
    assert "note: mlp: no 'no GP' row (wgangp and the dcgan only; R1 is the train() R1 row)" in (
        result.stdout
    )


def test_penalty_ratios_are_time_with_the_penalty_over_time_without(capsys):
    train_speed = import_benchmark("train_speed")
    # Made-up rates, two rounds each: the penalty halves the rate in one round, thirds it in the
    # other, so each ratio is 2.5x (2.00-3.00) if taken the right way round, 0.42x if inverted.
    results = {
        ("mlp", 8): {"tensorflow": {"train": [30.0, 40.0], "train-r1": [10.0, 20.0]}},
        ("wgangp", 8): {"tensorflow": {"train": [10.0, 20.0], "train-no-gp": [30.0, 40.0]}},
    }
    args = types.SimpleNamespace(repeats=2, iterations=5, baseline=None)
    variants = ["train", "train-r1", "train-no-gp"]
    train_speed.print_tables(results, {}, variants, ["tensorflow"], [], args)
    rows = markdown_rows(capsys.readouterr().out)
    for model, column in (("mlp", "train/R1"), ("wgangp", "no GP/train")):
        median, lowest, highest = map(
            float, re.fullmatch(r"([\d.]+)x \(([\d.]+)-([\d.]+)\)", rows[model][column]).groups()
        )
        assert (median, lowest, highest) == pytest.approx((2.5, 2.0, 3.0), abs=0.006), rows[model]


def test_wgangp_without_penalty_differs_from_wgangp_in_its_penalty_alone(mnist_data_dir):
    train_speed = import_benchmark("train_speed")
    from keras_gan.penalties import PenalizedDiscriminator

    runners, notes = train_speed.make_runners(
        "wgangp", 8, ["train", "train-r1", "train-no-gp"], train_speed.Data(mnist_data_dir)
    )
    assert list(runners) == ["train", "train-no-gp"], runners
    with_penalty, without = runners["train"].gan, runners["train-no-gp"].gan
    batch = np.zeros((8, 28, 28, 1), "float32")
    assert with_penalty.penalty_points(batch, batch) is not None
    assert without.penalty_points(batch, batch) is None
    # the same wrapped critic, optimizer and critic steps: only the penalty is missing
    for gan in (with_penalty, without):
        assert isinstance(gan.discriminator, PenalizedDiscriminator)
    assert without.get_config() == with_penalty.get_config()
    assert "wgangp: no R1 row (refused: wgangp takes no r1_gamma)" in notes, notes


@pytest.mark.slow
def test_variants_train_on_their_data_and_say_what_an_iteration_is(mnist_data_dir):
    sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
    try:
        import train_speed
    finally:
        sys.path.pop(0)
    data = train_speed.Data(mnist_data_dir)
    # The CGAN trains on (images, labels): its four-call train() runs on them.
    runners, notes = train_speed.make_runners("cgan", 8, ["train-4-calls", "seed"], data)
    assert list(runners) == ["train-4-calls"], runners
    assert runners["train-4-calls"].rate(2) > 0
    assert (
        runners["train-4-calls"].gan.iteration == 3
    )  # one more than timed: the clock starts after it
    assert notes == ["cgan: no reference loops (seed, fused, PyTorch); compare its train() rows"], (
        notes
    )
    # A WGAN iteration holds 5 critic steps, and its row says so.
    runners, notes = train_speed.make_runners("wgan", 8, ["train"], data)
    assert notes == ["wgan: it/s counts generator iterations, each with 5 critic steps"], notes


def test_reference_loops_train_both_networks():
    sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "benchmarks"))
    try:
        import reference_loops
    finally:
        sys.path.pop(0)
    from keras_gan import GAN

    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    gan = GAN(seed=0)
    loops = {
        # the 2018 loop on the GAN's models: with the freeze repaired, D trains too
        "seed": (
            reference_loops.SeedLoop(gan, images, 8),
            gan.generator.weights,
            gan.discriminator.weights,
        ),
    }
    fused = reference_loops.FusedTFMLP(images, 8)
    loops["fused"] = (fused, fused.g_vars, fused.d_vars)
    if importlib.util.find_spec("torch") is not None:  # an optional extra, as in train_speed.py
        torch_mlp = reference_loops.TorchMLP(images, 8)
        loops["torch"] = (torch_mlp, list(torch_mlp.G.parameters()), list(torch_mlp.D.parameters()))

    def values(weights):  # Keras and TensorFlow variables, PyTorch parameters
        return [np.array(w.detach() if hasattr(w, "detach") else w) for w in weights]

    for name, (loop, g_weights, d_weights) in loops.items():
        g_before, d_before = values(g_weights), values(d_weights)
        loop.train(2)
        for network, before, weights in (("G", g_before, g_weights), ("D", d_before, d_weights)):
            after = values(weights)
            assert any(not np.array_equal(old, new) for old, new in zip(before, after)), (
                f"{name}: {network} did not train"
            )
            assert all(np.isfinite(new).all() for new in after), (
                f"{name}: {network} has non-finite weights"
            )


@pytest.mark.slow
def test_profile_sorts_the_jax_iterations_operation_time_by_kind(mnist_data_dir):
    command = [
        sys.executable,
        os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py"),
        "--data-dir",
        mnist_data_dir,
        "--batch-size",
        "8",
        "--iterations",
        "3",
    ]
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = dict(
        re.findall(
            r"^  (matrix products|optimizer updates|copies|the rest) +[\d.]+ ms +([\d.]+)%$",
            result.stdout,
            re.MULTILINE,
        )
    )
    assert set(rows) == {"matrix products", "optimizer updates", "copies", "the rest"}, (
        result.stdout
    )
    # every operation of XLA's program was found in the trace, once per iteration
    timed, in_program, fewest, most = map(
        int,
        re.search(
            r"timed (\d+) of the program's (\d+) operations, (\d+)-(\d+) times each", result.stdout
        ).groups(),
    )
    assert timed == in_program > 20 and fewest == most == 3, result.stdout
    # the MLP's products and Adam's updates were recognised as such
    assert float(rows["matrix products"]) > 10 and float(rows["optimizer updates"]) > 0, (
        result.stdout
    )
    multiply_adds, rate, lone_rate = map(
        float,
        re.search(
            r"The iteration: ([\d.]+) G multiply-adds .*?, ([\d.]+) G/s .*: ([\d.]+) G/s",
            result.stdout,
        ).groups(),
    )
    assert multiply_adds == pytest.approx(0.075, abs=0.002) and rate > 0 and lone_rate > 0, (
        result.stdout
    )


def test_profile_says_it_needs_jax():
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "profile_iteration.py")]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=1500, env=env)
    assert result.returncode != 0 and "KERAS_BACKEND=jax" in result.stderr, result.stderr[-3000:]


def test_live_game_benchmark_prints_redraws_iterations_and_frame_cost_of_each_tree():
    script = os.path.join(REPOSITORY_ROOT, "benchmarks", "live_game.py")
    command = [sys.executable, script, "--iterations", "200", "--trials", "1"]
    command += ["--baseline", REPOSITORY_ROOT]  # this tree twice: the table has both rows
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row[0].strip() for row in rows[1:]] == ["this tree", "baseline"], result.stdout
    for row in rows[1:]:
        redraws, iterations, frame_seconds = (float(cell) for cell in row[1:])
        assert redraws > 0 and iterations > 0 and 0 < frame_seconds < 60


def test_the_dcgans_r1_cost_is_measured_against_the_dcgan_without_it():
    train_speed = import_benchmark("train_speed")
    # R1 is the DCGAN's default: its "no GP" run is the DCGAN with r1_gamma=0, and no R1 row.
    assert [model for model in train_speed.MODELS if train_speed.has_r1_default(model)] == ["dcgan"]
