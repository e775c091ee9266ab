"""CDK app for the Bedrock Job Monitor.

The app validates its context with the same routing and configuration code that the Lambda
functions run, so ``functions/`` is put on the import path here, once.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
REQUIREMENTS_DIR = REPO_ROOT / "requirements"

if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))
