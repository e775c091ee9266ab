"""Build a function asset without Docker: copy the code, then ``pip install --target`` the
requirements as wheels for the Lambda platform (manylinux, the function's architecture and Python
version), so what is bundled is what Lambda can import, whatever machine runs the synth."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

from infra import wheels

PIP_TIMEOUT_SECONDS = 300
BUNDLING_FAILED = "Asset bundling failed"
"""Starts every BundlingError message; jsii re-raises callback errors as RuntimeError, so app.py
recognizes a bundling failure by this text."""


def bundling_failure(exc: BaseException) -> str | None:
    """The BundlingError message carried by ``exc`` (possibly wrapped by jsii), or None."""
    text = str(exc)
    start = text.find(BUNDLING_FAILED)
    return text[start:] if start >= 0 else None


SKIP_SLACK = (
    " To synthesize without the Slack notifier, set the context key slack_secret_name to an "
    "empty string (-c slack_secret_name=)."
)


class BundlingError(RuntimeError):
    """The asset could not be built; the message says why and what to do."""


@jsii.implements(ILocalBundling)
class PipInstallLocally:
    """``ILocalBundling`` that never falls back to Docker: it bundles or fails the synth."""

    def __init__(
        self,
        source_dir: Path | None,
        requirements: Path,
        *,
        target_subdir: str = "",
        what_to_skip: str = SKIP_SLACK,
    ) -> None:
        """Copy ``source_dir`` (None: nothing) to the output directory, then install
        ``requirements`` into ``<output>/<target_subdir>`` (a layer's ``python``). ``what_to_skip``
        ends the failure message: how to synthesize without this asset, if one can."""
        self.source_dir = source_dir
        self.requirements = requirements
        self.target_subdir = target_subdir
        self.what_to_skip = what_to_skip

    def pip_command(self, output_dir: str) -> list[str]:
        return wheels.lambda_pip_command(self.requirements, Path(output_dir) / self.target_subdir)

    def try_bundle(self, output_dir: str, _options: Any = None) -> bool:
        if self.source_dir is not None:
            shutil.copytree(
                self.source_dir,
                output_dir,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        command = self.pip_command(output_dir)
        try:
            result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command, capture_output=True, text=True, check=False, timeout=PIP_TIMEOUT_SECONDS
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BundlingError(self._advice(f"pip could not run: {exc}")) from exc
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
            raise BundlingError(self._advice(f"pip exited with {result.returncode}:\n{tail}"))
        wheels.drop_console_scripts(Path(output_dir) / self.target_subdir)
        return True

    def _advice(self, what: str) -> str:
        source = f"{self.source_dir.name}/ with " if self.source_dir is not None else ""
        return (
            f"{BUNDLING_FAILED}: {source}{self.requirements.name}: {what}\n"
            "pip needs to reach PyPI (or a mirror: set PIP_INDEX_URL, or PIP_FIND_LINKS to a "
            f"directory of wheels).{self.what_to_skip}"
        )
