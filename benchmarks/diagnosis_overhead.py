"""What the diagnosis every run gets costs: the time spent in it, as a share of a training run.

    python benchmarks/diagnosis_overhead.py --iterations 1200 --data-dir ../shared/data/mnist

Times the default Diagnosis callback's own work (weight snapshots every 50 iterations, the log
checks, the mode check at 1000) inside a real MLP GAN run on MNIST. A share of the same run, not
two runs compared, so a busy machine's noise does not swamp it.
"""

import argparse
import time

from keras_gan import GAN
from keras_gan.datasets import load_mnist
from keras_gan.diagnosis import Diagnosis


class TimedDiagnosis(Diagnosis):
    def on_train_begin(self, logs=None):
        self.seconds = 0.0
        super().on_train_begin(logs)

    def on_train_batch_end(self, iteration, logs=None):
        start = time.perf_counter()
        super().on_train_batch_end(iteration, logs)
        self.seconds += time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=1200)
    parser.add_argument("--data-dir")
    parser.add_argument("--output-dir", default="/tmp/diagnosis_overhead")
    args = parser.parse_args()
    diagnosis = TimedDiagnosis()
    gan = GAN(seed=0)
    data = load_mnist(args.data_dir)
    start = time.perf_counter()
    gan.train(
        args.iterations,
        data=data,
        output_dir=args.output_dir,
        overwrite=True,
        verbose=0,
        callbacks=[diagnosis],
    )
    total = time.perf_counter() - start
    print(
        f"{args.iterations} iterations in {total:.1f} s; "
        f"the diagnosis took {diagnosis.seconds:.2f} s "
        f"({100 * diagnosis.seconds / total:.1f}%); findings: {[str(f) for f in gan.diagnoses]}"
    )


if __name__ == "__main__":
    main()
