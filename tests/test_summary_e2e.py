"""/review through the fake Discord shows verdict, story and prospects for a review of every layout."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client.bot import FestivalBot
from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.summary.summarizer import summarize
from tests.conftest import ROOT
from tests.discord_harness import fake_discord, running_bot, settings_for
from tests.fakediscord import FakeDiscord

DEV = ROOT / "bench" / "review_set" / "dev"
#: One labelled dev review per layout of the spec (the same ones tests/test_summary.py checks offline).
ONE_PER_LAYOUT = {
    "screen": "undertow-parish",
    "variety": "brambleshank",
    "thr": "floor-nine-is-closed",
    "indiewire": "honey-tax",
    "cineuropa": "the-lanternwright",
    "guardian": "candlemass-road",
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(5.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for slug in ONE_PER_LAYOUT.values():
        (corpus / f"{slug}.txt").write_bytes((DEV / f"{slug}.txt").read_bytes())
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


def _plain(markdown: str) -> str:
    """The card's text without Discord's markdown escapes, so it compares with the review's own words."""
    return " ".join(re.sub(r"\\(.)", r"\1", markdown).split())


async def test_review_card_shows_every_part_for_every_layout(bot: FestivalBot, fake: FakeDiscord) -> None:
    table = FestivalTable.load()
    for layout, slug in ONE_PER_LAYOUT.items():
        title = json.loads((DEV / f"{slug}.expected.json").read_text(encoding="utf-8"))["title"]
        review = parse_review_text((DEV / f"{slug}.txt").read_text(encoding="utf-8"), source=slug, table=table)
        summary = summarize(review)
        labels = json.loads((DEV / f"{slug}.labels.json").read_text(encoding="utf-8"))
        payload = await (await fake.slash_command("review", {"title": title})).response()
        assert payload["type"] == 4, (layout, payload)
        (embed,) = payload["data"]["embeds"]
        lines = {
            line.split(":**", 1)[0].lstrip("*"): _plain(line.split(":**", 1)[1])
            for line in embed["description"].split("\n")
            if line.startswith("**") and ":**" in line
        }
        for part in ("Verdict", "Story", "Prospects"):
            assert part in lines, (layout, part, embed["description"])
            sentences = getattr(summary, part.lower())
            assert sentences, (layout, part)
            # The card shows the summary's own sentences, and at least one is an editor's accepted pick.
            assert " ".join(" ".join(s.split()) for s in sentences) == lines[part], (layout, part)
            accepted = {" ".join(s.split()) for s in labels[part.lower()]["acceptable"]}
            assert any(" ".join(s.split()) in accepted for s in sentences), (layout, part, sentences)
