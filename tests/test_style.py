"""The style is kept by a tool: `ruff check` and `ruff format --check` pass on the whole repository.

Ruff is in the [test] extra, so where the tests run it is installed: a missing ruff fails with
what to install, never skips. The rules and the 100-column limit are in pyproject.toml.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ruff(*arguments):
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]' installs it with the tests")
    # --no-cache: a test run should leave no .ruff_cache behind in the repository.
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--no-cache", REPOSITORY_ROOT],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ruff_check_finds_no_lint_error():
    result = ruff("check", "--output-format", "concise")
    assert result.returncode == 0, (
        f"ruff check found lint errors (fix them; `ruff check --fix` fixes some):\n"
        f"{result.stdout}{result.stderr}"
    )


def test_ruff_format_would_change_no_file():
    result = ruff("format", "--check")
    assert result.returncode == 0, (
        f"these files are not formatted: run `ruff format` on them:\n{result.stdout}{result.stderr}"
    )
