"""The ``tunecraft`` command line: ``run``, ``studies``, ``best``, ``trials``, ``export``,
``delete``. Each command is one module under :mod:`tunecraft.cli.commands`."""
