"""``python -m gopay_support``: the staff command line (:mod:`gopay_support.cli`)."""

import sys

from gopay_support.cli import main

if __name__ == "__main__":
    sys.exit(main())
