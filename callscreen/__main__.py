"""``python -m callscreen`` — same as the ``callscreen`` console command."""

import sys

from callscreen.cli import main

sys.exit(main())
