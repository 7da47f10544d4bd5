#!/usr/bin/env python3
"""CDK entry point: settings from context, every stack, cdk-nag, and notes on what is off."""

import os
import sys

import aws_cdk as cdk

from infra.config import Settings, SettingsError
from infra.nag import enable_checks
from infra.stacks import build_app


def main() -> None:
    app = cdk.App()
    try:
        settings = Settings.from_context(
            app.node.try_get_context, default_account=os.environ.get("CDK_DEFAULT_ACCOUNT")
        )
    except SettingsError as error:
        sys.exit(str(error))
    for note in settings.disabled_integration_notes():
        print(f"note: {note}", file=sys.stderr)
    build_app(app, settings)
    enable_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
