"""tinyml-labs core: data, train, optimize, convert, evaluate, export, codegen, board, report.

Importing this package puts TF_USE_LEGACY_KERAS=1 in force before anything imports TensorFlow:
TFMOT only works with tf-keras (Keras 2) objects, and TensorFlow 2.21 picks Keras 3 otherwise.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
