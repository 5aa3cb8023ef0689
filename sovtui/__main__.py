"""`python -m sovtui` runs the CLI."""

from sovtui.cli import main

raise SystemExit(main())
