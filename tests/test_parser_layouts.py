"""Each layout of the review-layouts contract: recognised from its own lines, read by its rules.

The whole-file expectations are the fixtures (``tests/fixtures/reviews/*.expected.json``, checked by
``test_parser.py``); these tests pin one rule each, on small invented reviews.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main as festbot
from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.domain.text import clean_line
from bot.parsing.front_matter import split_front_matter
from bot.parsing.parser import detect, parse_review_text
from bot.parsing.text_file import ReviewParseError
from tests.conftest import FIXTURES

LAYOUT_FIXTURES = {
    "screen": "kitefall",
    "variety": "the-lamplighters-tax",
    "thr": "grandmas-orrery",
    "indiewire": "the-quiet-flock",
    "cineuropa": "saltgrass",
    "guardian": "marble-hymn",
}


def _parse(text: str, festivals: FestivalTable, **kwargs: str) -> Review:
    return parse_review_text(text, source="test", table=festivals, **kwargs)


def _fixture(name: str) -> Path:
    return FIXTURES / "reviews" / f"{name}.txt"


@pytest.mark.parametrize(("layout", "name"), sorted(LAYOUT_FIXTURES.items()))
def test_each_layout_is_recognised_from_its_own_lines(layout: str, name: str) -> None:
    _, lines = split_front_matter(_fixture(name).read_text(encoding="utf-8").splitlines(), name)
    found = detect([clean_line(line) for line in lines])
    assert found is not None and found.name == layout


def test_the_seed_and_the_old_fixtures_are_screen() -> None:
    for path in (FIXTURES / "reviews").glob("*.txt"):
        if path.stem in LAYOUT_FIXTURES.values() and path.stem != "kitefall":
            continue
        data = path.read_bytes()
        text = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("utf-8")
        found = detect([clean_line(line) for line in text.splitlines()])
        assert found is not None and found.name == "screen", path.name


@pytest.mark.parametrize(("layout", "name"), sorted(LAYOUT_FIXTURES.items()))
def test_parse_and_summarize_work_from_the_command_line_for_every_layout(
    layout: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert festbot(["parse", str(_fixture(name)), "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed == json.loads((FIXTURES / "reviews" / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert festbot(["summarize", str(_fixture(name)), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    text = " ".join(" ".join([parsed["headline"] or "", *parsed["body"], parsed["pull_quote"] or ""]).split())
    chosen = [s for part in ("verdict", "story", "prospects") for s in summary[part]]
    assert chosen and all(" ".join(s.split()) in text for s in chosen), layout


# --- Screen and its variants -------------------------------------------------------------------

SCREEN = (
    "A standfirst that says what the film is like\n\n{title}\n\nSource: Ninefold Films\n\n‘Kitefall’\n\n"
    "{header}\n\n{under}"
    "The film opens on a dam above a drowned village and never quite leaves it, which is its strength.\n\n"
    "A kite that will not come down\n\n"
    "It should travel to children's festivals after its premiere, and it deserves to.\n\n"
    "Production companies: Quillon Media Co., Larkspur Pictures\n{credits}Main cast: Maja Storli, Even Hauge\n"
)


def _screen(
    festivals: FestivalTable,
    *,
    title: str = "Kitefall",
    header: str = "Dir: Helga Ostby. Norway. 2027. 98 mins",
    under: str = "",
    credits: str = "",
) -> Review:
    text = SCREEN.format(title=title, header=header, under=under, credits=credits)
    return _parse(text, festivals)


@pytest.mark.parametrize(
    ("line", "title", "original"),
    [
        ("‘Kitefall’ (‘Dragefall’)", "Kitefall", "Dragefall"),
        ("Kitefall (Dragefall)", "Kitefall", "Dragefall"),
        ("‘The Glassblower’s Widow’ (‘Sklářova vdova’)", "The Glassblower’s Widow", "Sklářova vdova"),
        ("Kitefall [Dragefall]", "Kitefall", "Dragefall"),
        ("Kitefall", "Kitefall", None),
    ],
)
def test_screen_titles_lose_their_quotes(line: str, title: str, original: str | None, festivals: FestivalTable) -> None:
    review = _screen(festivals, title=line)
    assert (review.title, review.original_title) == (title, original)
    assert review.headline == "A standfirst that says what the film is like"


@pytest.mark.parametrize(
    ("header", "directors", "screenwriters", "countries", "year", "runtime"),
    [
        (
            "Dir: Oda Faulk and Ivar Brask. Scr: Ivar Brask, Tove Renwick. Finland. 2027. 88 mins",
            ["Oda Faulk", "Ivar Brask"],
            ["Ivar Brask", "Tove Renwick"],
            ["Finland"],
            2027,
            88,
        ),
        (
            "Dir/Scr: Runa T. Vassbotn. Norway/Estonia. 2027. 1hr 47mins",
            ["Runa T. Vassbotn"],
            ["Runa T. Vassbotn"],
            ["Norway", "Estonia"],
            2027,
            107,
        ),
        ("Dir: Ana Lima. UK-Ireland. 2026. 2hrs 6mins", ["Ana Lima"], [], ["UK", "Ireland"], 2026, 126),
        (
            "Dir: Ana Lima. Guinea-Bissau, Portugal. 2026. 117mins",
            ["Ana Lima"],
            [],
            ["Guinea-Bissau", "Portugal"],
            2026,
            117,
        ),
    ],
)
def test_screen_header(
    header: str,
    directors: list[str],
    screenwriters: list[str],
    countries: list[str],
    year: int,
    runtime: int,
    festivals: FestivalTable,
) -> None:
    review = _screen(festivals, header=header)
    assert (review.directors, review.screenwriters, review.countries) == (directors, screenwriters, countries)
    assert (review.year, review.runtime_minutes) == (year, runtime)
    assert review.credits.keys() == {"production_companies", "main_cast"}  # header roles are never credits


def test_screen_reviewed_at_line_places_the_film_and_is_no_body(festivals: FestivalTable) -> None:
    review = _screen(festivals, under="Reviewed at Berlin International Film Festival (Panorama), Feb 18, 2027\n\n")
    assert review.festival is not None and review.festival.model_dump() == {"name": "Berlinale", "section": "Panorama"}
    assert review.festival_year == 2027
    assert review.pull_quote == "A kite that will not come down"
    assert not any("Reviewed at" in p for p in review.body)
    assert review.year == 2027


def test_screen_scr_line_under_the_header_and_screenplay_credit(festivals: FestivalTable) -> None:
    assert _screen(festivals, under="Scr: Tove Renwick\n\n").screenwriters == ["Tove Renwick"]
    review = _screen(festivals, credits="Screenplay: Tove Renwick, Ivar Brask\n")
    assert review.screenwriters == ["Tove Renwick", "Ivar Brask"]
    assert review.credits["screenplay"] == ["Tove Renwick", "Ivar Brask"]


def test_screen_credit_values_split_on_commas_only(festivals: FestivalTable) -> None:
    review = _screen(festivals, credits="Music: Oda Brekke & The Lowland Tapes\nProducers: Ann Lee and Bo Dahl\n")
    assert review.credits["production_companies"] == ["Quillon Media Co.", "Larkspur Pictures"]
    assert review.credits["music"] == ["Oda Brekke & The Lowland Tapes"]
    assert review.credits["producers"] == ["Ann Lee and Bo Dahl"]


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Cast", "cast"),
        ("Co-producer", "co_producer"),
        ("Producers", "producers"),
        ("Cinematographer", "cinematographer"),
        ("Editor", "editor"),
        ("Film editing", "film_editing"),
        ("Director of photography", "director_of_photography"),
        ("Camera (b&w, 35mm)", "camera"),
        ("Special effects makeup", "special_effects_makeup"),
    ],
)
def test_credit_keys_are_the_label_as_written(label: str, key: str, festivals: FestivalTable) -> None:
    review = _screen(festivals, credits=f"{label}: Ann Lee\n")
    assert review.credits[key] == ["Ann Lee"]


@pytest.mark.parametrize(
    ("line", "agents"),
    [
        (
            "International sales: Tidemark International, sales@tidemark.example.com; "
            "Ninefold Films, www.ninefold.example.net, +1 202 555 0147",
            [
                ("Tidemark International", ["sales@tidemark.example.com"], [], []),
                ("Ninefold Films", [], ["+1 202 555 0147"], ["www.ninefold.example.net"]),
            ],
        ),
        (
            "International sales: Larkspur Pictures (all territories except Norway) bookings@larkspur.example.com",
            [("Larkspur Pictures", ["bookings@larkspur.example.com"], [], [])],
        ),
        (
            "World sales: Bellwether Sales, Tallinn, https://bellwether.example.org",
            [("Bellwether Sales", [], [], ["https://bellwether.example.org"])],
        ),
        (
            "Contact: Veldhuis & Co. (Switzerland), Tel: +41 44 555 01 47",
            [("Veldhuis & Co.", [], ["+41 44 555 01 47"], [])],
        ),
        ("Sales: Orsolo Media +44 20 7946 0321", [("Orsolo Media", [], ["+44 20 7946 0321"], [])]),
    ],
)
def test_sales_agents(
    line: str, agents: list[tuple[str, list[str], list[str], list[str]]], festivals: FestivalTable
) -> None:
    review = _screen(festivals, credits=line + "\n")
    assert [(a.company, a.emails, a.phones, a.urls) for a in review.sales] == agents
    key = line.partition(":")[0].lower().replace(" ", "_")
    assert review.credits[key] == [a[0] for a in agents]  # company names only


def test_screen_caption_is_no_pull_quote_and_a_question_paragraph_is_body(festivals: FestivalTable) -> None:
    text = SCREEN.format(title="Kitefall", header="Dir: Helga Ostby. Norway. 2027. 98 mins", under="", credits="")
    text = text.replace("A kite that will not come down\n\n", "")
    review = _parse(text, festivals)
    assert review.pull_quote is None
    assert review.image_credit == "Ninefold Films"


# --- Variety ------------------------------------------------------------------------------------

VARIETY = (
    "The Salt Mill\n\n"
    "Reviewed at San Sebastián Film Festival (New Directors), Sept. 22, 2028. Running time: 91 MIN.\n\n"
    "Original title: El molino de sal\n\n"
    "A delicate first feature about a miller's daughter is small, exact and quietly wise.\n\n"
    "The body starts here and goes on about the film, its premise and its prospects at some length.\n\n"
    "Production: (Spain-Argentina) A Numerales (in Spain) release of a Faro Films production, in co-production with "
    "Pampa Cine. (World sales: Meridiana Sales, Madrid.) Producers: Xiana Pedreira, Mateo Ybarra. "
    "Executive producer: Quillon Media Co.\n\n"
    "Crew: Director: Inés Bazterra. Screenplay: Inés Bazterra, Martín Q. Abal. Camera (color, 16mm): Ana Vilar. "
    "Editor: Rocío Lemos. Music: Brais Louzao & The Mills.\n\n"
    "With: Uxía Ferreiro, Xosé Carballal, Antía Veiga. (Galician, Spanish dialogue)\n"
)


def test_variety(festivals: FestivalTable) -> None:
    review = _parse(VARIETY, festivals)
    assert (review.title, review.original_title) == ("The Salt Mill", "El molino de sal")
    assert review.headline == "A delicate first feature about a miller's daughter is small, exact and quietly wise."
    assert review.body == [
        "The body starts here and goes on about the film, its premise and its prospects at some length."
    ]
    assert (review.year, review.runtime_minutes, review.countries) == (2028, 91, ["Spain", "Argentina"])
    assert review.festival is not None and review.festival.model_dump() == {
        "name": "San Sebastian",
        "section": "New Directors",
    }
    assert (review.directors, review.screenwriters) == (["Inés Bazterra"], ["Inés Bazterra", "Martín Q. Abal"])
    assert [(s.company, s.emails, s.phones, s.urls) for s in review.sales] == [("Meridiana Sales", [], [], [])]
    assert review.cast == ["Uxía Ferreiro", "Xosé Carballal", "Antía Veiga"]
    assert review.credits == {
        "world_sales": ["Meridiana Sales"],
        "producers": ["Xiana Pedreira", "Mateo Ybarra"],
        "executive_producer": ["Quillon Media Co."],
        "director": ["Inés Bazterra"],
        "screenplay": ["Inés Bazterra", "Martín Q. Abal"],
        "camera": ["Ana Vilar"],
        "editor": ["Rocío Lemos"],
        "music": ["Brais Louzao & The Mills"],
        "with": ["Uxía Ferreiro", "Xosé Carballal", "Antía Veiga"],
    }
    assert (review.publication, review.pull_quote, review.image_credit, review.reviewer) == (
        "Variety",
        None,
        None,
        None,
    )


def test_variety_language_line_on_its_own_and_uk_countries(festivals: FestivalTable) -> None:
    text = VARIETY.replace("(Spain-Argentina)", "(U.K.-Ireland-Germany)").replace(
        "Antía Veiga. (Galician, Spanish dialogue)", "Antía Veiga.\n\n(Galician, Spanish dialogue)"
    )
    review = _parse(text, festivals)
    assert review.countries == ["U.K.", "Ireland", "Germany"]
    assert review.cast == ["Uxía Ferreiro", "Xosé Carballal", "Antía Veiga"]


# --- The Hollywood Reporter ---------------------------------------------------------------------

THR = (
    "‘Grandpa’s Orrery’ Review: A Clockwork Comedy\nA dek about the film.\nBy Ann Critic\n{top}\n"
    "The body paragraph says what the film is and how it plays, with some detail.\n\n{bottom}"
    "Venue: Berlin International Film Festival (Panorama)\nProduction companies: Orrery Films Co.\n"
    "Cast: Liv Aasheim, Emil Rask\nDirector-screenwriter: Ingrid Solhaug\nCinematographer: Tor Haugland\n"
    "Sales: Larkspur Pictures (international); Fjordline (Norway)\nIn Norwegian and English\n2 hours 6 minutes\n"
)


@pytest.mark.parametrize("where", ["top", "bottom"])
def test_thr(where: str, festivals: FestivalTable) -> None:
    line = "THE BOTTOM LINE: Windswept, wry and a touch too long.\n"
    review = _parse(THR.format(top=line if where == "top" else "", bottom=line if where == "bottom" else ""), festivals)
    assert review.title == "Grandpa’s Orrery"
    assert review.headline == "‘Grandpa’s Orrery’ Review: A Clockwork Comedy"
    assert review.pull_quote == "Windswept, wry and a touch too long."
    assert review.reviewer == "Ann Critic"
    assert review.body == ["The body paragraph says what the film is and how it plays, with some detail."]
    assert review.festival is not None and review.festival.model_dump() == {"name": "Berlinale", "section": "Panorama"}
    assert (review.directors, review.screenwriters) == (["Ingrid Solhaug"], ["Ingrid Solhaug"])
    assert (review.runtime_minutes, review.year, review.countries) == (126, None, [])
    assert [s.company for s in review.sales] == ["Larkspur Pictures", "Fjordline"]
    assert review.credits == {
        "production_companies": ["Orrery Films Co."],
        "cast": ["Liv Aasheim", "Emil Rask"],
        "director_screenwriter": ["Ingrid Solhaug"],
        "cinematographer": ["Tor Haugland"],
        "sales": ["Larkspur Pictures", "Fjordline"],
    }
    assert review.publication == "The Hollywood Reporter"


def test_thr_straight_quotes_in_the_headline(festivals: FestivalTable) -> None:
    text = THR.format(top="", bottom="").replace("‘Grandpa’s Orrery’", "'The Gull Census'")
    assert _parse(text, festivals).title == "The Gull Census"


# --- IndieWire ----------------------------------------------------------------------------------

INDIEWIRE = (
    "‘The Quiet Flock’ Review: A Shepherd’s Last Winter\nA dek about the film.\nby Ann Critic\n{top}\n"
    "{sentence}\n\nIt is, in the end, a film worth seeing, and a careful one.\n\n{bottom}"
    "“The Quiet Flock” premiered in the Midnight Madness section at the 2027 Toronto International Film Festival. "
    "It is currently seeking U.S. distribution.\n"
)


@pytest.mark.parametrize(
    ("sentence", "directors", "screenwriters", "runtime"),
    [
        ("Estonian director Kadri Voolmaa’s bold film runs 107 minutes.", ["Kadri Voolmaa"], [], 107),
        (
            "Then writer-director Corin Brae starts something, and this 96-minute film follows.",
            ["Corin Brae"],
            ["Corin Brae"],
            96,
        ),
        ("The film, directed by Sefa Amankwah from a script by Jo Bell, is short.", ["Sefa Amankwah"], [], None),
        ("Tavi Moranu’s new film is a slender thing; the film runs a brisk 71 minutes.", ["Tavi Moranu"], [], 71),
        ("Director of photography Anouk Vermeer shoots it, and the final 10 minutes drag.", [], [], None),
        ("As Director Of Photography Anouk Vermeer says, the opening 15 minutes are the best.", [], [], None),
        ("Irish filmmaker Bea Halloran made it; her 18-minute short came first.", [], [], None),
        ("It has more in common with Solveig Aarnes’s debut, the Golden Bear-winning “Tide”, than most.", [], [], None),
        ("It runs a little under two hours, and co-written with Sefa Amankwah.", [], [], None),
    ],
)
def test_indiewire_prose_facts(
    sentence: str, directors: list[str], screenwriters: list[str], runtime: int | None, festivals: FestivalTable
) -> None:
    review = _parse(INDIEWIRE.format(top="", bottom="", sentence=sentence), festivals)
    assert (review.directors, review.screenwriters, review.runtime_minutes) == (directors, screenwriters, runtime)


@pytest.mark.parametrize("where", ["top", "bottom"])
def test_indiewire_grade_is_the_rating_and_no_body(where: str, festivals: FestivalTable) -> None:
    grade = "Grade: A-\n"
    text = INDIEWIRE.format(
        top=grade if where == "top" else "", bottom=grade + "\n" if where == "bottom" else "", sentence="It is a film."
    )
    review = _parse(text, festivals)
    assert review.rating is not None and review.rating.model_dump() == {"text": "A-", "score": 91}
    assert not any("Grade" in p for p in review.body) and review.pull_quote is None
    assert review.body[-1].startswith("“The Quiet Flock” premiered")  # the end note stays in the body
    assert review.festival is not None and review.festival.model_dump() == {
        "name": "TIFF",
        "section": "Midnight Madness",
    }
    assert (review.year, review.festival_year, review.reviewer) == (2027, 2027, "Ann Critic")
    assert (review.publication, review.credits, review.sales, review.cast) == ("IndieWire", {}, [], [])


# --- Cineuropa ----------------------------------------------------------------------------------

CINEUROPA = (
    "{prefix}Saltgrass\n\nby Ann Critic\n\n- {kicker}: Ilmar Vesik's first feature is austere and patient\n\n"
    "Saltgrass, {slot}, is a film of weather and silence, and of two brothers who will not agree.\n\n"
    "Saltgrass was produced by Tuulemaa Film. Its international sales are handled by Greyhaven Films.\n\n"
    "Original title: Soolarohi\nCountry: Finland, Latvia\nYear: 2027\nGenre: Drama\nDirected by: Ilmar Vesik\n"
    "Screenplay: Ilmar Vesik, Kadi Tamm\nCast: Rein Oja, Siim Lepp\nCinematography: Tanel Muru\n"
    "International sales: Greyhaven Films\n{contact}\n"
)


@pytest.mark.parametrize(
    ("kicker", "slot", "festival"),
    [
        ("BERLINALE 2028", "presented in the Encounters strand", {"name": "Berlinale", "section": "Encounters"}),
        ("SAN SEBASTIÁN 2028", "competing in New Directors", {"name": "San Sebastian", "section": "New Directors"}),
        ("CANNES 2028", "which opened the Fortnight", {"name": "Cannes", "section": "Directors' Fortnight"}),
        ("IFFR 2028", "vying for a Tiger Award", {"name": "IFFR", "section": "Tiger Competition"}),
        ("BFI LONDON 2028", "a late addition to the line-up", {"name": "BFI London Film Festival", "section": None}),
        ("VENICE 2028", "in the race for the Golden Lion", {"name": "Venice", "section": "Competition"}),
    ],
)
def test_cineuropa(kicker: str, slot: str, festival: dict[str, str | None], festivals: FestivalTable) -> None:
    for prefix, contact in (("Review: ", "www.greyhaven.example.org"), ("", "screeners@greyhaven.example.org")):
        review = _parse(CINEUROPA.format(prefix=prefix, kicker=kicker, slot=slot, contact=contact), festivals)
        assert review.title == "Saltgrass" and review.reviewer == "Ann Critic"
        assert review.headline == "Ilmar Vesik's first feature is austere and patient"
        assert review.festival is not None and review.festival.model_dump() == festival
        assert (review.original_title, review.countries, review.year) == ("Soolarohi", ["Finland", "Latvia"], 2027)
        assert (review.directors, review.screenwriters) == (["Ilmar Vesik"], ["Ilmar Vesik", "Kadi Tamm"])
        sale = review.sales[0]
        assert (sale.company, sale.emails + sale.urls) == ("Greyhaven Films", [contact])
        assert not {"original_title", "country", "year", "genre"} & review.credits.keys()
        assert review.credits["directed_by"] == ["Ilmar Vesik"]
        assert review.body[-1].startswith("Saltgrass was produced by")
        assert (review.runtime_minutes, review.pull_quote, review.image_credit) == (None, None, None)


# --- Guardian-style newspaper review ------------------------------------------------------------

GUARDIAN = (
    "Marble Hymn review – a stonecutter's stubborn psalm {stars}\n\n"
    "A quarryman's daughter refuses to sell the family pit in a handsome, slow-burning drama\n\n"
    "‘Hard as the hill’ … Nerys Talfan in Marble Hymn. Photograph: Courtesy of TIFF\n\n"
    "Director Celyn Maddox-Rhys, whose 2020 short premiered at Rotterdam, films the quarry like a cathedral.\n\n"
    "{final}\n"
)


@pytest.mark.parametrize(("stars", "score"), [("★★★☆☆", 60), ("★☆☆☆☆", 20), ("★★★★★", 100), ("★★★★", 80)])
def test_guardian(stars: str, score: int, festivals: FestivalTable) -> None:
    final = "Marble Hymn screened at the 2027 Karlovy Vary film festival."
    review = _parse(GUARDIAN.format(stars=stars, final=final), festivals)
    assert review.title == "Marble Hymn"
    assert review.headline == f"Marble Hymn review – a stonecutter's stubborn psalm {stars}"
    assert review.rating is not None and (review.rating.text, review.rating.score) == (stars, score)
    assert review.image_credit == "Courtesy of TIFF"
    assert review.festival is not None and review.festival.model_dump() == {"name": "Karlovy Vary", "section": None}
    assert (review.year, review.directors, review.screenwriters) == (2027, ["Celyn Maddox-Rhys"], [])
    assert review.body[-1] == final and len(review.body) == 2  # standfirst and caption are no body
    assert (review.publication, review.pull_quote, review.credits) == (None, None, {})


def test_guardian_caption_and_other_films_never_place_the_film(festivals: FestivalTable) -> None:
    review = _parse(
        GUARDIAN.format(stars="★★★☆☆", final="Marble Hymn is released in UK cinemas on 12 June."), festivals
    )
    assert review.festival is None and review.year is None


# --- Festivals, from any layout's prose ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "festival"),
    [
        ("It plays the BFI London film festival this week.", ("BFI London Film Festival", None)),
        ("Competing for the Golden Lion, it is a contender.", ("Venice", "Competition")),
        ("It is in the race for the Golden Bear this year.", ("Berlinale", "Competition")),
        ("It arrives on the Croisette in the race for the Palme d’Or.", ("Cannes", "Competition")),
        ("Presented in the Fortnight at Cannes, it drew a crowd.", ("Cannes", "Directors' Fortnight")),
        ("Vying for a Tiger Award, it should find buyers.", ("IFFR", "Tiger Competition")),
        ("It premiered in the main competition at Venice.", ("Venice", "Competition")),
        ("Faulk's previous film took a prize at Locarno, and this one is better.", None),
        ("Her 2019 short premiered at Rotterdam.", None),
        ("Its world premiere in the Panorama in February 2027 drew buyers to Berlin.", ("Berlinale", "Panorama")),
        ("Her son is home from Copenhagen with a business plan.", None),  # a city alone, no screening
        ("Screening in Locarno this week, it should find buyers.", ("Locarno", None)),
        ("Estonian cinema has been a fixture at the Berlinale for a decade.", None),
        ("It premiered at Sundance and opens here next year.", ("Sundance", None)),
        ("It played in NEXT at Sundance.", ("Sundance", "NEXT")),
        ("It premiered in the U.S. Dramatic Competition at Sundance.", ("Sundance", "U.S. Dramatic Competition")),
        ("After its Cannes premiere the film will travel.", ("Cannes", None)),  # not the Cannes Premiere section
        (
            "It premiered in the Crystal Globe competition at Karlovy Vary.",
            ("Karlovy Vary", "Crystal Globe Competition"),
        ),
    ],
)
def test_festival_from_the_prose(
    sentence: str, festival: tuple[str, str | None] | None, festivals: FestivalTable
) -> None:
    text = SCREEN.format(
        title="Kitefall", header="Dir: Helga Ostby. Norway. 2027. 98 mins", under="", credits=""
    ).replace("It should travel to children's festivals after its premiere, and it deserves to.", sentence)
    placed = _parse(text, festivals).festival
    assert ((placed.name, placed.section) if placed else None) == festival


# --- Front matter and --festival win over the text ----------------------------------------------


def test_front_matter_wins(festivals: FestivalTable) -> None:
    front = (
        "---\npublication: Screen Daily\nrating: 3.5/5\nimage_url: https://images.example.com/k.jpg\n"
        "festival: Cannes\nsection: Un Certain Regard\nfestival_year: 2026\n---\n"
    )
    review = _parse(
        front + GUARDIAN.format(stars="★★★☆☆", final="Marble Hymn screens at the Sundance film festival."), festivals
    )
    assert (review.publication, review.image_url) == ("Screen Daily", "https://images.example.com/k.jpg")
    assert review.rating is not None and (review.rating.text, review.rating.score) == ("3.5/5", 70)
    assert review.festival is not None and review.festival.model_dump() == {
        "name": "Cannes",
        "section": "Un Certain Regard",
    }
    assert review.festival_year == 2026


def test_festival_option_applies_when_front_matter_names_none(festivals: FestivalTable) -> None:
    review = _parse(THR.format(top="", bottom=""), festivals, festival="Venice 2026")
    assert review.festival is not None and review.festival.name == "Venice"
    assert review.festival_year == 2026


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("3/5", 60),
        ("3.5/5", 70),
        ("7/10", 70),
        ("83/100", 83),
        ("B+", 83),
        ("A", 100),
        ("C-", 42),
        ("F", 0),
        ("★★★☆☆", 60),
    ],
)
def test_ratings_on_one_scale(text: str, score: float, festivals: FestivalTable) -> None:
    review = _parse(f"---\nrating: {text}\n---\n" + THR.format(top="", bottom=""), festivals)
    assert review.rating is not None and (review.rating.text, review.rating.score) == (text, score)


def test_no_layout_names_what_was_looked_for(festivals: FestivalTable) -> None:
    with pytest.raises(ReviewParseError) as caught:
        _parse("A headline\n\nSome prose, and nothing else.\n", festivals)
    for looked_for in (
        "Screen header line",
        "Variety 'Reviewed at",
        "‘Title’ Review:",
        "Cineuropa film card",
        "review – ",
    ):
        assert looked_for in caught.value.reason


# --- Variants a writer may use within the contract ----------------------------------------------


def test_a_body_sentence_with_a_colon_above_the_credits_stays_body(festivals: FestivalTable) -> None:
    text = SCREEN.format(title="Kitefall", header="Dir: Helga Ostby. Norway. 2027. 98 mins", under="", credits="")
    text = text.replace("Production companies:", "The verdict: a small, exact triumph.\n\nProduction companies:")
    review = _parse(text, festivals)
    assert review.body[-1] == "The verdict: a small, exact triumph."
    assert "the_verdict" not in review.credits


def test_variety_original_title_after_the_dek_and_a_two_role_label(festivals: FestivalTable) -> None:
    text = VARIETY.replace("Original title: El molino de sal\n\n", "").replace(
        "quietly wise.\n\n", "quietly wise.\n\nOriginal title: El molino de sal\n\n", 1
    )
    text = text.replace(
        "Director: Inés Bazterra. Screenplay: Inés Bazterra, Martín Q. Abal.", "Director, writer: Inés Bazterra."
    )
    review = _parse(text, festivals)
    assert review.original_title == "El molino de sal"
    assert not any(p.startswith("Original title") for p in review.body)
    assert (review.directors, review.screenwriters) == (["Inés Bazterra"], ["Inés Bazterra"])
    assert review.credits["director_writer"] == ["Inés Bazterra"]


@pytest.mark.parametrize("label", ["Writer-director", "Director-writer", "Director-screenwriter"])
def test_thr_writer_director_labels_fill_both_lists(label: str, festivals: FestivalTable) -> None:
    text = THR.format(top="", bottom="").replace("Director-screenwriter:", f"{label}:")
    review = _parse(text, festivals)
    assert (review.directors, review.screenwriters) == (["Ingrid Solhaug"], ["Ingrid Solhaug"])


def test_an_end_note_with_the_year_after_the_festival(festivals: FestivalTable) -> None:
    text = INDIEWIRE.format(top="", bottom="", sentence="It is a film.").replace(
        "at the 2027 Toronto International Film Festival", "at TIFF 2027"
    )
    review = _parse(text, festivals)
    assert review.festival is not None and review.festival.model_dump() == {
        "name": "TIFF",
        "section": "Midnight Madness",
    }
    assert review.year == 2027


@pytest.mark.parametrize(
    ("kicker", "festival"),
    [
        ("BERLINALE 2028 Encounters", {"name": "Berlinale", "section": "Encounters"}),
        ("CANNES 2028 – DIRECTORS’ FORTNIGHT", {"name": "Cannes", "section": "Directors' Fortnight"}),
    ],
)
def test_a_cineuropa_kicker_that_names_the_section(
    kicker: str, festival: dict[str, str], festivals: FestivalTable
) -> None:
    text = CINEUROPA.format(prefix="", kicker=kicker, slot="a quiet film", contact="www.greyhaven.example.org")
    review = _parse(text, festivals)
    assert review.headline == "Ilmar Vesik's first feature is austere and patient"
    assert review.festival is not None and review.festival.model_dump() == festival


def test_paragraphs_with_no_blank_line_between_them(festivals: FestivalTable) -> None:
    """One line per paragraph and no blank lines: the pull quote and the closing note stay apart."""
    screen = _parse(
        SCREEN.format(title="Kitefall", header="Dir: Helga Ostby. Norway. 2027. 98 mins", under="", credits="").replace(
            "\n\n", "\n"
        ),
        festivals,
    )
    assert screen.pull_quote == "A kite that will not come down"
    assert len(screen.body) == 2
    indiewire = _parse(INDIEWIRE.format(top="", bottom="", sentence="It is a film.").replace("\n\n", "\n"), festivals)
    assert indiewire.body[-1].startswith("“The Quiet Flock” premiered") and indiewire.year == 2027
    wrapped = INDIEWIRE.format(top="", bottom="", sentence="It is a film that takes its time,\nand it is worth it.")
    assert _parse(wrapped, festivals).body[0] == "It is a film that takes its time, and it is worth it."


def test_variety_running_time_on_its_own_line(festivals: FestivalTable) -> None:
    text = VARIETY.replace("Sept. 22, 2028. Running time: 91 MIN.", "Sept. 22, 2028.\n\nRunning time: 91 MIN.")
    text = text.replace("Crew: ", "Credits: ")
    review = _parse(text, festivals)
    assert (review.publication, review.runtime_minutes, review.year) == ("Variety", 91, 2028)


def test_a_cineuropa_kicker_without_its_dash(festivals: FestivalTable) -> None:
    text = CINEUROPA.format(prefix="", kicker="IFFR 2028", slot="a quiet film", contact="www.greyhaven.example.org")
    text = text.replace("- IFFR 2028:", "IFFR 2028:").replace("Directed by: Ilmar Vesik\n", "Director: Ilmar Vesik\n")
    review = _parse(text, festivals)
    assert review.publication == "Cineuropa"
    assert review.headline == "Ilmar Vesik's first feature is austere and patient"
    assert review.festival is not None and review.festival.name == "IFFR"
    assert review.directors == ["Ilmar Vesik"]
