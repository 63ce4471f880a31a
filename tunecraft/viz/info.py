"""Pure plot data ("info") functions: History in, immutable NamedTuples out.

Every plot of :mod:`tunecraft.viz` is an info function plus thin renderers (Plotly figure
JSON, Matplotlib axes), so tests check the numbers and renderers only draw them.
"""

from __future__ import annotations

from tunecraft.viz._common import Axis, Objective
from tunecraft.viz._info_params import (
    ContourInfo,
    ParallelInfo,
    SliceInfo,
    SlicePanel,
    contour_info,
    parallel_info,
    slice_info,
)
from tunecraft.viz._info_time import (
    Bar,
    Curve,
    CurvesInfo,
    LRRangeInfo,
    TimelineInfo,
    curves_info,
    lr_range_info,
    timeline_info,
)
from tunecraft.viz._info_values import (
    DistributionInfo,
    HistoryInfo,
    ImportanceInfo,
    ParetoInfo,
    SummaryInfo,
    distribution_info,
    history_info,
    importance_info,
    pareto_info,
    summary_info,
    trials_summary_info,
)

__all__ = [
    "Axis", "Bar", "ContourInfo", "Curve", "CurvesInfo", "DistributionInfo", "HistoryInfo",
    "ImportanceInfo", "LRRangeInfo", "Objective", "ParallelInfo", "ParetoInfo", "SliceInfo",
    "SlicePanel", "SummaryInfo", "TimelineInfo", "contour_info", "curves_info",
    "distribution_info", "history_info", "importance_info", "lr_range_info", "pareto_info",
    "parallel_info", "slice_info", "summary_info", "timeline_info", "trials_summary_info",
]
