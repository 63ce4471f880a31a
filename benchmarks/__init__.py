"""Benchmarks of tunecraft against its peers (Optuna, Hyperopt, scikit-learn's searches).

Run by hand, never in CI; each module writes its report under ``benchmarks/results/``, summed up
in ``benchmarks/RESULTS.md``. See ``benchmarks/README.md``.
"""
