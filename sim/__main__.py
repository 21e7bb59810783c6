"""``python -m sim`` is the ``weilai`` command."""

from sim.cli import main

raise SystemExit(main())
