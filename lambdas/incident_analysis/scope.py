"""Which region an incident tool looks at: the caller's, validated, else the deployment's."""

from __future__ import annotations

from opsagent_shared.errors import BadRequest
from opsagent_shared.regions import current_scope, target_regions


def resolve_region(region: str | None) -> str:
    """The one region to read: `region` if given (must be enabled), else the function's own.

    Validation lists the account's enabled regions (ec2:DescribeRegions), so an unknown or
    mistyped code is a 400 naming the valid ones.
    """
    requested = (region or "").strip()
    if not requested:
        home = current_scope().home
        if not home:
            raise BadRequest("no default region is configured; give region, e.g. 'us-east-1'")
        return home
    if "," in requested:
        raise BadRequest(f"give one region, not a list ('{requested}')")
    return target_regions(requested)[0]
