"""The postmortem's two outside ends: the thread read from Slack, the page written to
Confluence, each against a local server spoken to by the real client library."""

from __future__ import annotations

from typing import Any

import pytest
from postmortem.fetch import SlackThreads
from postmortem.publish import ConfluencePages, confluence_client
from slack_sdk import WebClient

from opsagent_shared.errors import ServiceUnavailable
from tests.confluence import TOKEN, USER, LocalConfluence
from tests.slack import LocalSlack

CHANNEL, PARENT = "C0INCIDENT", "1700000000.000100"


def _thread(slack: LocalSlack, replies: int) -> None:
    people = [f"U{n:08d}" for n in range(7)]
    for person in people:
        slack.users[person] = {"id": person, "name": person.lower(),
                               "profile": {"display_name": f"person {person[-2:]}"}}  # fmt: skip
    messages: list[dict[str, Any]] = [
        {"ts": PARENT, "user": people[0], "text": "payments API 5xx spike", "thread_ts": PARENT}
    ]
    messages.append({"ts": "1700000060.000100", "bot_id": "B0CHATBOT", "subtype": "bot_message",
                     "bot_profile": {"name": "AWS Chatbot"}, "text": "",
                     "attachments": [{"title": "ALARM: payments-5xx in us-east-1"}]})  # fmt: skip
    for n in range(replies):
        ts = f"{1700000120 + n}.000100"
        messages.append({"ts": ts, "user": people[n % len(people)], "text": f"update {n}"})
    slack.threads[(CHANNEL, PARENT)] = messages


def test_a_600_message_thread_costs_its_pages_plus_its_authors_plus_one() -> None:
    with LocalSlack() as slack:
        _thread(slack, replies=598)
        reader = SlackThreads(WebClient(token="xoxb-test", base_url=slack.url))
        thread = reader.fetch(CHANNEL, PARENT)
    assert len(thread.messages) == 600
    assert thread.messages[0].author == "person 00"
    bot = thread.messages[1]
    assert (bot.is_bot, bot.author, bot.text) == (
        True,
        "AWS Chatbot",
        "ALARM: payments-5xx in us-east-1",
    )
    pages = slack.methods().count("conversations.replies")
    assert pages == 3  # 200 a page
    assert slack.methods().count("users.info") == 7  # one per distinct person
    assert reader.calls == pages + 7 + 1  # and one chat.getPermalink
    reply = thread.messages[5]
    assert reply.permalink == (
        f"https://example-team.slack.com/archives/{CHANNEL}/p{reply.ts.replace('.', '')}"
        f"?thread_ts={PARENT}&cid={CHANNEL}"
    )
    assert thread.permalink.endswith(f"/archives/{CHANNEL}/p1700000000000100")


def test_a_thread_slack_refuses_is_a_service_error_naming_the_method() -> None:
    with LocalSlack() as slack:
        slack.fail["conversations.replies"] = "not_in_channel"
        reader = SlackThreads(WebClient(token="xoxb-test", base_url=slack.url))
        with pytest.raises(
            ServiceUnavailable, match=r"conversations.replies failed \(not_in_channel\)"
        ):
            reader.fetch(CHANNEL, PARENT)


def _pages(confluence: LocalConfluence) -> ConfluencePages:
    client = confluence_client(confluence.url, user=USER, api_token=TOKEN)
    return ConfluencePages(client, base_url=confluence.url)


def test_a_page_is_created_labelled_then_updated_with_the_next_version() -> None:
    with LocalConfluence() as confluence:
        pages = _pages(confluence)
        first = pages.publish(None, space_id="42", parent_id="7", title="2026-12-01 Outage",
                              body="<p>one</p>")  # fmt: skip
        pages.label(first.page_id, ["postmortem", "rds", "sev2"])
        assert first.version == 1
        assert first.url == f"{confluence.url}/spaces/42/pages/{first.page_id}"
        stored = confluence.pages[first.page_id]
        assert (stored.parent_id, stored.labels) == ("7", ["postmortem", "rds", "sev2"])
        second = pages.publish(first, space_id="42", parent_id="7", title="2026-12-01 Outage",
                               body="<p>two</p>")  # fmt: skip
    assert second.page_id == first.page_id
    assert second.version == 2
    assert confluence.pages[first.page_id].body == "<p>two</p>"
    assert len(confluence.pages) == 1  # never a duplicate


def test_a_version_conflict_is_retried_and_throttling_honours_retry_after() -> None:
    with LocalConfluence() as confluence:
        pages = _pages(confluence)
        page = pages.publish(None, space_id="42", parent_id="", title="t", body="<p>a</p>")
        confluence.conflicts = 1  # someone saves between our read and our write
        confluence.fail = [429, 503]  # then Confluence is busy twice
        updated = pages.publish(page, space_id="42", parent_id="", title="t", body="<p>b</p>")
    assert updated.version == 3  # theirs was 2
    assert confluence.pages[page.page_id].body == "<p>b</p>"


def test_a_5xx_storm_ends_as_a_service_error_with_the_status_only() -> None:
    with LocalConfluence() as confluence:
        pages = _pages(confluence)
        confluence.fail = [503] * 20
        with pytest.raises(ServiceUnavailable, match=r"could not create the page: it kept answ"):
            pages.publish(None, space_id="42", parent_id="", title="t", body="<p>x</p>")


def test_slack_throttling_is_waited_out_after_retry_after() -> None:
    from change_control.slack import slack_client

    with LocalSlack() as slack:
        _thread(slack, replies=3)
        slack.rate_limited["conversations.replies"] = 1  # one 429 with Retry-After: 0
        thread = SlackThreads(slack_client("xoxb-test", base_url=slack.url)).fetch(CHANNEL, PARENT)
    assert len(thread.messages) == 5
    assert slack.methods().count("conversations.replies") == 2  # the 429, then the page


def test_a_bad_extra_redaction_stops_the_function_naming_the_entry() -> None:
    from postmortem.settings import PostmortemSettings

    from opsagent_shared.settings import InvalidSettings

    with pytest.raises(InvalidSettings, match="EXTRA_REDACTIONS"):
        PostmortemSettings.from_environ({"EXTRA_REDACTIONS": '{"employee-id": "(a+)+"}'})


def test_a_title_another_thread_has_falls_back_to_this_threads_own() -> None:
    with LocalConfluence() as confluence:
        pages = _pages(confluence)
        first = pages.publish(None, space_id="42", parent_id="", title="2026-12-01 Outage",
                              body="<p>a</p>")  # fmt: skip
        second = pages.publish(None, space_id="42", parent_id="", title="2026-12-01 Outage",
                               body="<p>b</p>",
                               fallback_title="2026-12-01 Outage (1700000000.000200)")  # fmt: skip
    assert first.page_id != second.page_id
    assert second.title == "2026-12-01 Outage (1700000000.000200)"


def test_a_reply_is_recognised_on_the_first_page_and_nothing_more_is_read() -> None:
    with LocalSlack() as slack:
        _thread(slack, replies=598)
        reader = SlackThreads(WebClient(token="xoxb-test", base_url=slack.url))
        reply_ts = slack.threads[(CHANNEL, PARENT)][5]["ts"]
        thread = reader.fetch(CHANNEL, reply_ts)
    assert [m.ts for m in thread.messages] == [PARENT]  # the parent: not what was asked for
    assert slack.methods() == ["conversations.replies"]  # one page, no names, no permalink
