#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth`, or `CDK_OUTDIR=cdk.out python app.py`. Works offline.

Configuration comes from CDK context (cdk.json defaults, `-c key=value` overrides); see
infra/settings.py for the keys and their allowed values.
"""

from __future__ import annotations

import sys

from aws_cdk import App

from infra.app_builder import build_app
from infra.bundling import bundling_failure
from infra.settings import SettingsError


def main() -> int:
    app = App()
    try:
        stacks = build_app(app)
    except SettingsError as exc:
        print(f"Configuration error (CDK context): {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # jsii wraps errors raised in callbacks such as local bundling
        message = bundling_failure(exc)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 3
    for warning in stacks[0].settings.warnings() if stacks else ():
        print(f"Warning (CDK context): {warning}", file=sys.stderr)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
