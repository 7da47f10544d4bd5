"""EC2 instance-type knowledge the advice tools share: pure data and logic, no AWS calls.

- Graviton (arm64) equivalents of x86 types: same size in the current Graviton family of the
  same class (general purpose, compute, memory, burstable; local-NVMe "d" and network "n"
  variants keep their letter).
- What a type is: arm64 already, burstable, accelerated (GPU, Inferentia, Trainium, FPGA),
  bare metal or Mac. Accelerated, metal and Mac types are not Graviton, rightsizing or
  serverless candidates here.
- One size down, for rightsizing, and same-size siblings to diversify a Spot mix.

Whether a computed type really exists in a region is settled by the Price List: a type with no
price is reported as such by the callers, never guessed.
"""

from __future__ import annotations

import re

# Sizes from smallest to largest. `COMMON_SIZES` is the ladder most families share; the odd
# sizes (3xlarge, 6xlarge, 9xlarge, 18xlarge, ...) exist only in some families.
SIZE_ORDER = (
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "3xlarge",
    "4xlarge",
    "6xlarge",
    "8xlarge",
    "9xlarge",
    "10xlarge",
    "12xlarge",
    "16xlarge",
    "18xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)
COMMON_SIZES = (
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)
BURSTABLE_SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
GRAVITON3_SIZES = (
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
)
GRAVITON4_SIZES = (*GRAVITON3_SIZES, "24xlarge", "48xlarge")

# x86 family -> Graviton family of the same class.
GRAVITON_FAMILY: dict[str, str] = {
    # general purpose
    **dict.fromkeys(
        ("m4", "m5", "m5a", "m5n", "m5zn", "m6i", "m6a", "m6in", "m7i", "m7i-flex", "m7a"), "m7g"
    ),
    **dict.fromkeys(("m5d", "m5ad", "m5dn", "m6id", "m6idn"), "m7gd"),
    **dict.fromkeys(("m8i", "m8i-flex", "m8a"), "m8g"),
    # compute optimized
    **dict.fromkeys(("c4", "c5", "c5a", "c6i", "c6a", "c7i", "c7i-flex", "c7a"), "c7g"),
    **dict.fromkeys(("c5d", "c5ad", "c6id"), "c7gd"),
    **dict.fromkeys(("c5n", "c6in"), "c7gn"),
    **dict.fromkeys(("c8i", "c8i-flex", "c8a"), "c8g"),
    # memory optimized
    **dict.fromkeys(("r4", "r5", "r5a", "r5b", "r5n", "r6i", "r6a", "r6in", "r7i", "r7a"), "r7g"),
    **dict.fromkeys(("r5d", "r5ad", "r5dn", "r6id", "r6idn"), "r7gd"),
    **dict.fromkeys(("r8i", "r8i-flex", "r8a"), "r8g"),
    # burstable
    **dict.fromkeys(("t2", "t3", "t3a"), "t4g"),
}
GRAVITON_SIZES: dict[str, tuple[str, ...]] = {
    "t4g": BURSTABLE_SIZES,
    "m8g": GRAVITON4_SIZES,
    "c8g": GRAVITON4_SIZES,
    "r8g": GRAVITON4_SIZES,
}

# Families whose sizes are not the common ladder (rightsizing must not propose a size that
# does not exist).
FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("c5", "c5d"),
        ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"),
    ),
    "c5n": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "c4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge"),
    "m5zn": ("large", "xlarge", "2xlarge", "3xlarge", "6xlarge", "12xlarge"),
    "m4": ("large", "xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"),
}
# x86 families (Intel and older AMD) that start at large; Graviton, burstable and the 7th-gen
# AMD families (m7a, c7a, r7a) also have medium.
MEDIUM_FAMILIES_RE = re.compile(r"^([a-z]+\d+g[a-z]*|a1|t\d[a-z]*|[mcr][78]a)$")

# Same-class x86 families, newest first, for a diversified Spot mix (same size).
SPOT_SIBLINGS: tuple[tuple[str, ...], ...] = (
    ("m7i", "m6i", "m6a", "m5", "m5a", "m5n"),
    ("c7i", "c6i", "c6a", "c5", "c5a"),
    ("r7i", "r6i", "r6a", "r5", "r5a", "r5n"),
    ("m7g", "m6g"),
    ("c7g", "c6g"),
    ("r7g", "r6g"),
    ("t3", "t3a", "t2"),
)

_ARM64_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
_ACCELERATED_FAMILY = re.compile(r"^(p\d|g\d|gr\d|inf\d|trn\d|dl\d|f\d|vt\d)")
_BURSTABLE_FAMILY = re.compile(r"^t\d")


def split(instance_type: str) -> tuple[str, str]:
    """'m5.xlarge' -> ('m5', 'xlarge'); a malformed type gives ('m5', '')."""
    family, _, size = instance_type.strip().lower().partition(".")
    return family, size


def is_arm64(instance_type: str) -> bool:
    """Graviton types: a 'g' right after the generation digit (m7g, c6gn, t4g, x2gd), or a1."""
    family, _ = split(instance_type)
    return family == "a1" or bool(_ARM64_FAMILY.match(family))


def is_burstable(instance_type: str) -> bool:
    return bool(_BURSTABLE_FAMILY.match(split(instance_type)[0]))


def is_accelerated(instance_type: str) -> bool:
    """GPU, Inferentia, Trainium, FPGA and video-transcoding families."""
    return bool(_ACCELERATED_FAMILY.match(split(instance_type)[0]))


def is_metal(instance_type: str) -> bool:
    return split(instance_type)[1].startswith("metal")


def is_mac(instance_type: str) -> bool:
    return split(instance_type)[0].startswith("mac")


def special_kind(instance_type: str) -> str | None:
    """Why a type is outside what these tools advise on ('GPU/accelerator', ...), or None."""
    if is_mac(instance_type):
        return "Mac"
    if is_metal(instance_type):
        return "bare metal"
    if is_accelerated(instance_type):
        return "GPU/accelerator"
    return None


def graviton_equivalent(instance_type: str) -> str | None:
    """The same size in the matching Graviton family: 'm5.xlarge' -> 'm7g.xlarge'.

    None when the type is arm64 already, special (GPU, metal, Mac), has no mapped family, or
    its size does not exist in the Graviton family (m5.24xlarge, c5.9xlarge).
    """
    if is_arm64(instance_type) or special_kind(instance_type):
        return None
    family, size = split(instance_type)
    target = GRAVITON_FAMILY.get(family)
    if target is None or size not in GRAVITON_SIZES.get(target, GRAVITON3_SIZES):
        return None
    return f"{target}.{size}"


def family_sizes(family: str) -> tuple[str, ...]:
    """The sizes a family offers, as far as this module knows them (smallest first)."""
    if family in FAMILY_SIZES:
        return FAMILY_SIZES[family]
    if _BURSTABLE_FAMILY.match(family):
        return BURSTABLE_SIZES
    if family in GRAVITON_SIZES:
        return GRAVITON_SIZES[family]
    smallest = "medium" if MEDIUM_FAMILIES_RE.match(family) else "large"
    return COMMON_SIZES[COMMON_SIZES.index(smallest) :]


def smaller_size(instance_type: str) -> str | None:
    """One size down in the same family ('m5.xlarge' -> 'm5.large'), or None at the bottom.

    Odd sizes step down to the next size the family has (m5zn.6xlarge -> m5zn.3xlarge,
    c5.9xlarge -> c5.4xlarge). Special types (GPU, metal, Mac) are never resized here.
    """
    if special_kind(instance_type):
        return None
    family, size = split(instance_type)
    if size not in SIZE_ORDER:
        return None
    rank = SIZE_ORDER.index(size)
    below = [s for s in family_sizes(family) if SIZE_ORDER.index(s) < rank]
    return f"{family}.{below[-1]}" if below else None


def spot_siblings(instance_type: str, count: int = 3) -> list[str]:
    """`count` same-size types of the same class, starting with this one, for a Spot mix."""
    family, size = split(instance_type)
    for group in SPOT_SIBLINGS:
        if family in group:
            others = [f"{f}.{size}" for f in group if f != family]
            return [instance_type, *others][:count]
    return [instance_type]
