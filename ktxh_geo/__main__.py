"""``python -m ktxh_geo``: the command line (ktxh_geo.cli)."""

import sys

from ktxh_geo.cli import main

if __name__ == "__main__":
    sys.exit(main())
