"""Import Keras with the torch backend unless the user chose another one."""

from __future__ import annotations

import os
import sys
from types import ModuleType

from tunecraft._imports import require


def load_keras() -> ModuleType:
    """The ``keras`` module (3.x); sets ``KERAS_BACKEND=torch`` if Keras is not loaded yet and
    no backend was chosen."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = require("keras", "keras")
    if not str(getattr(keras, "__version__", "0")).startswith("3"):
        raise ImportError(
            f"tunecraft.keras needs Keras 3, found {keras.__version__}; "
            "pip install 'tunecraft[keras]'"
        )
    return keras
