"""`python -m ocrlite` → the command-line interface."""

import sys

from ocrlite.cli import main

sys.exit(main())
