"""Samplers written against the old interface, which override ``sample`` and not ``sample_joint``.

``sample_joint`` is the one method a sampler implements; ``sample`` is derived from it. A class
whose nearest ``sample`` is more derived than its nearest ``sample_joint`` (``class
Mine(BaseSampler)`` with only ``sample``, or a subclass of a built-in that overrides ``sample``
to wrap it) used to be sampled through that ``sample`` for its joint proposal too. Such a
class still is, with a ``DeprecationWarning`` when it is defined; the adapter goes away in
tunecraft 0.3.

How: the class gets a ``sample_joint`` that calls its ``sample``. A ``super().sample(...)``
inside that override reaches ``BaseSampler.sample``, which then calls the ``sample_joint`` the
class inherited (not the adapter: no loop, the override applied once), and the system
attributes that inherited method returned (CMA-ES's state, NSGA-II's generation) are handed
back to the adapter, so a wrapped stateful sampler keeps its state.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

REMOVED_IN = "0.3"
_INHERITED = "_tunecraft_inherited_joint"
_attrs = threading.local()
"""Per thread: id(sampler) -> the attributes of the inherited ``sample_joint`` call."""

JointMethod = Callable[..., tuple[dict[str, Any], dict[str, Any]]]


def _nearest(cls: type, name: str) -> int:
    return next(i for i, k in enumerate(cls.__mro__) if name in vars(k))


def adapt(cls: type) -> None:
    """Give ``cls`` a ``sample_joint`` built on its ``sample`` if it overrides only that one."""
    if _nearest(cls, "sample") >= _nearest(cls, "sample_joint"):
        return
    warnings.warn(
        f"{cls.__qualname__} overrides sample() but not sample_joint(): a sampler implements "
        "sample_joint(space, history, rng, number) -> (values, attrs), and sample() is "
        "derived from it; rename the method and return "
        f"(values, {{}}). Samplers with only sample() stop working in tunecraft {REMOVED_IN}.",
        DeprecationWarning, stacklevel=4)
    inherited = vars(cls.__mro__[_nearest(cls, "sample_joint")])["sample_joint"]

    def sample_joint(self: Any, space: Any, history: Any, rng: Any, number: int
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
        stash = _stash()
        outer = stash.get(id(self))  # None unless a sampler nests itself
        stash[id(self)] = {}  # open: BaseSampler.sample may hand attributes back
        try:
            values = dict(self.sample(space, history, rng, number))
            return values, stash[id(self)]
        finally:
            if outer is None:
                del stash[id(self)]
            else:
                stash[id(self)] = outer

    sample_joint.__doc__ = f"``{cls.__qualname__}.sample`` (deprecated interface: see " \
                           "tunecraft.samplers._sample_only)."
    setattr(sample_joint, _INHERITED, inherited)
    cls.sample_joint = sample_joint  # type: ignore[attr-defined]


def joint_method(cls: type) -> JointMethod:
    """The ``sample_joint`` that ``BaseSampler.sample`` calls for an instance of ``cls``:
    its own, or for an adapted class the one it inherited."""
    joint = vars(cls.__mro__[_nearest(cls, "sample_joint")])["sample_joint"]
    while hasattr(joint, _INHERITED):
        joint = getattr(joint, _INHERITED)
    if getattr(joint, "__isabstractmethod__", False):
        raise NotImplementedError(
            f"{cls.__qualname__}.sample calls BaseSampler.sample, which has no sample_joint "
            "to derive from: implement sample_joint in the sampler")
    return joint  # type: ignore[no-any-return]


def adapted(cls: type) -> bool:
    """Whether ``cls`` samples through the deprecated adapter."""
    return hasattr(cls.sample_joint, _INHERITED)  # type: ignore[attr-defined]


def keep_attrs(sampler: object, attrs: dict[str, Any]) -> None:
    """Hand ``attrs`` of an inherited ``sample_joint`` call back to the adapter above it (if
    one is running on this thread for ``sampler``)."""
    stash = _stash()
    if attrs and id(sampler) in stash:
        stash[id(sampler)] = attrs


def _stash() -> dict[int, dict[str, Any]]:
    stash: dict[int, dict[str, Any]] | None = getattr(_attrs, "by_id", None)
    if stash is None:
        stash = _attrs.by_id = {}
    return stash
