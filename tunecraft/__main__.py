"""``python -m tunecraft``: the same command line as the ``tunecraft`` script."""

from __future__ import annotations

from tunecraft.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
