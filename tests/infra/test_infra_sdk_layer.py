"""Every function runs with the AWS SDK the project pins (requirements/sdk.txt), from one layer the
stack builds, rather than with the Lambda runtime's boto3 (which lags behind releases).

The layer's bundle is read from the synthesized cloud assembly, exactly as it would be uploaded.
Whether the functions really import from it is shown by tests/infra/test_infra_assets_clean_env.py.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from infra import REPO_ROOT, REQUIREMENTS_DIR, versions
from infra.bundling import PipInstallLocally
from tests.infra.support import Synthesized

SDK_REQUIREMENTS = REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS


def _layer(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(logical_id, layer)] = synthesized.resources("AWS::Lambda::LayerVersion").items()
    return logical_id, layer


def _asset_dir(synthesized: Synthesized, layer: dict[str, Any]) -> Path:
    manifest = json.loads(next(synthesized.outdir.glob("*.assets.json")).read_text())
    asset_hash = layer["Properties"]["Content"]["S3Key"].removesuffix(".zip")
    return synthesized.outdir / manifest["files"][asset_hash]["source"]["path"]


def _installed(site_dir: Path) -> dict[str, str]:
    """{distribution name (lower case): version} from the ``*.dist-info/METADATA`` files."""
    found = {}
    for metadata in site_dir.glob("*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1) for line in metadata.read_text().splitlines()[:3] if ": " in line
        )
        found[fields["Name"].lower()] = fields["Version"]
    return found


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_every_function_has_the_sdk_layer_last(synthesized: Synthesized) -> None:
    # Given the synthesized stack, Then there is one SDK layer for the functions' runtime and
    # architecture, and every function has it as its last layer (extracted last: its files win)
    logical_id, layer = _layer(synthesized)
    functions = synthesized.resources("AWS::Lambda::Function")
    assert functions
    for function in functions.values():
        properties = function["Properties"]
        assert properties["Layers"][-1] == {"Ref": logical_id}
        assert [properties["Runtime"]] == layer["Properties"]["CompatibleRuntimes"]
        assert properties["Architectures"] == layer["Properties"]["CompatibleArchitectures"]
    pinned = versions.pins(SDK_REQUIREMENTS.read_text())
    assert (
        f"boto3 {pinned['boto3']}, botocore {pinned['botocore']}"
        in (layer["Properties"]["Description"])
    )


@pytest.mark.slow
def test_the_layer_bundles_exactly_the_sdk_the_tests_run_with(synthesized: Synthesized) -> None:
    # Given the layer's asset as it would be uploaded
    _, layer = _layer(synthesized)
    site = _asset_dir(synthesized, layer) / "python"
    # Then it holds exactly requirements/sdk.txt's packages at their pinned versions, which are
    # the versions this test run imports (requirements/local.txt installs the same file)
    bundled = _installed(site)
    pinned = versions.pins(SDK_REQUIREMENTS.read_text())
    assert bundled == pinned
    assert {name: version(name) for name in bundled} == bundled
    assert (site / "botocore" / "data" / "bedrock").is_dir()
    # and nothing that needs the building machine: no compiled extension, no console script
    assert not list(site.rglob("*.so"))
    assert not (site / "bin").exists()


@pytest.mark.slow
def test_the_layer_build_is_the_same_wherever_it_runs(tmp_path: Path) -> None:
    # Given the layer's bundler (what the synth runs)
    bundler = PipInstallLocally(None, SDK_REQUIREMENTS, target_subdir="python")
    # When it builds the layer twice, into two directories
    first, second = tmp_path / "first", tmp_path / "second"
    for output in (first, second):
        output.mkdir()
        assert bundler.try_bundle(str(output))
    # Then both trees are identical (the asset hash is the output's, so it is stable) and no
    # file names the machine that built them (interpreter, repository or output paths)
    assert _tree_digest(first) == _tree_digest(second)
    machine = [sys.executable, str(REPO_ROOT), str(tmp_path)]
    for path in first.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not [m for m in machine if m.encode() in content], path
