"""Decision: what a pruner tells a running trial at a report (a core value, like the direction).

It lives at the root so that the trial, the trainers and the integrations read a pruner's
answer without importing the pruners package (data flows trial -> pruner, not back).
"""

from __future__ import annotations

import enum


class Decision(enum.Enum):
    """What a pruner tells a running trial at a report.

    ``PAUSE`` stops the trial like ``PRUNE`` (``should_prune()`` is True for both), but the
    trial may save a checkpoint first and a scheduler may later resume it from there.
    """

    CONTINUE = "continue"
    PRUNE = "prune"
    PAUSE = "pause"
