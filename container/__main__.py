"""``python -m container`` prints the bitstream specification, generated from the schema."""
from __future__ import annotations

import sys

from container.describe import describe_format

sys.stdout.write(describe_format())
