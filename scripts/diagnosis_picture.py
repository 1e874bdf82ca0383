"""Draw the README's picture of a diagnosed failure from a run folder.

    keras-gan train --discriminator-learning-rate 2e-3 --iterations 1000 --seed 0 \\
        --data-dir ../shared/data/mnist --output-dir runs/strong_d
    python scripts/diagnosis_picture.py runs/strong_d images/readme/diagnosis_mode_collapse.png

Left, the samples; right, the digits the shipped classifier reads in 500 of them; above, the
line the diagnosis printed (found again as `keras-gan evaluate` finds it).
"""

import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from keras_gan import metrics, plots  # noqa: E402
from keras_gan.checkpoints import load_gan  # noqa: E402
from keras_gan.diagnosis import diagnose_finished_run  # noqa: E402
from keras_gan.files import atomic_path  # noqa: E402


def main(folder, output):
    gan = load_gan(folder)
    shares = metrics.class_coverage(gan.generate(500, seed=0))["digit_shares"]
    findings = diagnose_finished_run(gan, folder, shares)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4.6), width_ratios=(1, 1.2))
    left.imshow(np.asarray(plots.grid_image(gan.generate(25, seed=0), scale=2)), cmap="gray")
    left.set_axis_off()
    left.set_title(f"samples at iteration {gan.iteration}", fontsize=10)
    right.bar(range(10), shares, color="tab:red")
    right.set_xticks(range(10))
    right.set_xlabel("digit the classifier reads")
    right.set_ylabel("share of 500 samples")
    text = "\n".join(textwrap.fill(str(finding), 110) for finding in findings) or "no diagnosis"
    figure.suptitle(text, fontsize=7.5, family="monospace", x=0.02, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.78))
    with atomic_path(output) as temporary:
        figure.savefig(temporary, dpi=110, format="png")
    print(f"Wrote {output}:\n{text}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
