"""Migration from Optuna: copy an Optuna study into tunecraft storage so it continues there."""

from tunecraft.migrate.optuna import import_optuna

__all__ = ["import_optuna"]
