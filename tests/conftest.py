"""Shared set-up for the test battery.

The independent references live in ``tests/reference.py``; this directory
is put on ``sys.path`` so the test modules can ``import reference`` however
pytest is invoked (from the repository root as ``pytest tests`` or from
inside ``tests``).
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
