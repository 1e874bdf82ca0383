"""The README's "Write your own GAN" example, taken from the README itself, builds and trains."""

import os

import numpy as np

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = "<!-- subclass-example -->"


def readme_example():
    """The code between the two markers in README.md, without its ``` fences."""
    readme_path = os.path.join(REPOSITORY_ROOT, "README.md")
    if not os.path.exists(readme_path):
        raise AssertionError(f"{readme_path} is missing; it must show the subclass example.")
    with open(readme_path, encoding="utf-8") as stream:
        sections = stream.read().split(MARKER)
    if len(sections) != 3:
        raise AssertionError(
            f"README.md must hold the subclass example between two {MARKER} lines; "
            f"found {len(sections) - 1} markers."
        )
    lines = sections[1].strip().splitlines()
    return "\n".join(line for line in lines if not line.startswith("```")) + "\n"


def test_subclass_example_builds_and_trains(tmp_path):
    namespace = {}
    exec(readme_example(), namespace)
    gan = namespace["DropoutGAN"](seed=0)

    assert gan.generator.output_shape == (None, 28, 28, 1)
    assert any(layer.name.startswith("dropout") for layer in gan.discriminator.layers)
    images = np.random.default_rng(0).uniform(-1, 1, size=(8, 28, 28, 1)).astype("float32")
    generator_before = [np.array(weight) for weight in gan.generator.get_weights()]
    discriminator_before = [np.array(weight) for weight in gan.discriminator.get_weights()]

    history = gan.train(
        iterations=2, batch_size=4, data=images, output_dir=str(tmp_path), verbose=0
    )

    assert len(history["g_loss"]) == 2
    for before, after in [
        (generator_before, gan.generator.get_weights()),
        (discriminator_before, gan.discriminator.get_weights()),
    ]:
        assert all(not np.array_equal(old, new) for old, new in zip(before, after))
