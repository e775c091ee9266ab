"""Installing requirements as wheels for the Lambda platform into a directory: what a function's
asset or a layer bundles. Pure Python (no aws_cdk import): the synth's bundler
(``infra.bundling.PipInstallLocally``) and the benchmark (``sim/bench_lambda.py``, which measures
the SDK layer) run the same command."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from infra import versions


def lambda_pip_command(requirements: Path, target: Path) -> list[str]:
    """``pip install --target`` of ``requirements`` as wheels for the functions' platform
    (manylinux, ``versions.LAMBDA_ARCHITECTURE``, CPython ``versions.PYTHON_VERSION``), whatever
    machine runs it. No bytecode is compiled: the output stays the same on every machine."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # no .pyc: the output (and its asset hash) stays reproducible
        "--target",
        str(target),
        "--platform",
        versions.PIP_PLATFORMS[versions.LAMBDA_ARCHITECTURE],
        "--implementation",
        "cp",
        "--python-version",
        versions.PYTHON_VERSION,
        "--only-binary=:all:",
        "--requirement",
        str(requirements),
    ]


def drop_console_scripts(site_dir: Path) -> None:
    """Remove what ``pip install --target`` writes that names the machine that ran it: the
    console scripts in ``bin/`` (their ``#!`` line is the building interpreter's path) and their
    lines in the ``*.dist-info/RECORD`` files (which carry those scripts' hashes). Nothing imports
    them, and without them the output, hence the asset hash, is the same on every machine."""
    shutil.rmtree(site_dir / "bin", ignore_errors=True)
    for record in site_dir.glob("*.dist-info/RECORD"):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("../../bin/")]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")
