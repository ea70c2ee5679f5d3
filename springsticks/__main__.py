"""``python -m springsticks`` is the ``springsticks`` command."""
import sys

from .cli import console

sys.exit(console())
