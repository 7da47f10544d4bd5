"""The project's runtime error hierarchy.

Low-level errors (botocore's `ClientError`, HTTP errors) are mapped to these at the boundary
where they happen, so logic and handlers reason about what went wrong, not how.
"""


class OpsAgentError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigurationError(OpsAgentError):
    """The function is deployed with a missing or invalid setting; nothing can succeed."""


class ServiceUnavailable(OpsAgentError):
    """An AWS service call failed in a way that a later retry may fix."""


class BadRequest(OpsAgentError):
    """The caller's input cannot be served as given; the message says what would work.

    Action groups answer it with HTTP 400 in Bedrock's response format, so the model can fix
    its call and try again.
    """


class CostDataUnavailable(ServiceUnavailable):
    """Cost Explorer (or another cost API) could not answer; the message says why."""


class NotEnabled(CostDataUnavailable):
    """A setting or opt-in the answer needs is off. Not a fault to retry: the tool answers
    200 with what is off and how to turn it on (DESIGN.md: opt-in services never error)."""

    def __init__(self, message: str, *, how_to_enable: str) -> None:
        super().__init__(message)
        self.how_to_enable = how_to_enable
