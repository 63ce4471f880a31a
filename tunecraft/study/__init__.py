"""Studies: creation, loading and deletion, and the Study class itself."""

from tunecraft.direction import StudyDirection
from tunecraft.study._begin import Reservation
from tunecraft.study.api import (
    StudySummary,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tunecraft.study.callbacks import MaxTrialsCallback, within_total
from tunecraft.study.study import Study

__all__ = ["MaxTrialsCallback", "Reservation", "Study", "StudyDirection", "StudySummary",
           "copy_study", "create_study", "delete_study", "get_all_study_names",
           "get_all_study_summaries", "load_study", "within_total"]
