"""Stand-ins that ``benchmarks/optuna_examples.py`` puts on ``sys.path`` for Optuna's examples."""
