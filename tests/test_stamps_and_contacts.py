"""Dates as marks each renderer formats, and sales contacts as links, vCards and CSV rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st

from bot.answers.cards import Card, Reply, escape
from bot.answers.contacts import contacts_csv, vcards, web_address
from bot.answers.labels import contact_lines, website
from bot.answers.stamps import discord_text, plain_text, relative, stamp
from bot.domain.models import SalesContact

WHEN = dt.datetime(2024, 9, 2, 8, 15, tzinfo=dt.UTC)


def test_a_mark_is_as_long_as_discords_markup_and_renders_per_renderer() -> None:
    mark = stamp(WHEN)
    assert len(mark) == len("<t:1725264900:D>")
    assert discord_text(f"published {mark}") == "published <t:1725264900:D>"
    assert plain_text(f"published {mark}") == "published 2 Sep 2024"
    assert plain_text(stamp(WHEN, "f")) == "2 Sep 2024 08:15 UTC"
    assert stamp(WHEN.replace(tzinfo=None)) == mark  # naive datetimes are UTC
    assert plain_text(stamp(WHEN, "R"), now=WHEN + dt.timedelta(hours=3, minutes=5)) == "3 hours ago"


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_relative_reads_like_discord(seconds: int) -> None:
    text = relative(WHEN, WHEN + dt.timedelta(seconds=seconds))
    assert text == "just now" if abs(seconds) < 60 else text.endswith(" ago") == (seconds > 0)


def test_review_text_cannot_pose_as_a_date() -> None:
    forged = "\ue000t:1725264900:D\ue001 and <t:1725264900:R>"
    shown = escape(forged)
    assert discord_text(shown) == "t:1725264900:D and \\<t:1725264900:R\\>"


def test_only_where_discord_renders_markdown_do_marks_change() -> None:
    mark = stamp(WHEN)
    reply = Reply(content=mark, cards=[Card.make("Title", mark, fields=[("When", mark)], timestamp=WHEN)])
    shown = reply.with_text(discord_text)
    assert shown.content == shown.cards[0].description == shown.cards[0].fields[0].value == "<t:1725264900:D>"
    assert shown.cards[0].timestamp == WHEN


def test_every_website_is_a_link() -> None:
    assert web_address("www.example.com") == "https://www.example.com"
    assert web_address("http://example.com/sales") == "http://example.com/sales"
    assert web_address("javascript:alert(1)") is None and web_address("not a site") is None
    assert website("www.example.com") == "[www.example.com](https://www.example.com)"
    assert website("https://example.com/a_(b)") == "[https://example.com/a\\_(b)](https://example.com/a_%28b%29)"
    assert website("not a site") == "not a site"  # no link, escaped text
    lines = contact_lines(["sales_team@example.com"], ["+1 555 0100"], ["example.org"])
    assert lines == "✉ sales\\_team@example.com\n☎ +1 555 0100\n🌐 [example.org](https://example.org)"


def test_contacts_as_one_vcf_and_a_csv() -> None:
    agents = [
        SalesContact(company="Larkfield Sales", emails=["a@example.com"], urls=["www.larkfield.example.com"]),
        SalesContact(company='=HYPERLINK("http://evil.example")', phones=["+44 20 7946 0000", "-1"]),
    ]
    cards = vcards(agents, "Sales agent for The Glass Orchard")
    assert cards.count("BEGIN:VCARD\r\n") == 2 and "URL:https://www.larkfield.example.com\r\n" in cards
    rows = list(csv.DictReader(io.StringIO(contacts_csv(agents, "The Glass Orchard"))))
    assert rows[0] == {
        "company": "Larkfield Sales",
        "emails": "a@example.com",
        "phones": "",
        "websites": "https://www.larkfield.example.com",
        "film": "The Glass Orchard",
    }
    # A cell a spreadsheet would run as a formula is kept as text.
    assert rows[1]["company"].startswith("'=") and rows[1]["phones"] == "'+44 20 7946 0000; -1"
