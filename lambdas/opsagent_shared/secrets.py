"""Fields of a JSON secret in Secrets Manager, read at run time and cached (Powertools).

Secrets never travel in environment variables: a function gets the secret's ARN and reads the
value here, again after `MAX_AGE_SECONDS`, so a rotated value is picked up without a redeploy.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities import parameters

from opsagent_shared.errors import ConfigurationError, ServiceUnavailable

MAX_AGE_SECONDS = 300


class SecretNotFilled(ConfigurationError):
    """The secret has no value yet, or lacks a field; the message says what to do."""


def secret_field(secret_arn: str, name: str, *, how_to_fill: str) -> str:
    """The non-empty string `name` of the JSON secret `secret_arn`."""
    try:
        value = parameters.get_secret(secret_arn, max_age=MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        if "ResourceNotFoundException" in str(error):
            raise SecretNotFilled(f"the secret has no value yet: {how_to_fill}") from None
        raise ServiceUnavailable(f"the secret could not be read ({error})") from None
    try:
        field = json.loads(str(value)).get(name)
    except (ValueError, AttributeError):
        field = None
    if not isinstance(field, str) or not field.strip():
        raise SecretNotFilled(f"the secret needs a JSON object with {name}: {how_to_fill}")
    return field
