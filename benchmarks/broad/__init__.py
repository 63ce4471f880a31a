"""The broad benchmark suite (#18): BBOB functions, bayesmark-style scikit-learn problems and
simulated learning-curve families, with peers in the same run (see ``run.py``)."""
