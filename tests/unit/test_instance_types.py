"""Instance-type knowledge: Graviton equivalents, kinds of types, one size down, Spot siblings."""

from __future__ import annotations

import pytest
from cost_analysis import instance_types as it
from hypothesis import given
from hypothesis import strategies as st

X86_FAMILIES = sorted(it.GRAVITON_FAMILY)
FAMILIES = sorted({*X86_FAMILIES, *it.GRAVITON_FAMILY.values(), *it.FAMILY_SIZES, "i3", "x2idn"})


@pytest.mark.parametrize(
    ("x86", "graviton"),
    [
        ("m5.xlarge", "m7g.xlarge"),
        ("m6i.large", "m7g.large"),
        ("m7i.2xlarge", "m7g.2xlarge"),
        ("m5a.4xlarge", "m7g.4xlarge"),
        ("m6a.16xlarge", "m7g.16xlarge"),
        ("m5d.large", "m7gd.large"),
        ("c5.xlarge", "c7g.xlarge"),
        ("c6i.8xlarge", "c7g.8xlarge"),
        ("c5n.2xlarge", "c7gn.2xlarge"),
        ("r5.large", "r7g.large"),
        ("r6i.12xlarge", "r7g.12xlarge"),
        ("r6id.xlarge", "r7gd.xlarge"),
        ("t3.micro", "t4g.micro"),
        ("t3a.nano", "t4g.nano"),
        ("t2.2xlarge", "t4g.2xlarge"),
        ("m7a.medium", "m7g.medium"),
        ("m8i.48xlarge", "m8g.48xlarge"),
        ("M5.XLarge", "m7g.xlarge"),
    ],
)
def test_graviton_equivalent_keeps_the_size_and_the_class(x86: str, graviton: str) -> None:
    assert it.graviton_equivalent(x86) == graviton


@pytest.mark.parametrize(
    "instance_type",
    [
        "m7g.large",  # arm64 already
        "t4g.micro",
        "c6gn.xlarge",
        "a1.large",
        "m5.24xlarge",  # no 24xlarge in m7g
        "c5.9xlarge",  # no 9xlarge in c7g
        "t3.xlarge.extra",  # malformed size
        "m5.metal",
        "p3.2xlarge",  # GPU
        "g4dn.xlarge",
        "inf2.xlarge",
        "mac2.metal",
        "x1e.xlarge",  # family without a mapped equivalent
        "i3.large",
    ],
)
def test_graviton_equivalent_is_none_when_there_is_no_same_size_arm64_type(
    instance_type: str,
) -> None:
    assert it.graviton_equivalent(instance_type) is None


@pytest.mark.parametrize(
    ("instance_type", "arm64"),
    [
        ("m7g.large", True),
        ("m6gd.xlarge", True),
        ("c7gn.large", True),
        ("t4g.nano", True),
        ("x2gd.large", True),
        ("im4gn.large", True),
        ("is4gen.large", True),
        ("g5g.xlarge", True),
        ("a1.medium", True),
        ("m5.large", False),
        ("m6a.large", False),
        ("g4dn.xlarge", False),
        ("m7i-flex.large", False),
        ("c5n.large", False),
    ],
)
def test_is_arm64(instance_type: str, arm64: bool) -> None:
    assert it.is_arm64(instance_type) is arm64


def test_kinds_of_types() -> None:
    assert it.is_burstable("t3.micro")
    assert it.is_burstable("t4g.large")
    assert not it.is_burstable("m5.large")
    assert it.is_accelerated("p4d.24xlarge")
    assert it.is_accelerated("trn1.2xlarge")
    assert it.is_accelerated("g6.xlarge")
    assert it.is_accelerated("f1.2xlarge")
    assert not it.is_accelerated("m5.large")
    assert not it.is_accelerated("c7gn.large")
    assert it.is_metal("c5.metal")
    assert it.is_metal("m7i.metal-24xl")
    assert it.is_mac("mac1.metal")
    assert it.special_kind("mac1.metal") == "Mac"
    assert it.special_kind("m5.metal") == "bare metal"
    assert it.special_kind("g5.xlarge") == "GPU/accelerator"
    assert it.special_kind("m5.large") is None


@pytest.mark.parametrize(
    ("instance_type", "smaller"),
    [
        ("m5.xlarge", "m5.large"),
        ("m5.2xlarge", "m5.xlarge"),
        ("m5.4xlarge", "m5.2xlarge"),  # not the non-existent m5.3xlarge
        ("m5.12xlarge", "m5.8xlarge"),
        ("m5.24xlarge", "m5.16xlarge"),
        ("c5.9xlarge", "c5.4xlarge"),
        ("c5.18xlarge", "c5.12xlarge"),
        ("c5n.18xlarge", "c5n.9xlarge"),
        ("m5zn.6xlarge", "m5zn.3xlarge"),
        ("t3.medium", "t3.small"),
        ("t3.micro", "t3.nano"),
        ("m7g.large", "m7g.medium"),
        ("m7a.large", "m7a.medium"),
        ("r6i.large", None),  # Intel families start at large
        ("m5.large", None),
        ("t3.nano", None),
        ("m5.metal", None),
        ("p3.8xlarge", None),
        ("m5.huge", None),
    ],
)
def test_smaller_size_steps_down_to_a_size_the_family_has(
    instance_type: str, smaller: str | None
) -> None:
    assert it.smaller_size(instance_type) == smaller


def test_spot_siblings_are_same_size_same_class_types() -> None:
    assert it.spot_siblings("m5.large") == ["m5.large", "m7i.large", "m6i.large"]
    assert it.spot_siblings("c6i.2xlarge", 4) == [
        "c6i.2xlarge",
        "c7i.2xlarge",
        "c6a.2xlarge",
        "c5.2xlarge",
    ]
    assert it.spot_siblings("t3.micro") == ["t3.micro", "t3a.micro", "t2.micro"]
    assert it.spot_siblings("x1e.xlarge") == ["x1e.xlarge"]


def test_split() -> None:
    assert it.split("m7i-flex.large") == ("m7i-flex", "large")
    assert it.split("m5") == ("m5", "")


@given(st.sampled_from(X86_FAMILIES), st.sampled_from(it.SIZE_ORDER))
def test_a_graviton_equivalent_is_arm64_of_the_same_size_and_class(family: str, size: str) -> None:
    equivalent = it.graviton_equivalent(f"{family}.{size}")
    if size not in (*it.GRAVITON4_SIZES, *it.BURSTABLE_SIZES):
        assert equivalent is None  # 3xlarge, 9xlarge, 32xlarge, ...: no Graviton size
    if equivalent is None:
        return
    arm_family, arm_size = it.split(equivalent)
    assert it.is_arm64(equivalent)
    assert arm_size == size
    assert arm_size in it.family_sizes(arm_family)
    assert arm_family[0] == family[0]  # m -> m, c -> c, r -> r, t -> t


@given(st.sampled_from(FAMILIES))
def test_stepping_down_from_the_largest_size_visits_every_size_of_the_family(family: str) -> None:
    sizes = it.family_sizes(family)
    seen = [f"{family}.{sizes[-1]}"]
    while (smaller := it.smaller_size(seen[-1])) is not None:
        seen.append(smaller)
    assert seen == [f"{family}.{size}" for size in reversed(sizes)]
