"""`make bench`: print every benchmark table. Numbers inform; nothing here fails on speed."""

from __future__ import annotations

from benchmarks import (
    cost_actions_calls,
    cost_insights_scale,
    lambda_assets,
    postmortem_thread,
    slack_ingress,
)

BENCHMARKS = [
    lambda_assets,
    cost_insights_scale,
    cost_actions_calls,
    slack_ingress,
    postmortem_thread,
]


def main() -> None:
    for benchmark in BENCHMARKS:
        print(benchmark.run())
        print()


if __name__ == "__main__":
    main()
