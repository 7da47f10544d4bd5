"""The incident routes: what the agent can ask while a team is fighting an incident.

Each route declares its parameters and hands them to one module's `run`, which returns a tool
response (`opsagent_shared.responses`). Everything is read-only and scoped to one region (the
deployment's, unless `region` is given).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from incident_analysis.choices import RESOURCE_TYPES, SEVERITIES

from incident.settings import settings
from opsagent_shared.actions import action_group_resolver
from opsagent_shared.parameters import Region, Top, one_of

app = action_group_resolver()


@app.get(
    "/alarms/active",
    operation_id="list_active_alarms",
    description=(
        "CloudWatch alarms currently in ALARM, newest first, with when each fired and its "
        "recent state changes. Start here for 'what is broken right now'."
    ),
)
def list_active_alarms(
    name_prefix: Annotated[
        str | None, Query(description="Only alarms whose name starts with this.")
    ] = None,
    region: Region = None,
    top: Top = 10,
) -> dict[str, Any]:
    from incident_analysis import alarms

    return alarms.run_active(name_prefix=name_prefix, region=region, top=top)


@app.get(
    "/alarms/details",
    operation_id="get_alarm_details",
    description=(
        "One alarm in detail: its metric, threshold and comparison, and the metric's values "
        "around the last breach, so you can see how far and how long it crossed the line."
    ),
)
def get_alarm_details(
    alarm_name: Annotated[str, Query(description="The exact alarm name.")],
    minutes_around: Annotated[
        int,
        Query(
            description="Minutes of metric data before and after the breach (10-720).",
            ge=10,
            le=720,
        ),
    ] = 60,
    region: Region = None,
) -> dict[str, Any]:
    from incident_analysis import alarms

    return alarms.run_details(alarm_name=alarm_name, minutes_around=minutes_around, region=region)


@app.get(
    "/logs/query",
    operation_id="query_logs",
    description=(
        "Searches CloudWatch Logs (Logs Insights) in one log group, or every group starting "
        "with a prefix, over a recent window; returns counts per message pattern and the top "
        "matching lines. Bounded in time and size."
    ),
)
def query_logs(
    log_group: Annotated[
        str,
        Query(
            description=(
                "Log group name, or a prefix ending in '*' such as '/aws/lambda/payments-*' "
                "(at most 10 groups)."
            )
        ),
    ],
    contains: Annotated[
        str | None,
        Query(description="Only lines containing this text, e.g. 'ERROR' or 'ConnectionTimeout'."),
    ] = None,
    minutes: Annotated[
        int, Query(description="How far back to search (5-1440 minutes).", ge=5, le=1440)
    ] = 60,
    region: Region = None,
    top: Top = 10,
) -> dict[str, Any]:
    from incident_analysis import logs

    return logs.run(
        log_group=log_group,
        contains=contains,
        minutes=minutes,
        region=region,
        top=top,
        allowed_prefixes=settings().log_group_prefixes,
    )


@app.get(
    "/changes/recent",
    operation_id="list_recent_changes",
    description=(
        "What changed recently: CloudTrail write events, CloudFormation stack updates, ECS "
        "deployments and Lambda updates in a window, optionally only for one service or "
        "resource. Use it for 'did anything change before this started'."
    ),
)
def list_recent_changes(
    hours: Annotated[
        int, Query(description="How far back to look (1-168 hours).", ge=1, le=168)
    ] = 24,
    resource: Annotated[
        str | None,
        Query(description="Only changes to this resource ID/name or service, e.g. 'payments-api'."),
    ] = None,
    region: Region = None,
    top: Top = 15,
) -> dict[str, Any]:
    from incident_analysis import changes

    return changes.run(hours=hours, resource=resource, region=region, top=top)


@app.get(
    "/resources/metrics",
    operation_id="get_resource_metrics",
    description=(
        "Key metrics of one EC2 instance, RDS database, Lambda function or ECS service over a "
        "window, summarized as min / average / max / p95 and a trend."
    ),
)
def get_resource_metrics(
    resource_id: Annotated[
        str,
        Query(
            description=(
                "Instance ID (i-...), RDS DB identifier, Lambda function name, or ECS service "
                "as 'cluster/service'."
            )
        ),
    ],
    resource_type: Annotated[
        str | None,
        one_of(
            RESOURCE_TYPES, "The kind of resource; guessed from the ID when omitted.", default=None
        ),
    ] = None,
    hours: Annotated[int, Query(description="Window in hours (1-336).", ge=1, le=336)] = 3,
    region: Region = None,
) -> dict[str, Any]:
    from incident_analysis import resource_metrics

    return resource_metrics.run(
        resource_id=resource_id, resource_type=resource_type, hours=hours, region=region
    )


@app.get(
    "/resources/describe",
    operation_id="describe_resource",
    description=(
        "Finds a resource by ID, name or tag (key=value) across EC2, RDS, Lambda and ECS and "
        "describes it: type, state, size, network placement, tags."
    ),
)
def describe_resource(
    query: Annotated[
        str,
        Query(
            description=(
                "An ID, a name, or a tag as key=value, e.g. 'payments-db' or 'team=payments'."
            )
        ),
    ],
    region: Region = None,
    top: Top = 5,
) -> dict[str, Any]:
    from incident_analysis import resources

    return resources.run(query=query, region=region, top=top)


@app.get(
    "/incidents/similar",
    operation_id="find_similar_incidents",
    description=(
        "Past incidents similar to a description, from the team's knowledge base: titles, "
        "dates, severity, root causes and resolutions. Use it for 'have we seen this before'."
    ),
)
def find_similar_incidents(
    text: Annotated[str, Query(description="What is happening, in a sentence or an error line.")],
    service: Annotated[
        str | None, Query(description="Only incidents of this service, e.g. rds, lambda, eks.")
    ] = None,
    severity: Annotated[
        str | None,
        one_of(
            SEVERITIES, "Only incidents of this severity (sev1 is the most severe).", default=None
        ),
    ] = None,
    top: Annotated[int, Query(description="How many incidents (1-10).", ge=1, le=10)] = 5,
) -> dict[str, Any]:
    from incident_analysis import knowledge

    return knowledge.run_similar(
        knowledge_base_id=settings().knowledge_base_id,
        text=text,
        service=service,
        severity=severity,
        top=top,
    )


@app.get(
    "/errors/analyze",
    operation_id="analyze_error_message",
    description=(
        "Analyzes a pasted error message: extracts its signature (service, error class, codes, "
        "resource identifiers), looks it up in the runbooks and past incidents, and returns "
        "likely causes and the runbooks to follow."
    ),
)
def analyze_error_message(
    message: Annotated[str, Query(description="The error text as pasted, up to 4,000 characters.")],
    top: Annotated[int, Query(description="How many matches (1-10).", ge=1, le=10)] = 5,
) -> dict[str, Any]:
    from incident_analysis import knowledge

    return knowledge.run_analyze(
        knowledge_base_id=settings().knowledge_base_id, message=message, top=top
    )
