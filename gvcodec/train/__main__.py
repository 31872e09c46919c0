"""``python -m gvcodec.train``: see :mod:`gvcodec.train.cli`."""
import sys

from gvcodec.train.cli import main

sys.exit(main())
