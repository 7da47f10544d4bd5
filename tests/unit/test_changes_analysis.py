"""Recent changes: the pure timeline over records, its rendering, and the parsing of answers.

Every figure and string here is written out by hand; none is computed by the code under test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis.changes import (
    NO_TIME,
    Change,
    Deployment,
    Fetched,
    FunctionRecord,
    ServiceRecord,
    StackRecord,
    Timeline,
    TrailEvent,
    Window,
    _lambda_time,
    analyze,
    render,
    service_record,
    trail_event,
)

END = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = Window(start=END - 24 * HOUR, end=END, resource=None)


def at(hours_before: float) -> datetime:
    return END - timedelta(hours=hours_before)


# --- analyze -----------------------------------------------------------------------------------


def test_every_source_merges_into_one_timeline_newest_first() -> None:
    fetched = Fetched(
        trail=(TrailEvent("RunInstances", "ec2", at(7), ("", "i-0abc"), who="bob"),),
        stacks=(StackRecord("payments-stack", "UPDATE_COMPLETE", at(2)),),
        functions=(FunctionRecord("payments-api", at(1), "Successful"),),
        services=(
            ServiceRecord(
                "prod",
                "payments-api",
                (
                    Deployment(
                        at(0.25), "PRIMARY", "IN_PROGRESS", "arn:x:task/payments-api:7", 0, 2
                    ),
                ),
            ),
        ),
    )

    timeline = analyze(fetched, DAY)

    assert timeline.changes == (
        Change(
            at(0.25), "ecs", "deployment PRIMARY, IN_PROGRESS, payments-api:7, 0/2 running",
            "prod/payments-api",
        ),
        Change(
            at(1), "lambda", "function created or updated (LastUpdateStatus Successful)",
            "payments-api",
        ),
        Change(at(2), "cloudformation", "UPDATE_COMPLETE", "payments-stack"),
        Change(at(7), "cloudtrail", "RunInstances (ec2)", "i-0abc", "bob"),
    )  # fmt: skip
    assert timeline.by_source == (
        ("cloudtrail", 1),
        ("cloudformation", 1),
        ("lambda", 1),
        ("ecs", 1),
    )
    assert timeline.window == DAY


def test_ties_in_time_are_ordered_by_source_then_resource_then_what() -> None:
    same = at(3)
    fetched = Fetched(
        trail=(
            TrailEvent("StopInstances", "ec2", same, ("i-2",)),
            TrailEvent("CreateTags", "ec2", same, ("i-2",)),
            TrailEvent("RunInstances", "ec2", same, ("i-1",)),
        ),
        stacks=(StackRecord("a-stack", "UPDATE_COMPLETE", same),),
    )

    changes = analyze(fetched, DAY).changes

    assert [(c.source, c.resource, c.what) for c in changes] == [
        ("cloudformation", "a-stack", "UPDATE_COMPLETE"),
        ("cloudtrail", "i-1", "RunInstances (ec2)"),
        ("cloudtrail", "i-2", "CreateTags (ec2)"),
        ("cloudtrail", "i-2", "StopInstances (ec2)"),
    ]


def test_the_window_includes_both_ends_and_nothing_outside_or_undated() -> None:
    fetched = Fetched(
        stacks=(
            StackRecord("at-start", "CREATE_COMPLETE", at(24)),
            StackRecord("at-end", "CREATE_COMPLETE", at(0)),
            StackRecord("too-old", "CREATE_COMPLETE", at(24) - timedelta(seconds=1)),
            StackRecord("future", "CREATE_COMPLETE", at(0) + timedelta(seconds=1)),
            StackRecord("undated", "CREATE_COMPLETE", None),
        ),
        functions=(FunctionRecord("undated-fn", None), FunctionRecord("old-fn", at(48))),
        services=(
            ServiceRecord("c", "s", (Deployment(None, "PRIMARY"), Deployment(at(30), "ACTIVE"))),
        ),
    )

    timeline = analyze(fetched, DAY)

    assert [c.resource for c in timeline.changes] == ["at-end", "at-start"]
    assert timeline.by_source == (
        ("cloudtrail", 0),
        ("cloudformation", 2),
        ("lambda", 0),
        ("ecs", 0),
    )


def test_a_resource_filters_by_case_insensitive_substring_and_drops_read_only_events() -> None:
    window = Window(start=DAY.start, end=DAY.end, resource="Payments")
    fetched = Fetched(
        trail=(
            TrailEvent("GetFunction", "lambda", at(1), ("payments-api",), read_only=True),
            TrailEvent("UpdateFunctionCode", "lambda", at(2), ("payments-api",)),
        ),
        stacks=(
            StackRecord("PAYMENTS-stack", "UPDATE_COMPLETE", at(3)),
            StackRecord("search-stack", "UPDATE_COMPLETE", at(3)),
        ),
        functions=(FunctionRecord("payments-api", at(4)), FunctionRecord("other", at(4))),
    )

    timeline = analyze(fetched, window)

    assert [(c.source, c.resource) for c in timeline.changes] == [
        ("cloudtrail", "payments-api"),
        ("cloudformation", "PAYMENTS-stack"),
        ("lambda", "payments-api"),
    ]


def test_read_only_events_stay_without_a_resource_filter() -> None:
    fetched = Fetched(trail=(TrailEvent("GetFunction", "", at(1), (), read_only=True),))

    (change,) = analyze(fetched, DAY).changes

    # no source: the event name alone; no resource name: an empty resource
    assert (change.what, change.resource) == ("GetFunction", "")


def test_an_undated_trail_event_is_kept_and_sorts_last() -> None:
    fetched = Fetched(
        trail=(TrailEvent("CreateTags", "ec2", None, ("i-1",)),),
        stacks=(StackRecord("s", "UPDATE_COMPLETE", at(23)),),
    )

    changes = analyze(fetched, DAY).changes

    assert [(c.resource, c.time) for c in changes] == [("s", at(23)), ("i-1", NO_TIME)]
    assert datetime(1, 1, 1, tzinfo=UTC) == NO_TIME


def test_a_failed_source_is_left_out_of_the_counts_but_keeps_what_it_read() -> None:
    fetched = Fetched(
        stacks=(StackRecord("read-before-the-failure", "UPDATE_COMPLETE", at(1)),),
        failed=("cloudformation", "ecs"),
        notes=("cloudformation could not be read in us-east-1 (Throttling).",),
    )

    timeline = analyze(fetched, DAY)

    assert timeline.by_source == (("cloudtrail", 0), ("lambda", 0))
    assert [c.resource for c in timeline.changes] == ["read-before-the-failure"]
    assert timeline.notes == ("cloudformation could not be read in us-east-1 (Throttling).",)


@pytest.mark.parametrize(
    ("deployment", "what"),
    [
        (
            Deployment(at(1), "PRIMARY", "COMPLETED", "app:3", 2, 2),
            "deployment PRIMARY, COMPLETED, app:3, 2/2 running",
        ),
        (Deployment(at(1), "ACTIVE"), "deployment ACTIVE"),
        (
            Deployment(at(1), "", task_definition="arn:aws:ecs:r:1:task-definition/web:12"),
            "deployment, web:12",
        ),
        (Deployment(at(1), "PRIMARY", running=0, desired=None), "deployment PRIMARY"),
        (Deployment(at(1), "PRIMARY", running=0, desired=0), "deployment PRIMARY, 0/0 running"),
    ],
)
def test_what_a_deployment_says(deployment: Deployment, what: str) -> None:
    (change,) = analyze(
        Fetched(services=(ServiceRecord("prod", "web", (deployment,)),)), DAY
    ).changes

    assert (change.what, change.resource) == (what, "prod/web")


def test_nothing_read_is_an_empty_timeline() -> None:
    timeline = analyze(Fetched(), DAY)

    assert timeline.changes == ()
    assert timeline.by_source == (
        ("cloudtrail", 0),
        ("cloudformation", 0),
        ("lambda", 0),
        ("ecs", 0),
    )


moments = st.integers(min_value=-3 * 24 * 3600, max_value=24 * 3600).map(
    lambda seconds: END - timedelta(seconds=seconds)
)
names = st.sampled_from(["payments-api", "search", "Payments-db", "worker"])


@given(
    stacks=st.lists(st.tuples(names, st.none() | moments), max_size=15),
    functions=st.lists(st.tuples(names, st.none() | moments), max_size=15),
    resource=st.none() | st.sampled_from(["payments", "PAY", "zzz"]),
)
def test_the_timeline_is_what_falls_in_the_window_newest_first_and_counted(
    stacks: list[tuple[str, datetime | None]],
    functions: list[tuple[str, datetime | None]],
    resource: str | None,
) -> None:
    window = Window(start=DAY.start, end=DAY.end, resource=resource)
    fetched = Fetched(
        stacks=tuple(StackRecord(n, "UPDATE_COMPLETE", t) for n, t in stacks),
        functions=tuple(FunctionRecord(n, t) for n, t in functions),
    )

    def kept(records: list[tuple[str, datetime | None]]) -> int:
        return sum(
            1
            for name, moment in records
            if moment is not None
            and DAY.start <= moment <= DAY.end
            and (resource is None or resource.lower() in name.lower())
        )

    timeline = analyze(fetched, window)

    counts = dict(timeline.by_source)
    assert counts == {
        "cloudtrail": 0,
        "cloudformation": kept(stacks),
        "lambda": kept(functions),
        "ecs": 0,
    }
    assert len(timeline.changes) == sum(counts.values())
    times = [c.time for c in timeline.changes]
    assert times == sorted(times, reverse=True)
    assert all(window.start <= t <= window.end for t in times)


# --- render ------------------------------------------------------------------------------------


def timeline_of(
    *changes: Change, resource: str | None = None, counts: dict[str, int] | None = None
) -> Timeline:
    window = Window(start=DAY.start, end=DAY.end, resource=resource)
    return Timeline(window=window, changes=changes, by_source=tuple((counts or {}).items()))


def test_the_summary_names_the_newest_change_and_who_made_it() -> None:
    timeline = timeline_of(
        Change(at(0.5), "cloudtrail", "PutBucketPolicy (s3)", "logs-bucket", "user/alice"),
        Change(at(2), "lambda", "function created or updated", "payments-api"),
        counts={"cloudtrail": 1, "cloudformation": 0, "lambda": 1},
    )

    body = render(timeline, hours=24, region="us-east-1", top=10)

    assert body["summary"] == (
        "2 change(s) in the last 24 h in us-east-1 (cloudtrail 1, cloudformation 0, lambda 1); "
        "newest "
        "2026-11-21T02:30:00Z: cloudtrail PutBucketPolicy (s3) on logs-bucket by user/alice"
    )
    assert body["items"] == [
        {
            "time": "2026-11-21T02:30:00Z",
            "source": "cloudtrail",
            "what": "PutBucketPolicy (s3)",
            "resource": "logs-bucket",
            "who": "user/alice",
        },
        {
            "time": "2026-11-21T01:00:00Z",
            "source": "lambda",
            "what": "function created or updated",
            "resource": "payments-api",
        },
    ]
    assert body["period"] == {"start": "2026-11-20T03:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert body["by_source"] == {"cloudtrail": 1, "cloudformation": 0, "lambda": 1}
    assert (body["region"], body["total_count"], body["omitted"]) == ("us-east-1", 2, 0)
    assert "currency" not in body


def test_a_change_without_a_resource_or_author_says_so_and_top_truncates() -> None:
    timeline = timeline_of(
        Change(at(1), "cloudtrail", "ConsoleLogin (signin)", ""),
        Change(at(2), "cloudtrail", "CreateTags (ec2)", "i-1"),
        Change(at(3), "cloudtrail", "RunInstances (ec2)", "i-1"),
        resource="i-1",
        counts={"cloudtrail": 3},
    )

    body = render(timeline, hours=6, region="ap-northeast-2", top=1)

    assert body["summary"] == (
        "3 change(s) matching 'i-1' in the last 6 h in ap-northeast-2 (cloudtrail 3); newest "
        "2026-11-21T02:00:00Z: cloudtrail ConsoleLogin (signin) on unknown resource"
    )
    assert [i["what"] for i in body["items"]] == ["ConsoleLogin (signin)"]
    assert (body["total_count"], body["omitted"]) == (3, 2)


def test_no_changes() -> None:
    assert render(timeline_of(), hours=1, region="us-east-1", top=5)["summary"] == (
        "No changes in the last 1 h in us-east-1"
    )
    body = render(timeline_of(resource="db"), hours=2, region="us-east-1", top=5)
    assert body["summary"] == "No changes matching 'db' in the last 2 h in us-east-1"
    assert (body["items"], body["total_count"], body["by_source"]) == ([], 0, {})


# --- parsing AWS answers -------------------------------------------------------------------------


def event(**fields: Any) -> dict[str, Any]:
    return {"EventName": "CreateTags", "EventSource": "ec2.amazonaws.com", **fields}


def identity(**user: str) -> dict[str, str]:
    return {"CloudTrailEvent": json.dumps({"userIdentity": user})}


@pytest.mark.parametrize(
    ("fields", "who"),
    [
        ({"Username": "alice", **identity(arn="arn:aws:iam::1:user/bob")}, "alice"),
        (
            identity(arn="arn:aws:sts::111122223333:assumed-role/Deployer/ci"),
            "assumed-role/Deployer/ci",
        ),
        (identity(invokedBy="cloudformation.amazonaws.com"), "cloudformation.amazonaws.com"),
        (identity(principalId="AIDAEXAMPLE"), "AIDAEXAMPLE"),
        ({"CloudTrailEvent": "{not json"}, ""),
        ({"CloudTrailEvent": json.dumps(["a list"])}, ""),
        ({"CloudTrailEvent": json.dumps({"userIdentity": "root"})}, ""),
        ({}, ""),
    ],
)
def test_who_made_a_trail_event(fields: dict[str, Any], who: str) -> None:
    assert trail_event(event(**fields)).who == who


def test_a_trail_event_as_a_record() -> None:
    naive = datetime(2026, 11, 21, 1, 0)  # botocore may hand back naive times
    record = trail_event(
        event(
            EventTime=naive,
            ReadOnly="True",
            Resources=[{"ResourceType": "AWS::EC2::Instance"}, {"ResourceName": "i-0abc"}],
        )
    )

    assert record == TrailEvent(
        name="CreateTags",
        source="ec2",
        time=datetime(2026, 11, 21, 1, 0, tzinfo=UTC),
        resources=("", "i-0abc"),
        who="",
        read_only=True,
    )
    bare = trail_event({"Resources": None, "EventTime": "yesterday"})
    assert (bare.name, bare.source, bare.time, bare.resources, bare.read_only) == (
        "unknown",
        "",
        None,
        (),
        False,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T10:15:00.000+0000", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-11-20T10:15:00.123456789+0000", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-11-20T19:15:00+09:00", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-11-20T05:15:00-0500", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-11-20T10:15:00Z", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-11-20T10:15:00", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("2026-02-30T10:15:00.000+0000", None),
        ("2026-11-20 10:15", None),
        ("", None),
        (None, None),
        (1_700_000_000, None),
    ],
)
def test_lambda_last_modified(raw: Any, expected: datetime | None) -> None:
    assert _lambda_time(raw) == expected


def test_an_ecs_service_as_a_record() -> None:
    created = datetime(2026, 11, 21, 11, 0, tzinfo=timezone(timedelta(hours=9)))
    record = service_record(
        "prod",
        {
            "serviceName": "web",
            "deployments": [
                {
                    "status": "PRIMARY",
                    "rolloutState": "FAILED",
                    "taskDefinition": "arn:aws:ecs:r:1:task-definition/web:3",
                    "runningCount": 1,
                    "desiredCount": 3,
                    "createdAt": created,
                },
                {"status": "ACTIVE"},
            ],
        },
    )

    assert record == ServiceRecord(
        cluster="prod",
        name="web",
        deployments=(
            Deployment(
                created=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
                status="PRIMARY",
                rollout_state="FAILED",
                task_definition="arn:aws:ecs:r:1:task-definition/web:3",
                running=1,
                desired=3,
            ),
            Deployment(created=None, status="ACTIVE"),
        ),
    )
