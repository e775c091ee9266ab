"""Local stand-ins for AWS services, for tests and the offline demo.

Importing the package makes ``job_monitor`` (which lives in ``functions/``) importable, so
``python -m sim.<module>`` works from the repository root without setting ``PYTHONPATH``.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("job_monitor") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))
