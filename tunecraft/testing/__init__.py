"""Conformance suites for plug-ins: subclass a contract in a pytest module to test your own part.

``StorageContract`` checks a Storage backend, ``SamplerContract`` a sampler and
``PrunerContract`` a pruner or scheduler; they ship with tunecraft so that third-party
plug-ins are held to the same rules as the built-in ones. Importing this package imports
pytest and hypothesis (dev dependencies); ``import tunecraft`` never does.
"""

from __future__ import annotations

from tunecraft.testing._values import exact, on_grid, spaces, trial_image, unique_name
from tunecraft.testing.pruner_contract import PrunerContract
from tunecraft.testing.sampler_contract import SamplerContract
from tunecraft.testing.storage_contract import StorageContract

__all__ = ["PrunerContract", "SamplerContract", "StorageContract", "exact", "on_grid", "spaces",
           "trial_image", "unique_name"]
