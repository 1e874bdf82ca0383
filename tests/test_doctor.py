"""`keras-gan doctor` passes on the installed Keras, and fails on a behaviour it must catch."""

import keras

from keras_gan import cli, doctor
from keras_gan.layers import FreezeSafeBatchNormalization


def test_the_doctor_passes_on_the_installed_keras(capsys):
    assert cli.main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Python ") and f"Keras {keras.__version__}" in lines[0]
    checks = lines[1:-1]
    assert len(checks) == len(doctor.CHECKS) and all(line.startswith("ok ") for line in checks)
    assert "when a step runs" in checks[0]  # Keras 3: the 2018 freeze never trains D
    assert lines[-1] == f"{len(doctor.CHECKS)} of {len(doctor.CHECKS)} checks passed."


def test_the_doctor_fails_when_a_frozen_batchnorm_loses_its_batch_statistics(monkeypatch, capsys):
    # As if a Keras release changed how the freeze-safe layer's parent behaves when frozen.
    monkeypatch.setattr(FreezeSafeBatchNormalization, "call", keras.layers.BatchNormalization.call)
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  BatchNormalization in a frozen model" in out
    assert "this Keras breaks the classic GAN pattern" in out


def test_the_doctor_fails_when_train_on_batch_logs_a_running_mean(monkeypatch, capsys):
    # Keras 2's train_on_batch(reset_metrics=False): each call's metrics averaged with the last.
    original = keras.Model.train_on_batch

    def cumulative(self, *args, **kwargs):
        logs = original(self, *args, **kwargs)
        previous = getattr(self, "_previous_logs", None)
        self._previous_logs = logs
        if isinstance(logs, dict) and previous is not None:
            return {name: (logs[name] + previous[name]) / 2 for name in logs}
        return logs

    monkeypatch.setattr(keras.Model, "train_on_batch", cumulative)
    assert doctor.check_train_on_batch_logs_each_call().passed is False


def test_a_check_that_raises_is_a_failure(monkeypatch, capsys):
    def broken():
        raise RuntimeError("no backend")

    monkeypatch.setattr(doctor, "CHECKS", (broken,))
    results = doctor.run_checks()
    assert [result.passed for result in results] == [False]
    assert "FAIL  broken: raised RuntimeError('no backend')" in capsys.readouterr().out
