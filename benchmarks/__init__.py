"""Benchmarks of tunecraft against Optuna and Hyperopt: sample efficiency and sampler overhead.

Run by hand, never in CI: ``python -m benchmarks.run_all`` (or ``make bench``) writes
``benchmarks/RESULTS.md``. See ``benchmarks/README.md``.
"""
