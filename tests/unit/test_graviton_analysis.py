"""Graviton advice without AWS: who is a candidate, the price gap, effort, and the answer.

Monthly cost = Linux On-Demand hourly list price x 730, worked out by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from cost_analysis import graviton
from cost_analysis.graviton import Candidate, RegionFleet
from cost_analysis.inventory import Instance
from cost_analysis.rightsizing import ComputeOptimizerListing, ComputeOptimizerRecommendation
from cost_analysis.spot import AutoScalingGroup, GroupMember
from hypothesis import given
from hypothesis import strategies as st

US, SEOUL = "us-east-1", "ap-northeast-2"
PRICES = {
    "m5.xlarge": Decimal("0.192"),
    "m7g.xlarge": Decimal("0.1632"),
    "c5.xlarge": Decimal("0.192"),
    "c7g.xlarge": Decimal("0.163"),
    "r5.large": Decimal("0.126"),
    "r7g.large": Decimal("0.1071"),
    "t3.medium": Decimal("0.0416"),
    "t4g.medium": Decimal("0.0336"),
}


def instance(
    instance_id: str,
    instance_type: str = "m5.xlarge",
    *,
    architecture: str = "x86_64",
    platform: str = "linux",
    lifecycle: str = "on-demand",
    **tags: str,
) -> Instance:
    return Instance(
        id=instance_id,
        region=US,
        instance_type=instance_type,
        state="running",
        lifecycle=lifecycle,
        architecture=architecture,
        platform=platform,
        launch_time=None,
        availability_zone="us-east-1a",
        tags=dict(tags),
    )


def group(
    name: str, *members: tuple[str, str], overrides: tuple[str, ...] = (), **tags: str
) -> AutoScalingGroup:
    return AutoScalingGroup(
        name=name,
        in_service=tuple(GroupMember(instance_id=i, instance_type=t) for i, t in members),
        tags=dict(tags),
        override_types=overrides,
    )


def listing(*recs: tuple[str, tuple[str, ...]]) -> ComputeOptimizerListing:
    return ComputeOptimizerListing(
        recommendations=tuple(
            ComputeOptimizerRecommendation(instance_id=i, workload_types=w) for i, w in recs
        )
    )


# --- who is a candidate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (instance("i-1", "m5.xlarge"), None),
        (instance("i-2", "m7g.large"), "arm64 already"),
        (instance("i-3", "m5.large", architecture="arm64"), "arm64 already"),
        (instance("i-4", "c5.large", platform="windows"), "Windows (Graviton runs Linux)"),
        (
            instance("i-5", "c5.large", lifecycle="spot"),
            "Spot (list-price comparison does not apply)",
        ),
        (instance("i-6", "p3.2xlarge"), "GPU/accelerator type"),
        (instance("i-7", "m5.metal"), "bare metal type"),
        (instance("i-8", "m5.24xlarge"), "no same-size Graviton equivalent"),
        (instance("i-9", "x1e.xlarge"), "no same-size Graviton equivalent"),
    ],
)
def test_not_a_candidate(candidate: Instance, reason: str | None) -> None:
    assert graviton.not_a_candidate(candidate) == reason


def test_candidates_count_what_they_skip_and_judge_group_members_with_their_group() -> None:
    running = [
        instance("i-web", "m5.xlarge", Name="web-1", app="node-api"),
        instance("i-arm", "m7g.large"),  # arm64 already: not a candidate, and not counted
        instance("i-win", "c5.large", platform="windows"),
        instance("i-gpu", "p3.2xlarge"),
        instance("i-m1", "c5.xlarge", **{"aws:autoscaling:groupName": "api"}),
        instance("i-w1", "m5.large", platform="windows", **{"aws:autoscaling:groupName": "w"}),
        instance("i-s1", "m5.large", lifecycle="spot", **{"aws:autoscaling:groupName": "s"}),
    ]
    groups = [
        group(
            "api",
            ("i-m1", "c5.xlarge"),
            ("i-m2", "c5.xlarge"),
            overrides=("c5.xlarge", "m6i.xlarge", "x1e.xlarge"),
            team="python",
        ),
        group("w", ("i-w1", "m5.large"), ("i-w2", "m5.large")),
        group("s", ("i-s1", "m5.large")),
        group("big", ("i-b1", "m5.24xlarge"), ("i-b2", "m5.xlarge"), ("i-b3", "m5.xlarge")),
        group("arm", ("i-a1", "m7g.large")),  # arm64 already: silent
        group("empty"),
    ]
    workloads = graviton.inferred_workloads(listing(("i-m2", ("Nginx",)), ("i-web", ())))
    assert workloads == {"i-m2": frozenset({"Nginx"})}
    selection = graviton.candidates(running, groups, workloads)
    assert selection.candidates == (
        Candidate(
            kind="instance",
            id="i-web",
            name="web-1",
            types={"m5.xlarge": 1},
            tag_words=frozenset({"name", "web", "1", "app", "node", "api"}),
        ),
        Candidate(
            kind="auto-scaling-group",
            id="api",
            name="api",
            types={"c5.xlarge": 2},
            overrides=("m6i.xlarge",),  # running types and types without Graviton left out
            workloads=frozenset({"Nginx"}),
            tag_words=frozenset({"team", "python"}),
        ),
    )
    assert selection.skipped == {
        "Windows (Graviton runs Linux)": 1,
        "GPU/accelerator type": 1,
        "in a Windows Auto Scaling group": 2,
        "in an Auto Scaling group running Spot": 1,
        "in an Auto Scaling group with a type lacking a Graviton equivalent": 3,
    }
    assert graviton.priced_types(selection.candidates) == {
        "m5.xlarge",
        "m7g.xlarge",
        "c5.xlarge",
        "c7g.xlarge",
    }


def test_tag_words_leave_out_aws_tags() -> None:
    assert graviton.tag_words(
        {"aws:cloudformation:stack-name": "java-stack", "Runtime": "Spring_Boot"}
    ) == frozenset({"runtime", "spring", "boot"})


@pytest.mark.parametrize(
    ("workloads", "words", "effort"),
    [
        ({"Redis", "Nginx"}, set(), "low: Compute Optimizer sees software with arm64 builds"),
        ({"Redis", "Tomcat"}, {"java"}, "check: Compute Optimizer sees mixed software"),
        (set(), {"python", "node", "web"}, "likely low: tags mention node, python"),
        (set(), {"web"}, "unknown: check for native x86 dependencies"),
    ],
)
def test_effort(workloads: set[str], words: set[str], effort: str) -> None:
    candidate = Candidate(
        kind="instance",
        id="i-1",
        name="",
        types={"m5.xlarge": 1},
        workloads=frozenset(workloads),
        tag_words=frozenset(words),
    )
    assert graviton.effort(candidate) == effort


# --- the price gap ---------------------------------------------------------------------------


def test_a_candidate_of_two_types_is_priced_per_type() -> None:
    candidate = Candidate(
        kind="auto-scaling-group", id="mix", name="mix", types={"m5.xlarge": 1, "c5.xlarge": 2}
    )
    priced = graviton.price_candidate(candidate, US, PRICES)
    assert isinstance(priced, graviton.GravitonCandidate)
    assert priced.pairs == (("c5.xlarge", "c7g.xlarge"), ("m5.xlarge", "m7g.xlarge"))
    # now: 2 x 0.192 x 730 + 0.192 x 730 = 420.48; Graviton: 2 x 0.163 x 730 + 0.1632 x 730
    # = 237.98 + 119.136 = 357.116; saving 63.364
    assert (priced.current_monthly, priced.graviton_monthly, priced.saving) == (
        Decimal("420.480"),
        Decimal("357.1160"),
        Decimal("63.364"),
    )


def test_sql_server_missing_prices_and_no_gap_are_left_out() -> None:
    def one(instance_type: str, workloads: frozenset[str] = frozenset()) -> Candidate:
        return Candidate("instance", "i-1", "", {instance_type: 1}, workloads=workloads)

    sql = one("m5.xlarge", frozenset({"SQLServer", "Nginx"}))
    assert graviton.price_candidate(sql, US, PRICES) == (
        "i-1 in us-east-1 runs Nginx, SQLServer: not a Graviton candidate."
    )
    assert graviton.price_candidate(one("r5.xlarge"), US, PRICES) == (
        "no list price for r5.xlarge in us-east-1; i-1 not priced."
    )
    assert graviton.price_candidate(one("m5.xlarge"), US, {"m5.xlarge": Decimal("1")}) == (
        "no list price for m7g.xlarge in us-east-1; i-1 not priced."
    )
    same = {"m5.xlarge": Decimal("0.15"), "m7g.xlarge": Decimal("0.15")}
    assert graviton.price_candidate(one("m5.xlarge"), US, same) is None


# --- across regions, and the answer ----------------------------------------------------------


def test_the_answer_combines_regions_and_explains_what_is_missing() -> None:
    fleets = [
        RegionFleet(
            region=US,
            instances=(
                instance("i-web", "m5.xlarge", Name="web-1", app="node-api"),
                instance("i-cache", "r5.large", Name="cache"),
                instance("i-win", "c5.large", platform="windows"),
                instance("i-odd", "t3.large"),  # no price for t3.large
            ),
            listing=listing(("i-cache", ("Redis",))),
            prices=PRICES,
        ),
        RegionFleet(
            region=SEOUL,
            groups=(
                group(
                    "api",
                    ("i-m1", "c5.xlarge"),
                    ("i-m2", "c5.xlarge"),
                    overrides=("m6i.xlarge",),
                ),
            ),
            listing=ComputeOptimizerListing(off_reason="OptInRequiredException"),
            prices=PRICES,
        ),
        RegionFleet(
            region="eu-west-1",
            instances=(instance("i-bastion", "t3.medium", Name="bastion"),),
            listing_failure="ThrottlingException",
            prices=PRICES,
        ),
    ]
    failed = "region sa-east-1 was skipped: AccessDenied"
    analysis = graviton.analyze(fleets, failures=[failed])
    # api: 2 x (0.192 - 0.163) x 730 = 42.34; web: (0.192 - 0.1632) x 730 = 21.024;
    # cache: (0.126 - 0.1071) x 730 = 13.797; bastion: (0.0416 - 0.0336) x 730 = 5.84
    assert [(r.candidate.id, r.saving) for r in analysis.rows] == [
        ("api", Decimal("42.340")),
        ("i-web", Decimal("21.0240")),
        ("i-cache", Decimal("13.7970")),
        ("i-bastion", Decimal("5.8400")),
    ]
    assert analysis.total_saving == Decimal("83.001")
    assert analysis.compute_optimizer_off == {SEOUL: "OptInRequiredException"}
    assert analysis.skipped == (("Windows (Graviton runs Linux)", 1),)

    body = graviton.render(analysis, top=10)
    assert body["summary"] == (
        "4 Graviton candidate(s) in 3 region(s) could save about 83.00 USD a month at list "
        "prices; largest: auto-scaling-group api c5.xlarge -> c7g.xlarge (42.34)"
    )
    assert body["total_estimated_monthly_savings"] == "83.00"
    assert body["regions"] == [US, SEOUL, "eu-west-1"]
    assert body["effort_hints"] == graviton.EFFORT_HINTS
    notes = body["notes"]
    assert notes[:3] == [
        failed,
        "no list price for t3.large in us-east-1; i-odd not priced.",
        "Compute Optimizer failed in eu-west-1 (ThrottlingException); no workload types.",
    ]
    assert notes[3].startswith(
        "No inferred workload types: Compute Optimizer is off (not enrolled: "
        "OptInRequiredException in ap-northeast-2)"
    )
    assert notes[4:] == [
        "1 instance(s) skipped: Windows (Graviton runs Linux).",
        graviton.PUBLISHED_NOTE,
    ]
    api, web, cache, _ = body["items"]
    assert api == {
        "kind": "auto-scaling-group",
        "id": "api",
        "region": SEOUL,
        "current_type": "c5.xlarge",
        "graviton_type": "c7g.xlarge",
        "instances": 2,
        "effort": "unknown: check for native x86 dependencies",
        "also_override": "m6i.xlarge -> m7g.xlarge",
        "current_monthly_cost": "280.32",
        "graviton_monthly_cost": "237.98",
        "estimated_monthly_savings": "42.34",
    }
    assert (web["name"], web["effort"]) == ("web-1", "likely low: tags mention node")
    assert (cache["workload_types"], cache["estimated_monthly_savings"]) == (["Redis"], "13.80")


def test_nothing_found() -> None:
    body = graviton.render(graviton.analyze([RegionFleet(region=US)]), top=10)
    assert body["summary"] == "No x86 Linux instances with a Graviton equivalent in 1 region(s)."
    assert body["notes"] == [graviton.PUBLISHED_NOTE]
    assert body["total_estimated_monthly_savings"] == "0.00"


@given(
    st.lists(
        st.tuples(
            st.sampled_from([US, SEOUL]),
            st.sampled_from(["m5.xlarge", "c5.xlarge", "r5.large", "t3.medium"]),
            st.integers(min_value=1, max_value=4),
        ),
        max_size=10,
    )
)
def test_the_total_is_the_sum_of_the_rows_and_rows_come_largest_first(
    specs: list[tuple[str, str, int]],
) -> None:
    fleets = [
        RegionFleet(
            region=region,
            groups=tuple(
                group(f"g{n}", *((f"i-{n}-{k}", t) for k in range(count)))
                for n, (r, t, count) in enumerate(specs)
                if r == region
            ),
            prices=PRICES,
        )
        for region in (US, SEOUL)
    ]
    analysis = graviton.analyze(fleets)
    savings = [r.saving for r in analysis.rows]
    assert len(savings) == len(specs)  # every type here is cheaper on Graviton
    assert analysis.total_saving == sum(savings, Decimal(0))
    assert savings == sorted(savings, reverse=True)
