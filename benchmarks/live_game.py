"""How fast the live picture of the 2-D game is: LiveGame's redraws a second while a ToyGAN trains
on the ring, the iterations a second beside them, and what one frame costs.

    python benchmarks/live_game.py                          # 3 trials of 600 iterations
    python benchmarks/live_game.py --baseline ../old        # the same, side by side with a
                                                            # checkout of another commit

Each trial is a fresh process (this tree's keras_gan, or --baseline's), trials of the two trees
alternate, so both see the same machine. The notebook's display is a stand-in that records when
each picture arrives; the rate is 1 / the median gap between redraws while training (the start's
compile and the end's saving are not in it). A frame: the median of 7 `gan.picture()` calls
after training, as LiveGame draws them (dpi 72, one extent), PNG included.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

WORKER = """
import io, json, sys, time
import numpy as np
from keras_gan import ToyGAN, game, notebook

class Display:
    times = []
    def update(self, *args, **options):
        self.times.append(time.perf_counter())

shown = Display()
notebook.display = lambda *args, **options: shown
iterations, seed, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
gan = ToyGAN(seed=seed)
live = notebook.LiveGame()
start = time.perf_counter()
gan.train(iterations=iterations, output_dir=folder, verbose=0, callbacks=[live])
seconds = time.perf_counter() - start
gaps = np.diff(shown.times[:-1])  # the last update is the end's picture
extent = game.plane_extent(gan.frame_real_points())
costs = []
for _ in range(8):
    started = time.perf_counter()
    gan.picture(extent=extent, dpi=72).save(io.BytesIO(), format="PNG")
    costs.append(time.perf_counter() - started)
print(json.dumps({
    "redraws_per_second": 1 / float(np.median(gaps)),
    "iterations_per_second": iterations / seconds,
    "frame_seconds": float(np.median(costs[1:])),
}))
"""


def trial(tree, iterations, seed, folder):
    env = {**os.environ, "PYTHONPATH": tree, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-c", WORKER, str(iterations), str(seed), folder]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tree)
    if result.returncode:
        sys.exit(f"the trial in {tree} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--baseline", help="another checkout of keras_gan, measured alongside")
    args = parser.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = {"this tree": here} | (
        {"baseline": os.path.abspath(args.baseline)} if args.baseline else {}
    )
    results = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as runs:
        for number in range(args.trials):
            for name, tree in trees.items():
                folder = os.path.join(runs, f"{len(results[name])}-{name}")
                results[name].append(trial(tree, args.iterations, number, folder))
                print(name, json.dumps(results[name][-1]), file=sys.stderr, flush=True)
    print("\n| tree | redraws a second while training | iterations a second | one frame (s) |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        print(
            f"| {name} | {median['redraws_per_second']:.2f} "
            f"| {median['iterations_per_second']:.1f} "
            f"| {median['frame_seconds']:.3f} |"
        )


if __name__ == "__main__":
    main()
