"""Where tests put the screenshots they take.

Tests never rewrite tracked files: by default their screenshots go to a temporary folder (they
are still taken, so the code that takes them runs). `make screenshots` sets
``MLOPS_BROWSER_SCREENSHOTS`` to ``docs/screenshots`` to refresh the README's and the docs' pictures.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_DEFAULT = Path(tempfile.gettempdir()) / f"mlops-concepts-screenshots-{os.getpid()}"


def screenshot_dir() -> Path:
    return Path(os.environ.get("MLOPS_BROWSER_SCREENSHOTS") or _DEFAULT)
