"""The parser against the seed, every layout variant, and bad input."""

from __future__ import annotations

import contextlib
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.festivals import FestivalTable
from bot.domain.models import PARSE_JSON_KEYS
from bot.parsing.parser import parse_review_text
from bot.parsing.runtime import parse_runtime
from bot.parsing.text_file import ReviewParseError, decode_review_bytes
from tests.conftest import FIXTURES, SEED

REVIEW_FIXTURES = sorted((FIXTURES / "reviews").glob("*.expected.json"))


def parse_file(path: Path, festivals: FestivalTable, **kwargs: Any) -> dict[str, Any]:
    text = decode_review_bytes(path.read_bytes(), str(path))
    return parse_review_text(text, source=str(path), table=festivals, **kwargs).parse_json()


def test_seed_every_field(festivals: FestivalTable) -> None:
    got = parse_file(SEED, festivals)
    assert list(got) == list(PARSE_JSON_KEYS)
    assert got["title"] == "Return To Dust"
    assert got["original_title"] is None
    assert got["headline"] == (
        "Anchored by an authentic relationship Li Ruijun\u2019s portrait of provincial China is his most moving yet"
    )
    assert got["pull_quote"] == "It packs a quiet emotional punch"
    assert got["directors"] == ["Li Ruijun"]
    assert got["screenwriters"] == ["Li Ruijun"]
    assert got["countries"] == ["China"]
    assert got["year"] == 2022
    assert got["runtime_minutes"] == 131
    assert got["image_credit"] == "Hucheng No.7 Films Ltd."
    assert got["festival"] == {"name": "Berlinale", "section": "Competition"}
    assert got["sales"] == [{"company": "M-Appeal", "emails": ["sales@m-appeal.com"], "phones": [], "urls": []}]
    assert got["cast"] == ["Wu Renlin", "Hai Qing", "Yang Guangrui", "Zhao Dengping", "Wang Cailan"]
    assert got["credits"] == {
        "production_companies": [
            "Qizi Films",
            "Beijing J.Q. Spring Pictures Company",
            "Such a Good Film",
            "Beijing Alibaba Pictures Culture Co.",
            "Dream Media Co.",
            "Hucheng No.7 Films",
            "Aranya Pictures Co.",
            "Hangzhou Qin Zi Zai Co.",
            "Beijing Showcase Culture Media Co.",
        ],
        "international_sales": ["M-Appeal"],
        "producers": ["Qin Hong", "Zhang Min", "Li Yan"],
        "production_design": ["Li Ruijun", "Han Dahai"],
        "editing": ["Li Ruijun"],
        "cinematography": ["Wang Weihua"],
        "music": ["Peyman Yazdanian"],
        "main_cast": ["Wu Renlin", "Hai Qing", "Yang Guangrui", "Zhao Dengping", "Wang Cailan"],
    }
    assert len(got["body"]) == 7
    assert got["body"][0].startswith("The title of Return to Dust could be taken")
    assert got["body"][0].endswith("is Li\u2019s most affecting and accessible work to date.")
    assert got["body"][1].startswith("Following its international premiere in competition at the Berlinale")
    assert got["body"][-1].endswith("without overly romanticising Li\u2019s depiction of peasant life.")
    assert all("\u00a0" not in p and p == p.strip() for p in got["body"])
    assert got["pull_quote"] not in got["body"]
    assert (got["url"], got["published_at"], got["reviewer"]) == (None, None, None)


@pytest.mark.parametrize("expected_path", REVIEW_FIXTURES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_variant_fixture(expected_path: Path, festivals: FestivalTable) -> None:
    stem = expected_path.name.removesuffix(".expected.json")
    source = next(p for p in expected_path.parent.iterdir() if p.stem == stem and not p.name.endswith(".json"))
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    got = parse_file(source, festivals)
    for key in PARSE_JSON_KEYS:
        assert got[key] == expected[key], f"{stem}: {key}"


def test_fixtures_cover_the_variants() -> None:
    """The variant files exist and really exercise what they claim (CRLF, NFD)."""
    assert len(REVIEW_FIXTURES) >= 10
    raws = [p.read_bytes() for p in (FIXTURES / "reviews").glob("*.txt")]
    assert any(b"\r\n" in raw for raw in raws)
    texts = [raw.decode("utf-8", "replace") for raw in raws]
    assert any(t != unicodedata.normalize("NFC", t) for t in texts)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("98 mins", 98),
        ("139mins", 139),
        ("1hr 45mins", 105),
        ("1h 46m", 106),
        ("104 m.", 104),
        ("133\u2019", 133),
        ("133'", 133),
        ("98 minutes", 98),
        ("139 MINUTES", 139),
        ("2 hrs", 120),
    ],
)
def test_runtime_forms(text: str, minutes: int) -> None:
    assert parse_runtime(text) == minutes


def _review(header: str, *, extra_top: str = "", credits: str = "Cast: Ana Lima, Rui Costa") -> str:
    return (
        f"{extra_top}A quietly devastating debut\n\nThe Long Field\n\n{header}\n\n"
        "The farmer Tomas (Rui Costa) returns to a village that has forgotten him and the film is a marvel.\n\n"
        "A marvel of restraint\n\n"
        "It should travel widely on the festival circuit after its premiere.\n\n"
        f"{credits}\n"
    )


@pytest.mark.parametrize(
    ("header", "directors", "screenwriters", "countries", "year", "runtime"),
    [
        ("Dir: Ana Lima. Scr: Rui Costa. Portugal. 2023. 98 mins", ["Ana Lima"], ["Rui Costa"], ["Portugal"], 2023, 98),
        (
            "Dir/Scr/Ed: Ana Lima. Mexico/USA. 2021. 1hr 45mins",
            ["Ana Lima"],
            ["Ana Lima"],
            ["Mexico", "USA"],
            2021,
            105,
        ),
        (
            "Dirs: Ana Lima, Rui Costa. Tun-Belg-Fr. 2024. 133\u2019",
            ["Ana Lima", "Rui Costa"],
            [],
            ["Tun", "Belg", "Fr"],
            2024,
            133,
        ),
        (
            "Dir: Ana Lima and Rui Costa. Norway and Sweden. 2020. 1h 46m",
            ["Ana Lima", "Rui Costa"],
            [],
            ["Norway", "Sweden"],
            2020,
            106,
        ),
        (
            "Dir: D.A. Pennywhistle. France, Belgium. 2019. 104 m.",
            ["D.A. Pennywhistle"],
            [],
            ["France", "Belgium"],
            2019,
            104,
        ),
        (
            "Dir: Ana Lima. Bosnia and Herzegovina. 2022. 90 mins",
            ["Ana Lima"],
            [],
            ["Bosnia and Herzegovina"],
            2022,
            90,
        ),
    ],
)
def test_header_variants(
    header: str,
    directors: list[str],
    screenwriters: list[str],
    countries: list[str],
    year: int,
    runtime: int,
    festivals: FestivalTable,
) -> None:
    review = parse_review_text(_review(header), table=festivals)
    assert review.directors == directors
    assert review.screenwriters == screenwriters
    assert review.countries == countries
    assert (review.year, review.runtime_minutes) == (year, runtime)


def test_header_roles_are_never_credits(festivals: FestivalTable) -> None:
    """Spec §3.12: a header's ``Ed`` is no credit; only the footer's own lines are."""
    review = parse_review_text(_review("Dir/Scr/Ed: Ana Lima. Portugal. 2023. 98 mins"), table=festivals)
    assert "editing" not in review.credits
    assert "directors" not in review.credits and "screenwriters" not in review.credits
    review = parse_review_text(
        _review("Dir/Scr/Ed: Ana Lima. Portugal. 2023. 98 mins", credits="Editing: Rui Costa\nCast: Ana Lima"),
        table=festivals,
    )
    assert review.credits["editing"] == ["Rui Costa"]


def test_separate_scr_line_and_screenplay_credit(festivals: FestivalTable) -> None:
    text = _review("Dir: Ana Lima. Portugal. 2023. 98 mins").replace("98 mins\n", "98 mins\nScr: Rui Costa, Eva Moss\n")
    assert parse_review_text(text, table=festivals).screenwriters == ["Rui Costa", "Eva Moss"]
    text = _review("Dir: Ana Lima. Portugal. 2023. 98 mins", credits="Screenplay: Eva Moss\nCast: Rui Costa")
    review = parse_review_text(text, table=festivals)
    assert review.screenwriters == ["Eva Moss"]
    assert review.credits["screenplay"] == ["Eva Moss"]


def test_sales_agents_with_contacts(festivals: FestivalTable) -> None:
    credits = (
        "Sales: Northlight Films, sales@northlight.example.com, +33 1 44 55 66 77, www.northlight-films.com; "
        "Harbour Pictures, info@harbour.example.org, +1 (310) 555 0100, https://harbour.example.org\n"
        "Cast: Ana Lima"
    )
    review = parse_review_text(_review("Dir: Ana Lima. Portugal. 2023. 98 mins", credits=credits), table=festivals)
    assert [s.model_dump() for s in review.sales] == [
        {
            "company": "Northlight Films",
            "emails": ["sales@northlight.example.com"],
            "phones": ["+33 1 44 55 66 77"],
            "urls": ["www.northlight-films.com"],
        },
        {
            "company": "Harbour Pictures",
            "emails": ["info@harbour.example.org"],
            "phones": ["+1 (310) 555 0100"],
            "urls": ["https://harbour.example.org"],
        },
    ]
    assert review.credits["sales"] == ["Northlight Films", "Harbour Pictures"]


@pytest.mark.parametrize("label", ["International sales", "Sales", "Contact"])
def test_sales_labels(label: str, festivals: FestivalTable) -> None:
    credits = f"{label}: Quayside Sales, hello@quayside.example.com\nCast: Ana Lima"
    review = parse_review_text(_review("Dir: Ana Lima. Portugal. 2023. 98 mins", credits=credits), table=festivals)
    assert review.sales[0].company == "Quayside Sales"
    assert review.sales[0].emails == ["hello@quayside.example.com"]


def test_crlf_and_nfd_equal_lf_and_nfc(festivals: FestivalTable) -> None:
    text = _review("Dir: Joaquín Nuñez. España. 2023. 98 mins").replace("The Long Field", "Amélie à Séville")
    plain = parse_review_text(text, table=festivals)
    mangled = parse_review_text(unicodedata.normalize("NFD", text).replace("\n", "\r\n"), table=festivals)
    assert plain == mangled
    assert plain.title == "Amélie à Séville"
    assert plain.directors == ["Joaquín Nuñez"]


def test_original_title_in_brackets_or_parentheses(festivals: FestivalTable) -> None:
    for line, original in (
        ("The Long Field [O Campo Longo]", "O Campo Longo"),
        ("The Long Field (O Campo Longo)", "O Campo Longo"),
    ):
        review = parse_review_text(
            _review("Dir: Ana Lima. Portugal. 2023. 98 mins").replace("The Long Field", line), table=festivals
        )
        assert (review.title, review.original_title) == ("The Long Field", original)


def test_front_matter_and_festival_option(festivals: FestivalTable) -> None:
    front = (
        "---\nurl: https://reviews.example.com/long-field\npublished_at: 2023-02-18T09:30:00Z\n"
        "reviewer: Mara Quist\nfestival: Venice Film Festival\nsection: orizzonti\n---\n"
    )
    review = parse_review_text(_review("Dir: Ana Lima. Portugal. 2023. 98 mins", extra_top=front), table=festivals)
    assert review.url == "https://reviews.example.com/long-field"
    assert review.published_at is not None and review.published_at.isoformat() == "2023-02-18T09:30:00+00:00"
    assert review.reviewer == "Mara Quist"
    assert review.festival is not None and review.festival.model_dump() == {"name": "Venice", "section": "Orizzonti"}
    flagged = parse_review_text(
        _review("Dir: Ana Lima. Portugal. 2023. 98 mins"), festival="Berlinale 2023", table=festivals
    )
    assert flagged.festival is not None and flagged.festival.name == "Berlinale"
    assert flagged.festival_year == 2023


@pytest.mark.parametrize(
    ("sentence", "festival", "section"),
    [
        (
            "Following its international premiere in competition at the Berlinale, it will travel.",
            "Berlinale",
            "Competition",
        ),
        (
            "After a world premiere in the Un Certain Regard section in Cannes, buyers circled.",
            "Cannes",
            "Un Certain Regard",
        ),
        ("It premiered in Orizzonti at Venice to warm notices.", "Venice", "Orizzonti"),
        ("Competing for the Golden Leopard, the film is a strong contender.", "Locarno", None),
        ("It bowed in Platform at TIFF last week.", "TIFF", "Platform"),
        (
            "Playing in the World Cinema Dramatic Competition at Sundance, it stood out.",
            "Sundance",
            "World Cinema Dramatic Competition",
        ),
        ("Selected for the Tiger Competition at IFFR, it is a bold debut.", "IFFR", "Tiger Competition"),
        ("It screened out of competition at Cannes.", "Cannes", "Out of Competition"),
    ],
)
def test_festival_inferred_from_body(
    sentence: str, festival: str, section: str | None, festivals: FestivalTable
) -> None:
    text = _review("Dir: Ana Lima. Portugal. 2023. 98 mins").replace(
        "It should travel widely on the festival circuit after its premiere.", sentence
    )
    review = parse_review_text(text, table=festivals)
    assert review.festival is not None
    assert (review.festival.name, review.festival.section) == (festival, section)


def test_no_festival_named(festivals: FestivalTable) -> None:
    text = _review("Dir: Ana Lima. Portugal. 2023. 98 mins").replace(
        "It should travel widely on the festival circuit after its premiere.", "It opens in cinemas next month."
    )
    assert parse_review_text(text, table=festivals).festival is None


BAD_INPUTS = [
    (b"", "empty file"),
    (b"   \n\n\t\n", "empty file"),
    (b"A quietly devastating debut about a farmer\n", "no header line: no layout recognised"),
    (bytes(range(256)) * 8, "not a text file"),
    (b"Producers: Ana Lima, Rui Costa\n\nMain cast: Eva Moss\n", "no layout recognised"),
    (b"Dir: Ana Lima. Portugal. 2023. 98 mins\n\nSome text here.\n", "no title"),
    (b"Title\n\nDir: Ana Lima. Portugal. 2023. 98 mins\n\nProducers: Ana Lima\n", "no review text"),
]


@pytest.mark.parametrize(("data", "reason"), BAD_INPUTS)
def test_bad_input_names_the_problem(data: bytes, reason: str, festivals: FestivalTable) -> None:
    with pytest.raises(ReviewParseError) as caught:
        parse_review_text(decode_review_bytes(data, "bad.txt"), source="bad.txt", table=festivals)
    assert caught.value.source == "bad.txt"
    assert reason in str(caught.value)
    assert str(caught.value).startswith("bad.txt: ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")))
)
def test_fuzz_bytes_give_a_review_or_a_parse_error(data: bytes, festivals: FestivalTable) -> None:
    try:
        review = parse_review_text(decode_review_bytes(data, "fuzz"), source="fuzz", table=festivals)
    except ReviewParseError:
        return
    assert review.title


_LINES = st.sampled_from(
    [
        "Dir: Ana Lima. Portugal. 2023. 98 mins",
        "Dir/Scr: X. Y. 2020. 1h 2m",
        "Source: Somebody",
        "\u2018The Title\u2019",
        "Main cast: A, B",
        "International sales: Co, a@b.com; D, +1 555 555 5555",
        "---",
        "festival: Cannes",
        "",
        "A short line",
        "A sentence that ends with a full stop.",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(_LINES, st.text(max_size=80)), max_size=30))
def test_fuzz_review_shaped_text(lines: list[str], festivals: FestivalTable) -> None:
    with contextlib.suppress(ReviewParseError):
        parse_review_text("\n".join(lines), source="fuzz", table=festivals)


BAD_FILES = sorted(p for p in (FIXTURES / "bad").iterdir() if p.name != "README.md")


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.name)
def test_bad_fixture_files_are_rejected(path: Path, festivals: FestivalTable) -> None:
    with pytest.raises(ReviewParseError) as caught:
        parse_review_text(decode_review_bytes(path.read_bytes(), str(path)), source=str(path), table=festivals)
    assert str(caught.value).startswith(f"{path}: ")
