"""``python -m springsticks`` is the ``springsticks`` command."""
import sys

from .cli import main

sys.exit(main())
