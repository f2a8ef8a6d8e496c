"""``python -m vnsearch``: the same as the ``vnsearch`` command."""

import sys

from vnsearch.cli import main

sys.exit(main())
