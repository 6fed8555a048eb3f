"""MNIST end to end on the emulated Cortex-M7 with a real (small, quickly trained) int8 model:
tf-keras -> int8 converter -> shared.codegen -> firmware -> QEMU; the device's int8 scores must equal the TFLM host
runtime's byte for byte on every sample, through the serial path and in bulk, and its pixel features must equal
mnist/pixels.py bit for bit."""

import importlib.util

import pytest

import shared  # noqa: F401  (tf-keras before TensorFlow)
from mnist import config as mnist_config
from mnist.data import load_mnist
from mnist.demo import MnistDemo
from mnist.pixels import scale_pixels
from shared.board.verify import HostReference, raw_bytes, tflm_expected_scores, verify_on_emulator
from shared.chain import firmware_step, write_identity_header
from shared.codegen import write_model
from shared.convert import representative_samples, to_int8
from tests.conftest import missing, require_tool

pytestmark = [pytest.mark.firmware, pytest.mark.slow]

TRAIN_IMAGES = 3000
TEST_IMAGES = 300


def _small_cnn():
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential([
        tf.keras.Input((28, 28, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, strides=2, activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip


def test_mnist_device_equals_tflm_host(tmp_path, mnist_data):
    import tensorflow as tf

    for tool in ("cmake", "arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    if importlib.util.find_spec("shared.codegen") is None:
        missing("shared.codegen (the generated-C compiler)")
    data = load_mnist(mnist_data, test_size=TEST_IMAGES, seed=0)
    x_train = scale_pixels(data.train_images[:TRAIN_IMAGES])
    tf.keras.utils.set_random_seed(0)
    model = _small_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, data.train_labels[:TRAIN_IMAGES], epochs=2, batch_size=64, verbose=0)
    tflite = tmp_path / "small_int8.tflite"
    tflite.write_bytes(to_int8(model, representative_samples(x_train, 200)))

    images, labels = data.test_images[:TEST_IMAGES], data.test_labels[:TEST_IMAGES]
    features = scale_pixels(images).reshape(len(images), -1)
    c_dir = tmp_path / "export" / "c"  # as the chain's export step lays it out
    write_model(tflite.read_bytes(), c_dir, "model", tflite.name)
    MnistDemo().write_sources(mnist_config.QUICK, None, c_dir)
    write_identity_header(c_dir, "small")
    images_built = firmware_step(MnistDemo(), tmp_path)
    elf = {name: tmp_path / image["elf"] for name, image in images_built.items()}
    reference = HostReference(raw_bytes(images), tflm_expected_scores(tflite.read_bytes(), scale_pixels(images)),
                              labels, features, features)
    metrics = verify_on_emulator("mnist", elf["mps2-an500-serial"], elf["mps2-an500-semihosting"], reference,
                                 images_built["mps2-an500-serial"], images_built["stm32f746g-disco-serial"])

    print({k: v for k, v in metrics.items() if k != "problems"})
    assert metrics["problems"] == [] and metrics["status"] == "passed"
    assert metrics["agree_with_host"] == 1.0
    assert metrics["samples"] == TEST_IMAGES and metrics["details"]["serial_samples"] == 100
    assert metrics["accuracy"] > 0.7
    assert metrics["details"]["stm32f746g_disco"]["fits"]
    assert metrics["counter"]["per_inference"] > 0
