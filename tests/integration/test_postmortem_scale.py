"""A 600-message thread and a Korean one, end to end (the benchmark's run, asserted)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from benchmarks.postmortem_thread import run_thread


def test_a_600_message_thread_is_read_in_pages_and_written_within_bounds() -> None:
    run = run_thread(600)
    assert run.status == "ok"
    assert run.slack_pages == 3  # 200 messages a page
    assert run.slack_calls == run.slack_pages + run.authors + 1  # + one chat.getPermalink
    assert run.model_calls >= 1
    # The page is XHTML a parser accepts (namespaces declared as Confluence's storage does).
    namespaces = 'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource"'
    ET.fromstring(f"<root {namespaces}>{run.page_body}</root>")  # noqa: S314 - our own output
    assert run.document.startswith("# ")


def test_a_korean_thread_is_summarized_in_korean() -> None:
    run = run_thread(60, korean=True)
    assert run.status == "ok"
    assert any("Korean" in system for system in run.model_systems)
