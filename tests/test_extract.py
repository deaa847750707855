"""Article HTML -> trade-layout review text, with no network: fixture pages of an invented trade site."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError
from bot.sources.article.emails import decode_cfemail, deobfuscate_emails
from bot.sources.article.front_matter import review_document
from bot.sources.article.metadata import page_metadata
from bot.sources.article.review_text import extract_review_text, text_digest
from bot.sources.article.tree import ExtractError
from tests.feedsite import FIXTURES, SALES_EMAILS, cfemail

BASE = "http://127.0.0.1:8765"


def page(slug: str) -> str:
    """A fixture page as the test site serves it (base URL and obfuscated address filled in)."""
    html = (FIXTURES / f"{slug}.html").read_text(encoding="utf-8")
    address, key = SALES_EMAILS[slug]
    return html.replace("{base}", BASE).replace("{cfemail}", cfemail(address, key))


def test_decode_cfemail_xors_with_the_first_byte() -> None:
    # 0x42 is the key; "a@b.c" XOR 0x42 byte by byte.
    encoded = "42" + "".join(f"{ord(c) ^ 0x42:02x}" for c in "a@b.c")
    assert decode_cfemail(encoded) == "a@b.c"
    assert decode_cfemail(cfemail("sales@tidemark.example", 0x5A)) == "sales@tidemark.example"


@pytest.mark.parametrize("bad", ["", "zz", "5a", "not hex at all"])
def test_decode_cfemail_rejects_what_is_not_a_code(bad: str) -> None:
    with pytest.raises(ValueError, match="Cloudflare"):
        decode_cfemail(bad)


def test_deobfuscate_replaces_the_element_with_the_plain_address() -> None:
    code = cfemail("deals@north-sales.example", 0x33)
    html = (
        "<html><body><p>Sales: North Sales, "
        f'<a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="{code}">[email&#160;protected]</a>'
        " (Berlin)</p>"
        f'<p>Press: <a href="/cdn-cgi/l/email-protection#{code}"><span class="__cf_email__" data-cfemail="{code}">'
        "[email&#160;protected]</span></a></p>"
        f'<p><a href="/cdn-cgi/l/email-protection#{code}">Write to us</a></p></body></html>'
    )
    out = deobfuscate_emails(html)
    assert "protected" not in out
    assert "data-cfemail" not in out
    assert "Sales: North Sales, deals@north-sales.example (Berlin)" in out
    assert "Press: deals@north-sales.example" in out
    assert "Write to us (deals@north-sales.example)" in out


def test_deobfuscate_leaves_pages_without_obfuscation_alone() -> None:
    html = "<html><body><p>Nothing hidden here.</p></body></html>"
    assert deobfuscate_emails(html) == html


def test_salt_lanterns_page_becomes_trade_layout_text_without_site_junk() -> None:
    text = extract_review_text(page("salt-lanterns"), url=f"{BASE}/articles/salt-lanterns")
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[:4] == [
        "A lighthouse keeper’s daughter turns smuggler in Ilse Marrow’s quietly thrilling coastal debut",
        "Salt Lanterns",
        "Source: Brackwater Pictures",
        "Dir/Scr: Ilse Marrow. Norway/Denmark. 2024. 104 mins",
    ]
    assert "A coastal thriller that trusts its silences" in paragraphs
    assert "International sales: Tidemark Sales, sales@tidemark.example" in paragraphs
    assert paragraphs[-1] == "Main cast: Sigrid Aalvik, Tormod Hesse, Lene Kross"
    for junk in ("Subscribe", "Related articles", "Cookie", "Privacy", "Share this article", "Trade Weekly"):
        assert junk not in text


def test_extracted_page_parses_into_a_complete_review(festivals: FestivalTable) -> None:
    html = page("salt-lanterns")
    meta = page_metadata(html, url=f"{BASE}/articles/salt-lanterns?utm_source=rss")
    text = extract_review_text(html, url=f"{BASE}/articles/salt-lanterns")
    published = dt.datetime(2024, 2, 17, 9, 30, tzinfo=dt.UTC)
    document = review_document(
        text, url=meta.canonical_url or "", published_at=published, reviewer="Orla Finnerty", festival="Berlinale 2024"
    )
    review = parse_review_text(document, source="test", table=festivals)
    assert meta.canonical_url == f"{BASE}/reviews/salt-lanterns-review"
    assert review.title == "Salt Lanterns"
    assert review.headline and review.headline.startswith("A lighthouse keeper’s daughter")
    assert review.image_credit == "Brackwater Pictures"
    assert review.directors == ["Ilse Marrow"]
    assert review.screenwriters == ["Ilse Marrow"]
    assert review.countries == ["Norway", "Denmark"]
    assert (review.year, review.runtime_minutes) == (2024, 104)
    assert review.pull_quote == "A coastal thriller that trusts its silences"
    assert len(review.body) == 5
    assert review.sales[0].company == "Tidemark Sales"
    assert review.sales[0].emails == ["sales@tidemark.example"]
    assert review.cast == ["Sigrid Aalvik", "Tormod Hesse", "Lene Kross"]
    assert review.credits["production_companies"] == ["Brackwater Pictures", "Nordlys Film Collective"]
    assert review.url == f"{BASE}/reviews/salt-lanterns-review"
    assert review.published_at == published
    assert review.reviewer == "Orla Finnerty"
    assert review.festival is not None and review.festival.name == "Berlinale"
    assert review.festival_year == 2024


def test_credits_in_a_list_and_address_inside_a_protected_link(festivals: FestivalTable) -> None:
    html = page("copper-hymnal")
    text = extract_review_text(html, url=f"{BASE}/articles/copper-hymnal")
    review = parse_review_text(review_document(text, url=f"{BASE}/x"), source="test", table=festivals)
    assert (review.title, review.original_title) == ("The Copper Hymnal", "Miedziany hymn")
    assert review.runtime_minutes == 112
    assert review.countries == ["Poland", "Czech Republic"]
    assert review.sales[0].emails == ["festivals@lodestar.example"]
    assert review.screenwriters == ["Tomasz Welk", "Marta Sokal"]
    assert review.cast == ["Wiesław Orda", "Zofia Grel", "Karel Musil"]
    assert "Most read" not in text and "Accept all" not in text


def test_credits_split_by_line_breaks_and_standfirst_above_the_title(festivals: FestivalTable) -> None:
    text = extract_review_text(page("winter-apiary"), url=f"{BASE}/articles/winter-apiary")
    review = parse_review_text(review_document(text, url=f"{BASE}/x"), source="test", table=festivals)
    assert review.title == "Winter Apiary"
    assert review.headline and "beekeeper" in review.headline
    assert review.sales[0].company == "Beira Sales"
    assert review.sales[0].emails == ["beira@beira-sales.example"]
    assert review.cast == ["Rita Calado", "Nuno Vaz"]
    assert review.pull_quote == "Quiet, precise and quietly devastating"


def test_caption_after_the_credit_is_not_part_of_the_credit() -> None:
    text = extract_review_text(page("tin-crown"), url=f"{BASE}/articles/tin-crown")
    assert "Source: Sunroom Pictures\n" in text


def test_page_metadata_reads_canonical_author_and_date() -> None:
    meta = page_metadata(page("copper-hymnal"), url=f"{BASE}/articles/copper-hymnal?ref=feed")
    assert meta.canonical_url == f"{BASE}/reviews/the-copper-hymnal"  # relative href resolved
    assert meta.author == "Delphine Arceneaux"
    tin = page_metadata(page("tin-crown"), url=f"{BASE}/articles/tin-crown")
    assert tin.published_at == dt.datetime(2024, 5, 20, 8, 0, tzinfo=dt.UTC)
    assert page_metadata(page("winter-apiary"), url=f"{BASE}/a").canonical_url is None


def test_a_news_story_extracts_but_is_not_a_review(festivals: FestivalTable) -> None:
    text = extract_review_text(page("market-report"), url=f"{BASE}/articles/market-report")
    assert "buyers were taking longer to commit" in text
    with pytest.raises(ReviewParseError, match="no header line"):
        parse_review_text(review_document(text, url=f"{BASE}/news"), source="test", table=festivals)


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>", "<html><body><nav>Home</nav></body></html>"])
def test_pages_without_article_text_raise(html: str) -> None:
    with pytest.raises(ExtractError):
        extract_review_text(html, url=f"{BASE}/empty")


def test_xhtml_with_an_xml_declaration_is_accepted() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + page("salt-lanterns")
    assert "Dir/Scr: Ilse Marrow" in extract_review_text(html, url=f"{BASE}/x")


def test_front_matter_values_stay_on_one_line(festivals: FestivalTable) -> None:
    text = extract_review_text(page("salt-lanterns"), url=f"{BASE}/x")
    document = review_document(text, url=f"{BASE}/x", reviewer="Orla\nFinnerty ", festival="Cannes")
    review = parse_review_text(document, source="test", table=festivals)
    assert review.reviewer == "Orla Finnerty"
    assert review.festival is not None and review.festival.name == "Cannes"


def test_text_digest_ignores_whitespace_and_case() -> None:
    assert text_digest("Salt  Lanterns\n\nA film") == text_digest("salt lanterns a film")
    assert text_digest("Salt Lanterns") != text_digest("Salt Lantern")
