"""`python -m ghost_core.cli`: the same as the `ghostswap` console script."""

import sys

from ghost_core.cli.app import main

sys.exit(main())
