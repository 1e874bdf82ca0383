"""The README tells the truth: CI runs its test command, and its figures exist."""

import os
import re

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name):
    with open(os.path.join(REPOSITORY_ROOT, name)) as stream:
        return stream.read()


def test_ci_runs_the_readme_test_command_word_for_word():
    readme_block = re.search(
        r"<!-- readme-test-command -->\n```bash\n(.*?)```", read("README.md"), re.S
    )
    ci_block = re.search(
        r"# readme-test-command-start\n(.*?)# readme-test-command-end", read(".ci/run"), re.S
    )
    assert readme_block and ci_block
    assert readme_block.group(1).strip() == ci_block.group(1).strip()


def test_every_picture_the_readme_shows_is_committed():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", read("README.md"))
    local = [
        path for path in pictures if not path.startswith("https://")
    ]  # (badges are web images)
    assert local
    for path in local:
        assert os.path.isfile(os.path.join(REPOSITORY_ROOT, path)), path
