"""``python -m costmodel``."""

from costmodel.cli.main import main

raise SystemExit(main())
