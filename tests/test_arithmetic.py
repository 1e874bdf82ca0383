"""benchmarks/arithmetic.py counts the multiply-adds XLA compiles, checked against hand counts."""

import os
import sys

import keras
import pytest
import tensorflow as tf

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
)
import arithmetic  # noqa: E402

from keras_gan import GAN  # noqa: E402


def count(function, *args):
    return arithmetic.tensorflow_multiply_adds(tf.function(function, jit_compile=True), *args)


def test_matrix_product_counts_rows_times_columns_times_inner_size():
    x, w = tf.ones((4, 6)), tf.ones((6, 7))
    assert count(lambda x, w: x @ w, x, w) == 4 * 7 * 6


def test_gradients_xla_does_not_need_are_not_counted():
    x, w = tf.ones((4, 6)), tf.ones((6, 7))

    def loss_and_tape(x, w):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, w])
            loss = tf.reduce_sum((x @ w) ** 2)
        return loss, tape

    def weight_gradient(x, w):
        loss, tape = loss_and_tape(x, w)
        return tape.gradient(loss, w)

    def both_gradients(x, w):
        loss, tape = loss_and_tape(x, w)
        return tape.gradient(loss, [x, w])

    product = 4 * 7 * 6
    # forward + dL/dw; dL/dx costs one more product, and nothing when not asked for (as for a
    # frozen model's weights): XLA prunes it, and so does the count
    assert count(weight_gradient, x, w) == 2 * product
    assert count(both_gradients, x, w) == 3 * product


def test_convolution_counts_output_size_times_window_and_input_channels():
    images, kernel = tf.ones((2, 8, 8, 3)), tf.ones((3, 3, 3, 5))
    convolve = lambda images, kernel: tf.nn.conv2d(images, kernel, strides=1, padding="SAME")  # noqa: E731
    assert count(convolve, images, kernel) == (2 * 8 * 8 * 5) * (3 * 3 * 3)


def test_transposed_convolution_counts_only_products_with_real_inputs():
    # XLA writes it as a convolution over the input with zeros between its pixels (lhs_dilate)
    images, kernel = tf.ones((1, 4, 4, 3)), tf.ones((4, 4, 5, 3))

    def transpose(images, kernel):
        return tf.nn.conv2d_transpose(
            images, kernel, output_shape=[1, 8, 8, 5], strides=2, padding="SAME"
        )

    assert (
        count(transpose, images, kernel) == (4 * 4 * 3) * (4 * 4) * 5
    )  # each input pixel, each tap, out


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="counts XLA's TensorFlow program of the iteration; the TensorFlow run covers it",
)
def test_classic_iteration_does_the_arithmetic_the_algorithm_implies():
    batch_size, d_steps = 8, 2
    generator = [(100, 256), (256, 512), (512, 1024), (1024, 784)]  # GAN's MLP layers (in, out)
    discriminator = [(784, 512), (512, 256), (256, 1)]
    G, D = (sum(i * o for i, o in layers) for layers in (generator, discriminator))
    # Input gradients are needed below the first layer only when something upstream trains.
    D_inputs = D - 784 * 512
    G_inputs = G - 100 * 256
    d_step = D + D + D_inputs  # forward, weight gradients, gradients between layers
    g_step = G + D + D + G + G_inputs  # G and D forward; back through the frozen D and through G
    # Each of D's steps makes its fake batch with G, then trains on the real and on the fake one.
    expected = batch_size * (d_steps * (G + 2 * d_step) + g_step)

    counted = arithmetic.train_iteration_multiply_adds(GAN(seed=0, d_steps=d_steps), batch_size)
    # XLA may write a product with D's one output unit (256 -> 1) as element-wise code instead
    # of a dot: per D step 2 forward, 2 weight gradients, 2 input gradients; 2 in G's step;
    # 256 multiply-adds each
    assert expected - (6 * d_steps + 2) * 256 * batch_size <= counted <= expected
