"""The sandbox: a fictional AWS account in moto, the same one every run, for trying the tools
offline (`opsagent invoke ... --sandbox`, `make sandbox`).

What it holds: the benchmark's fictional fleet (`benchmarks.fictional_account`: four regions,
x86 and Graviton instances, Auto Scaling groups, gp2/gp3 and unattached volumes, idle Elastic
IPs, NAT gateways, a week of CPU), a small incident in us-east-1 (a `payments-db` database and
a `payments-api` log group with connection timeouts, two alarms in ALARM, the changes before
it), and a proposals table. moto's random generator is seeded, so resource IDs are the same on
every run and the README's examples can name them.

What moto does not implement is answered by canned services: the benchmark's (Price List, the
Cost Explorer reads moto lacks, Cost Optimization Hub, Compute Optimizer as not enrolled,
Savings Plans and RI offerings) and, here, Cost Explorer spend by day and group, CloudTrail
events, alarm history, and Knowledge Base retrieval over the repository's own `knowledge/`
documents (ranked by shared words: a stand-in for vector search, not a model of it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.awsrequest import AWSResponse

from benchmarks import fake_services, fictional_account
from benchmarks.cost_actions_calls import create_proposals_table
from opsagent_cli import REPO_ROOT
from opsagent_shared import aws

ACCOUNT_ID = "123456789012"  # moto's default account: the sandbox's, fictional
HOME_REGION = "us-east-1"
REGIONS = fictional_account.REGIONS  # where the fleet runs (SCAN_REGIONS)
INSTANCES = 24  # six a region: enough for every tool to find something, seeded in seconds
RANDOM_SEED = 2026
PROPOSALS_TABLE = "opsagent-sandbox-proposals"
KNOWLEDGE_BASE_ID = "SANDBOXKB1"
KNOWLEDGE_BUCKET = "opsagent-sandbox-knowledge"
GUARD_TAG = ("opsagent:allow-changes", "true")
INCIDENT_LOG_GROUP = "/aws/lambda/payments-api"
INCIDENT_DATABASE = "payments-db"
# The seeded resources each changeable kind is tried on (guard-tagged): the same every run, as
# moto's generator is seeded (a test checks these against a fresh sandbox).
EXAMPLES = {
    "volume_id": "vol-1c74d5607667395c8",
    "allocation_id": "eipalloc-60ae29223535369c3",
    "instance_id": "i-58e2759fe01868399",
    "group_name": "payments-web",
    "alarm_name": "payments-db-connections-high",
    "log_group": "/aws/lambda/payments-api",
    "resource_id": "payments-db",
}
EXAMPLE_GROUP = "payments-web"
ALARMS = ("payments-api-5xx-rate-high", "payments-db-connections-high")
ALARM_MINUTES = {ALARMS[0]: 34, ALARMS[1]: 36}  # when each went into ALARM
_OK = AWSResponse(url="https://sandbox.invalid", status_code=200, headers={}, raw=None)


@dataclass(frozen=True)
class Sandbox:
    """What a command needs to know about the seeded account."""

    now: datetime
    regions: tuple[str, ...]
    counter: fake_services.CallCounter
    examples: Mapping[str, str]  # parameter name -> an ID that exists here, for examples


def environment() -> dict[str, str]:
    """Every variable the action-group functions read, set as infra would for the sandbox."""
    return {
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",  # moto accepts anything; nothing leaves the process
        "AWS_DEFAULT_REGION": HOME_REGION,
        "AWS_REGION": HOME_REGION,
        "SCAN_REGIONS": ",".join(REGIONS),
        "KNOWLEDGE_BASE_ID": KNOWLEDGE_BASE_ID,
        "INCIDENT_LOG_GROUP_PREFIXES": "",
        "PROPOSALS_TABLE_NAME": PROPOSALS_TABLE,
        "GUARD_TAG": "=".join(GUARD_TAG),
        "GUARD_TAG_REQUIRED": "true",
        "PROPOSAL_TTL_HOURS": "24",
        # On here (off by default in a deployment), so the purchase tool can be tried; the cap
        # still applies.
        "PURCHASES_ENABLED": "true",
        "MAX_MONTHLY_COMMITMENT_USD": "500",
        "SLACK_APPROVALS": "false",
    }


@contextmanager
def running(now: datetime | None = None) -> Iterator[Sandbox]:
    """The sandbox account, seeded, for the duration of the block (moto in this process)."""
    from moto import mock_aws
    from moto.moto_api._internal import mock_random

    now = now or datetime.now(UTC).replace(microsecond=0)
    saved = dict(os.environ)
    os.environ.update(environment())
    aws.forget()
    with mock_aws():
        mock_random.seed(RANDOM_SEED)
        # Clients copy the session's handlers when made: install before any client exists.
        counter = fake_services.install(now.date())
        events = aws.session().get_component("event_emitter")
        events.register("before-call", _SandboxServices(now))
        fictional_account.seed(INSTANCES, now=now)
        examples = _guard_tagged_examples()
        _seed_incident(now)
        create_proposals_table(aws.client("dynamodb", HOME_REGION), PROPOSALS_TABLE)
        counter.reset()
        try:
            yield Sandbox(now=now, regions=REGIONS, counter=counter, examples=examples)
        finally:
            aws.forget()
            os.environ.clear()
            os.environ.update(saved)


def _guard_tagged_examples() -> dict[str, str]:
    """Tag one of each changeable resource in the home region with the guard tag (so a
    proposal for it passes the guard), and name them for examples."""
    ec2 = aws.client("ec2", HOME_REGION)
    autoscaling = aws.client("autoscaling", HOME_REGION)
    tag = [{"Key": GUARD_TAG[0], "Value": GUARD_TAG[1]}]
    # A 500 GiB gp2 data volume, attached to nothing (the fleet's gp2 volumes are 8 GiB roots).
    volume = ec2.create_volume(
        AvailabilityZone=f"{HOME_REGION}a",
        Size=500,
        VolumeType="gp2",
        TagSpecifications=[
            {"ResourceType": "volume", "Tags": [*tag, {"Key": "Name", "Value": "reports-data"}]}
        ],
    )
    address = next(a for a in ec2.describe_addresses()["Addresses"] if "AssociationId" not in a)
    standalone = [
        i["InstanceId"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] == "running"
        and not any(t["Key"] == "aws:autoscaling:groupName" for t in i.get("Tags", []))
    ]
    instance = {"InstanceId": min(standalone, key=_mean_cpu)}  # the idlest: stop_idle_instance
    ec2.create_tags(Resources=[address["AllocationId"], instance["InstanceId"]], Tags=tag)
    # A group of its own whose launch template carries the tag too (a Graviton move changes
    # the template; moto keeps tags on a launch template only when made with it).
    image = ec2.describe_launch_templates()["LaunchTemplates"][0]["LaunchTemplateId"]
    image_id = ec2.describe_launch_template_versions(LaunchTemplateId=image)[
        "LaunchTemplateVersions"
    ][0]["LaunchTemplateData"]["ImageId"]
    template = ec2.create_launch_template(
        LaunchTemplateName=EXAMPLE_GROUP,
        LaunchTemplateData={"ImageId": image_id, "InstanceType": "m5.large"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": tag}],
    )["LaunchTemplate"]["LaunchTemplateId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=EXAMPLE_GROUP,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=2,
        MaxSize=6,
        DesiredCapacity=3,
        VPCZoneIdentifier=subnet,
        Tags=[{"Key": GUARD_TAG[0], "Value": GUARD_TAG[1], "PropagateAtLaunch": False}],
    )
    return {
        "volume_id": volume["VolumeId"],
        "allocation_id": address["AllocationId"],
        "instance_id": instance["InstanceId"],
        "group_name": EXAMPLE_GROUP,
    }


def _mean_cpu(instance_id: str) -> float:
    cloudwatch = aws.client("cloudwatch", HOME_REGION)
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
        StartTime=now - timedelta(days=15),
        EndTime=now + timedelta(days=1),
        Period=86400,
        Statistics=["Average"],
    )["Datapoints"]
    return sum(p["Average"] for p in points) / len(points) if points else 100.0


def _seed_incident(now: datetime) -> None:
    """payments-api timing out on payments-db: the database, its metrics, the log lines, and
    two alarms in ALARM."""
    rds = aws.client("rds", HOME_REGION)
    rds.create_db_instance(
        DBInstanceIdentifier=INCIDENT_DATABASE,
        DBInstanceClass="db.r6g.large",
        Engine="postgres",
        AllocatedStorage=200,
        MasterUsername="sandbox",
        MasterUserPassword="sandbox-only-not-a-secret",
        Tags=[{"Key": "team", "Value": "payments"}, {"Key": "app", "Value": "api"}],
    )
    cloudwatch = aws.client("cloudwatch", HOME_REGION)
    connections = [
        {
            "MetricName": "DatabaseConnections",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": INCIDENT_DATABASE}],
            "Timestamp": now - timedelta(minutes=minute),
            "Value": 997.0 if minute < 40 else 410.0 + minute,
            "Unit": "Count",
        }
        for minute in range(0, 180, 5)
    ]
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=connections)
    cloudwatch.put_metric_alarm(
        AlarmName=ALARMS[0],
        AlarmDescription="payments-api 5xx rate over 2% for 3 minutes",
        Namespace="AWS/ApiGateway",
        MetricName="5XXError",
        Dimensions=[{"Name": "ApiName", "Value": "payments-api"}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=3,
        Threshold=0.02,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_metric_alarm(
        AlarmName=ALARMS[1],
        AlarmDescription="payments-db connections near max_connections",
        Namespace="AWS/RDS",
        MetricName="DatabaseConnections",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": INCIDENT_DATABASE}],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=900.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    for name, reason in zip(
        ALARMS,
        (
            "Threshold Crossed: 3 datapoints [0.241, 0.198, 0.177] were greater than 0.02",
            "Threshold Crossed: 1 datapoint [997.0] was greater than 900.0",
        ),
        strict=True,
    ):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason=reason)
    _backdate_alarms(now)
    logs = aws.client("logs", HOME_REGION)
    logs.create_log_group(logGroupName=INCIDENT_LOG_GROUP)
    logs.create_log_stream(logGroupName=INCIDENT_LOG_GROUP, logStreamName="2026/api/1")
    logs.put_log_events(
        logGroupName=INCIDENT_LOG_GROUP,
        logStreamName="2026/api/1",
        logEvents=[
            {"timestamp": int((now - timedelta(minutes=m)).timestamp() * 1000), "message": line}
            for m, line in _log_lines()
        ],
    )


def _backdate_alarms(now: datetime) -> None:
    """moto stamps a state change with the wall clock; the incident began ALARM_MINUTES ago, so
    the alarms say so (the only reach into moto's internals, for a consistent story)."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[ACCOUNT_ID][HOME_REGION]
    for name, minutes in ALARM_MINUTES.items():
        alarm = backend.alarms[name]
        stamp = alarm.state_updated_timestamp
        alarm.state_updated_timestamp = (now - timedelta(minutes=minutes)).replace(
            tzinfo=stamp.tzinfo
        )


def _log_lines() -> list[tuple[int, str]]:
    """(minutes ago, message), oldest first, as put_log_events requires."""
    lines = []
    for minute in range(38, 0, -1):
        lines.append((minute, f"INFO POST /v1/charges 200 {40 + minute % 7} ms"))
        if minute <= 35:
            lines.append(
                (
                    minute,
                    "ERROR ConnectionTimeout: could not obtain a connection from pool "
                    "HikariPool-1 within 30000 ms (payments-db:5432)",
                )
            )
        if minute % 9 == 0:
            lines.append((minute, "WARN HikariPool-1 - pool is at max size 40, 12 threads waiting"))
    return lines


class _SandboxServices:
    """Canned answers for what moto lacks or leaves empty, consistent with the seeded world."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.queries: dict[str, str] = {}

    def __call__(self, event_name: str, params: dict[str, Any], **_: Any) -> Any:
        _event, service, operation = event_name.split(".", 2)
        body = params.get("body")
        if service == "cost-explorer" and operation == "GetCostAndUsage":
            return _OK, _spend(json.loads(body or b"{}"))
        if service == "cloudtrail" and operation == "LookupEvents":
            return _OK, self._trail()
        if service == "cloudwatch" and operation == "DescribeAlarmHistory":
            return _OK, self._alarm_history(body if isinstance(body, dict) else {})
        if service == "bedrock-agent-runtime" and operation == "Retrieve":
            return _OK, _retrieve(json.loads(body or b"{}"))
        if service == "cloudwatch-logs" and operation == "StartQuery":
            query_id = f"sandbox-query-{len(self.queries)}"
            self.queries[query_id] = str(json.loads(body or b"{}").get("queryString", ""))
            return _OK, {"queryId": query_id}
        if service == "cloudwatch-logs" and operation == "GetQueryResults":
            query_id = str(json.loads(body or b"{}").get("queryId", ""))
            return _OK, self._query_results(self.queries.get(query_id, ""))
        return None

    def _query_results(self, query: str) -> dict[str, Any]:
        """Logs Insights over the seeded lines: the query's `like /(?i).../` filter applied,
        newest first (moto keeps log events but ignores a query's filter)."""
        match = re.search(r"like /\(\?i\)(.*?)/", query)
        wanted = re.compile(match.group(1), re.IGNORECASE) if match else None
        lines = [
            (self.now - timedelta(minutes=minutes), message)
            for minutes, message in reversed(_log_lines())
            if wanted is None or wanted.search(message)
        ]
        return {
            "status": "Complete",
            "statistics": {
                "recordsMatched": float(len(lines)),
                "recordsScanned": float(len(_log_lines())),
                "bytesScanned": float(sum(len(m) for _, m in _log_lines())),
            },
            "results": [
                [
                    {"field": "@timestamp", "value": at.strftime("%Y-%m-%d %H:%M:%S.000")},
                    {"field": "@message", "value": message},
                    {"field": "@logStream", "value": "2026/api/1"},
                ]
                for at, message in lines[:200]
            ],
        }

    def _trail(self) -> dict[str, Any]:
        changes = [
            (42, "UpdateFunctionConfiguration20150331v2", "lambda.amazonaws.com",
             "AWS::Lambda::Function", "payments-api", "deploy-bot"),
            (44, "PutParameter", "ssm.amazonaws.com", "AWS::SSM::Parameter",
             "/payments/api/hikari.maximumPoolSize", "jae.kim"),
            (300, "ModifyDBParameterGroup", "rds.amazonaws.com", "AWS::RDS::DBParameterGroup",
             "payments-db-params", "mina.park"),
        ]  # fmt: skip
        return {
            "Events": [
                {
                    "EventId": f"sandbox-event-{index}",
                    "EventName": name,
                    "ReadOnly": "false",
                    "EventTime": self.now - timedelta(minutes=minutes),
                    "EventSource": source,
                    "Username": user,
                    "Resources": [{"ResourceType": kind, "ResourceName": resource}],
                    "CloudTrailEvent": json.dumps(
                        {"eventName": name, "userIdentity": {"type": "AssumedRole"}}
                    ),
                }
                for index, (minutes, name, source, kind, resource, user) in enumerate(changes)
            ]
        }

    def _alarm_history(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Each alarm: into ALARM now, and a short blip yesterday; newest first."""
        names = [str(request["AlarmName"])] if request.get("AlarmName") else list(ALARMS)
        items: list[dict[str, Any]] = []
        for name in names:
            since = ALARM_MINUTES.get(name, 30)
            for minutes, old, new in ((since, "OK", "ALARM"), (1440, "ALARM", "OK"),
                                      (1455, "OK", "ALARM")):  # fmt: skip
                items.append(
                    {
                        "AlarmName": name,
                        "AlarmType": "MetricAlarm",
                        "Timestamp": self.now - timedelta(minutes=minutes),
                        "HistoryItemType": "StateUpdate",
                        "HistorySummary": f"Alarm updated from {old} to {new}",
                        "HistoryData": json.dumps(
                            {"oldState": {"stateValue": old}, "newState": {"stateValue": new}}
                        ),
                    }
                )
        items.sort(key=lambda item: str(item["Timestamp"].isoformat()), reverse=True)
        return {"AlarmHistoryItems": items}


# --- Cost Explorer: a month of plausible spend, by any grouping the tools ask for -------------

_SERVICES = {
    "Amazon Elastic Compute Cloud - Compute": "412.30",
    "Amazon Relational Database Service": "188.75",
    "EC2 - Other": "96.40",
    "Amazon Simple Storage Service": "41.10",
    "AWS Lambda": "22.85",
    "Amazon CloudWatch": "18.20",
    "Amazon Virtual Private Cloud": "14.60",
}
_GROUP_VALUES = {
    "SERVICE": list(_SERVICES),
    "REGION": list(REGIONS),
    "LINKED_ACCOUNT": [ACCOUNT_ID],
    "USAGE_TYPE": ["BoxUsage:m5.large", "BoxUsage:c5.xlarge", "EBS:VolumeUsage.gp2",
                   "NatGateway-Hours", "DataTransfer-Regional-Bytes"],
    "INSTANCE_TYPE": ["m5.large", "m5.xlarge", "c5.xlarge", "r5.large", "m7g.large"],
}  # fmt: skip


def _spend(request: Mapping[str, Any]) -> dict[str, Any]:
    """Daily (or monthly) UnblendedCost over the requested period, split over the requested
    groups with fixed shares; EC2 compute dips in the last days, as if someone cleaned up."""
    period = request.get("TimePeriod") or {}
    start = date.fromisoformat(str(period.get("Start")))
    end = date.fromisoformat(str(period.get("End")))
    monthly = request.get("Granularity") == "MONTHLY"
    group_by = [g.get("Key", "SERVICE") for g in request.get("GroupBy") or []]
    daily_total = sum((Decimal(v) for v in _SERVICES.values()), Decimal(0)) / 30
    results = []
    cursor = start
    while cursor < end:
        step_end = _next_month(cursor) if monthly else cursor + timedelta(days=1)
        step_end = min(step_end, end)
        days = (step_end - cursor).days
        wobble = Decimal(1) + Decimal((cursor.toordinal() * 37) % 11 - 5) / 100
        amount = daily_total * days * wobble
        entry: dict[str, Any] = {
            "TimePeriod": {"Start": cursor.isoformat(), "End": step_end.isoformat()},
            "Estimated": step_end > date.today(),
        }
        if group_by:
            entry["Total"] = {}
            entry["Groups"] = [
                {"Keys": keys, "Metrics": {"UnblendedCost": _money(amount * share)}}
                for keys, share in _shares(group_by)
            ]
        else:
            entry["Total"] = {"UnblendedCost": _money(amount)}
            entry["Groups"] = []
        results.append(entry)
        cursor = step_end
    return {
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": key} for key in group_by],
    }


def _shares(group_by: list[str]) -> list[tuple[list[str], Decimal]]:
    shares: list[tuple[list[str], Decimal]] = [([], Decimal(1))]
    for key in group_by:
        values = _GROUP_VALUES.get(key, [f"{key.lower()}-{n}" for n in range(1, 4)])
        weights = (
            [Decimal(_SERVICES[v]) for v in values]
            if key == "SERVICE"
            else [Decimal(len(values) - n) for n in range(len(values))]
        )
        total = sum(weights)
        shares = [
            ([*keys, value], share * weight / total)
            for keys, share in shares
            for value, weight in zip(values, weights, strict=True)
        ]
    return shares


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _money(amount: Decimal) -> dict[str, str]:
    return {"Amount": str(amount.quantize(Decimal("0.0000000001"))), "Unit": "USD"}


# --- Knowledge Base retrieval over knowledge/ -------------------------------------------------

_WORD = re.compile(r"[\w가-힣-]{3,}")
# Words too common to say two texts are about the same thing.
_STOP_WORDS = frozenset(
    (
        "the", "and", "for", "from", "after", "with", "was", "were", "are", "this", "that",
        "into", "when", "then", "than", "have", "has", "had", "not", "but", "our", "out",
        "any", "all", "its",
    )
)  # fmt: skip


@dataclass(frozen=True)
class _Chunk:
    uri: str
    text: str
    metadata: Mapping[str, Any]
    words: frozenset[str]


def _corpus() -> list[_Chunk]:
    chunks = []
    root = REPO_ROOT / "knowledge"
    for document in sorted(root.glob("*/*.md")):
        sidecar = document.with_name(document.name + ".metadata.json")
        attributes: dict[str, Any] = {}
        if sidecar.exists():
            attributes = json.loads(sidecar.read_text(encoding="utf-8"))["metadataAttributes"]
        uri = f"s3://{KNOWLEDGE_BUCKET}/knowledge/{document.relative_to(root)}"
        for section in re.split(r"\n(?=## )", document.read_text(encoding="utf-8")):
            text = section.strip()
            if text:
                words = _words(text)
                metadata = {**attributes, "x-amz-bedrock-kb-source-uri": uri}
                chunks.append(_Chunk(uri=uri, text=text[:2000], metadata=metadata, words=words))
    return chunks


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text)) - _STOP_WORDS


def _matches(condition: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> bool:
    if not condition:
        return True
    if "andAll" in condition:
        return all(_matches(c, metadata) for c in condition["andAll"])
    if "orAll" in condition:
        return any(_matches(c, metadata) for c in condition["orAll"])
    if "equals" in condition:
        return str(metadata.get(condition["equals"]["key"])) == str(condition["equals"]["value"])
    if "notEquals" in condition:
        wanted = condition["notEquals"]
        return str(metadata.get(wanted["key"])) != str(wanted["value"])
    return True  # a filter the sandbox does not model narrows nothing


def _retrieve(request: Mapping[str, Any]) -> dict[str, Any]:
    query = str((request.get("retrievalQuery") or {}).get("text") or "")
    vector = (request.get("retrievalConfiguration") or {}).get("vectorSearchConfiguration") or {}
    wanted = _words(query)
    scored = []
    for chunk in _corpus():
        if not _matches(vector.get("filter"), chunk.metadata):
            continue
        shared = len(wanted & chunk.words)
        if shared:
            scored.append((shared / (len(wanted) or 1), chunk))
    scored.sort(key=lambda pair: -pair[0])
    return {
        "retrievalResults": [
            {
                "content": {"text": chunk.text, "type": "TEXT"},
                "location": {"type": "S3", "s3Location": {"uri": chunk.uri}},
                "score": round(min(0.99, 0.3 + score * 0.7), 3),
                "metadata": dict(chunk.metadata),
            }
            for score, chunk in scored[: int(vector.get("numberOfResults") or 5)]
        ]
    }
