"""A deterministic generator of synthetic trade reviews, in the layout of ``bot/shipped/reviews/return-to-dust.txt``.

Each review is a pure function of ``(seed, index)``: ``generate(seed, i)`` seeds its own
``random.Random`` from that pair (a string seed is hashed with SHA-512, so the result does not depend
on ``PYTHONHASHSEED``), which means the same seed gives byte-identical files whatever the number of
workers, and the first 10,000 files of the 100,000 corpus are the 10,000 corpus.

What a review looks like, as the trade press writes it:

* optional front matter (about 60%: url, published_at, reviewer, festival, section; the others name
  their festival in the text, "its world premiere in Panorama at the Berlinale", for the parser to infer);
* a standfirst, the title (with the original title in brackets for about 15%, some in Cyrillic, Greek,
  Chinese or Japanese), a ``Source:`` image credit, the title again as a caption;
* the header ``Dir/Scr: Name. Country. Year. N mins`` in its common variants (``Dirs:``, ``Dir:`` with
  a ``Scr:`` line below, ``1hr 45mins``, co-productions ``France/Belgium``);
* 5 to 10 body paragraphs (about 350 to 1,100 words, a few longer) with story sentences
  ("Ma Youtie (Wu Renlin)"), verdict and prospects sentences, craft sentences, and one short
  standalone pull quote echoed in the text;
* ``Label: value`` credits: 1 to 3 sales agents with emails, phones and websites, production
  companies, and 10 to 80 credited people in all (header, crew and cast).

Titles are drawn from shared pools ("The Salt Road", "The Salt Harvest", "Road to Ivanka"), so many
titles share words, as real festival line-ups do; names and titles carry accents and other
non-ASCII letters (Pérez, Łukasz, Søren, Nguyễn, Çelik). People recur across films with a skewed
distribution (a few busy crew members, a long tail drawn from a pool of 1.8 million, so that 100,000
films credit about a million people, three to four credits each); most directors have one film, some
several.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

SHARD_SIZE = 10_000

# --------------------------------------------------------------------------------------------- pools


def _split(text: str) -> list[str]:
    return text.split()


NOUNS = _split(
    "Road Salt River House Field Harbour Dust Light Night Mother Father Daughter Son Sister Brother Garden "
    "Island Mountain Valley Forest Sea Shore Winter Summer Autumn Spring Rain Snow Wind Fire Stone Bridge "
    "Wall Door Window Room Kitchen Table Bed Letter Song Dance Voice Silence Shadow Mirror Dream Memory "
    "Promise Secret Lie Truth Heart Hand Eye Blood Bone Skin Water Bread Milk Honey Wine Salt Sugar "
    "Orchard Vineyard Farm Village Town City Border Frontier Desert Steppe Lake Well Tower Church Chapel "
    "School Factory Mine Harvest Flood Drought Storm Tide Wave Horizon Sky Star Moon Sun Dawn Dusk Evening "
    "Morning Hour Year Century Season Journey Return Departure Arrival Crossing Passage Exile Homecoming "
    "Wedding Funeral Birthday Feast Party Game Hunt Fishing Boat Ship Train Car Bicycle Horse Dog Cat Wolf "
    "Bear Fox Deer Bird Crow Swan Eagle Owl Bee Butterfly Spider Snake Fish Whale Tree Oak Pine Cedar "
    "Willow Rose Lily Orchid Wheat Rice Corn Cotton Silk Wool Glass Iron Gold Silver Copper Salt Ash Smoke "
    "Ember Ashes Ruins Kingdom Empire Republic Province Colony Camp Prison Hospital Hotel Cinema Theatre "
    "Circus Carnival Parade Market Bazaar Station Airport Port Lighthouse Keeper Tailor Baker Butcher "
    "Teacher Doctor Nurse Soldier Sailor Priest Nun Judge Thief Stranger Neighbour Widow Orphan Prophet "
    "Saint Sinner Hunter Shepherd Miner Fisherman Driver Pilot Singer Dancer Painter Poet Witness Guest "
    "Host Heir Queen King Prince Princess Puppet Ghost Angel Devil Monster Giant Child Children Girls Boys "
    "Women Men Lovers Strangers Friends Enemies Brothers Sisters Daughters Sons Mothers Fathers Family "
    "Tribe Crowd Chorus Orchestra Band Choir Club Gang Army"
)
ADJECTIVES = _split(
    "Quiet Silent Long Short Last First Second Lost Hidden Broken Burning Frozen Falling Rising Golden "
    "Silver Black White Red Blue Green Grey Bitter Sweet Wild Gentle Cruel Tender Distant Near Little Big "
    "Great Small Old New Young Ancient Modern Holy Sacred Secret Open Closed Empty Full Dark Bright Pale "
    "Cold Warm Hot Dry Wet Hollow Heavy Light Strange Familiar Foreign Native Northern Southern Eastern "
    "Western Invisible Forgotten Remembered Stolen Borrowed Salted Wounded Sleeping Waking Dancing "
    "Singing Drowning Floating Flying Running Wandering Fading Shining Endless Eternal Final Perfect "
    "Imperfect Beautiful Ugly Happy Sad Lonely Restless Fearless Shameless Honest Loyal Faithful Stubborn"
)
PLACES = _split(
    "Lisbon Gansu Sonora Kraków Tbilisi Odesa Marseille Naples Palermo Seville Bilbao Porto Oaxaca Lagos "
    "Dakar Nairobi Cairo Tangier Beirut Tehran Kabul Lahore Dhaka Kolkata Chennai Hanoi Saigon Manila "
    "Jakarta Busan Sapporo Kyoto Harbin Lhasa Ulaanbaatar Almaty Samarkand Baku Yerevan Sarajevo Skopje "
    "Tirana Plovdiv Cluj Brno Łódź Gdańsk Vilnius Riga Tartu Tromsø Bergen Malmö Aarhus Reykjavík Cork "
    "Galway Glasgow Belfast Antwerp Ghent Liège Lyon Nantes Bordeaux Trieste Bari Zürich Graz Linz Ljubljana "
    "Zagreb Split Mostar Podgorica Salonica İzmir Antalya Haifa Jaffa Tunis Oran Fès Bamako Accra Kinshasa "
    "Luanda Maputo Harare Valparaíso Cusco Medellín Bogotá Havana Recife Belém Manaus Rosario Mendoza "
    "Montréal Québec Winnipeg Tulsa Memphis Detroit Tucson Fresno Anchorage Hobart Perth Darwin Auckland"
)
FOREIGN_TITLE_WORDS = _split(
    "La Le Les El Los Las Il Der Die Das Det Den Ett Una Un Une Ein Eine Czas Dom Noc Miasto Ziemia Córka "
    "Matka Ojciec Rzeka Życie Śmierć Dívka Píseň Léto Zima Ryba Řeka Hrad Kočka Ölüm Yaz Kış Deniz Kuş "
    "Yolculuk Gölge Ayna Sessizlik Çocuk Kadın Şehir Ev Mère Père Fille Fleuve Été Hiver Forêt Île Lumière "
    "Nuit Mémoire Rêve Cœur Âme Frère Sœur Enfants Voyage Retour Dernière Première Mañana Corazón Canción "
    "Niña Niño Río Montaña Pájaro Camión Jardín Estación Última Ciudad Señor Señora Travesía Sal Polvo "
    "Saudade Coração Irmã Irmão Manhã Caminhão Estação Ilha Pão Mãe Pai Vento Chão Nação Schwester Bruder "
    "Mädchen Junge Größe Straße Brücke Träume Blüte Frühling Mühle Tür Höhe Nacht Stille Licht Kälte "
    "Hjärta Sjö Skog Ö Våren Hösten Flickan Pojken Søster Bror Sommer Høst Fjord Bølge Lys Mørke Þögn Ljós "
    "Jörð Dóttir Sonur Veður Hafið Tất Người Mẹ Đường Sông Nhà Gió Biển Đêm Ánh Mưa Yêu Núi Lửa"
)
ORIGINAL_SCRIPTS = [
    "Возвращение",
    "Тишина",
    "Дом у моря",
    "Последнее лето",
    "Соль земли",
    "Сестра",
    "Σιωπή",
    "Το σπίτι",
    "Η θάλασσα",
    "Επιστροφή",
    "隐入尘烟",
    "回家",
    "河边的错误",
    "一个人的村庄",
    "海边的房子",
    "夏の終わり",
    "静かな雨",
    "家族の肖像",
    "おくりびと",
    "다시 봄",
    "바다의 노래",
    "그 여름",
    "ذاكرة",
    "البحر",
    "הבית",
    "שתיקה",
]
CONNECTORS = ["of", "in", "for", "from", "to", "at", "under", "beyond", "after", "before", "with", "without"]
GERUNDS = _split(
    "Waiting Leaving Finding Losing Burying Crossing Chasing Counting Keeping Mending Raising Selling Singing "
    "Teaching Watching Remembering Forgetting Becoming Carrying Building"
)

# People: per-culture first names and surnames, with syllable-built surnames to widen the space.
CULTURES: list[tuple[list[str], list[str], list[str], list[str]]] = [
    (  # Spanish / Latin American
        _split(
            "Ana Tomás Lucía Rubén Iñaki Marisol Héctor Daniela Emiliano Gabriela Joaquín Efraín María José "
            "Sofía Mateo Valentina Santiago Camila Nicolás Inés Álvaro Begoña Íñigo Nuria Ramón Pilar Jesús "
            "Martín Elena Andrés Paula Sebastián Julián Dolores Ximena Agustín Renata Fermín Zoe"
        ),
        _split(
            "Pérez Ruiz Castañeda Solórzano Peña Ulloa Ocampo Vázquez Montaño Ibarra García López Martínez "
            "Sánchez Gómez Fernández Díaz Muñoz Álvarez Romero Navarro Domínguez Gutiérrez Núñez Ordóñez Suárez"
        ),
        _split("Alba Cas Val Mon Gar Bel Sal Can Mar Riv Cor Fuen Villa Lar Olm Zam Ber Esc"),
        _split("ranza tillo dés iño ero ega ales oza ella urria ueta arte ano ido"),
    ),
    (  # Chinese
        _split(
            "Li Wang Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo Liang Song "
            "Zheng Xie Han Tang Feng Yu Dong Xiao Cao Deng"
        ),
        _split(
            "Ruijun Weihua Renlin Qing Guangrui Dengping Cailan Zishan Hong Min Yan Dahai Yimou Kaige Xiaogang "
            "Jia Bi Gan Yu Nan Wei Jun Hao Lei Fang Ting Xin Yue Mei Qiang Bo Tao Jie Ling"
        ),
        _split("Xiao Da Chun Qiu Dong Hai Shan Yun Feng Yu Tian Ming Jing Wen Hua Zhi"),
        _split("hui jun ping lan hong mei qiang ling yue fei ning song"),
    ),
    (  # Nordic
        _split(
            "Søren Mette Ingrid Lars Astrid Björn Sigrid Anders Freja Mads Kari Ola Eva Nils Liv Gunnar Maja "
            "Henrik Signe Tove Oskar Elin Jonas Hanne Rasmus Þóra Ólafur Guðrún Sigurður"
        ),
        _split(
            "Berg Lund Holm Dahl Sand Ström Nielsen Jensen Hansen Larsen Andersen Johansson Lindqvist "
            "Sigurðsson Ólafsdóttir Jónsdóttir Haugland Bakke Fjeld Næss Sæther Østergaard"
        ),
        _split("Berg Lund Holm Dahl Sand Ek Lind Sjö Ny Håk Fors Ström Hed Öst Vik"),
        _split("ström gren qvist berg sen son dóttir vik land stad holm dal"),
    ),
    (  # Polish / Czech / Slovak
        _split(
            "Łukasz Małgorzata Wojciech Agnieszka Krzysztof Katarzyna Piotr Zofia Jakub Ewa Tomasz Joanna "
            "Michał Alicja Paweł Jiří Věra Tereza Ondřej Kateřina Radim Zdeněk Šárka Bohdan Jolanta"
        ),
        _split(
            "Kowalski Nowak Wiśniewski Wójcik Kamiński Lewandowski Zieliński Szymańska Dvořák Novotná "
            "Svoboda Černý Procházka Kučera Horáková Němec Šimůnek Pospíšil Hájek Král"
        ),
        _split("Kowal Nowa Wiś Zieliń Dąbr Grab Koz Maj Sob Strz Cich Ryb Pol Brz Wol"),
        _split("ski ska czyk iak ewicz owicz ek ák ová ný ička ár"),
    ),
    (  # French / Belgian
        _split(
            "Amélie Léa Chloé Étienne François Hélène Céline Jérôme Zoé Noémie Raphaël Thérèse Gaël Clémence "
            "Benoît Agnès Manon Louis Camille Julien Margaux Théo Mathilde Aurélien"
        ),
        _split(
            "Dubois Lefèvre Moreau Laurent Girard Rousseau Fournier Mercier Bonnet Lambert Fontaine Chevalier "
            "Garnier Faure Gauthier Perrin Lemaître Bérenger Delacroix"
        ),
        _split("Beau Belle Mont Roche Ville Champ Val Bois Fon Lac Mar Sau"),
        _split("lieu mont champ fort ville court mare vert rive noir"),
    ),
    (  # German / Austrian / Swiss
        _split(
            "Jürgen Anneliese Matthias Katharina Jörg Lena Tobias Sabine Florian Ulrike Günter Bärbel Lukas "
            "Johanna Maximilian Hannah Dörte Wolfgang Greta Stefan"
        ),
        _split(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
            "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger Größer Weiß"
        ),
        _split("Bach Berg Stein Wald Feld Brunn Hof Dorf Linden Rosen Eisen Gold"),
        _split("mann bauer hofer berger stein ner ler acher"),
    ),
    (  # Turkish
        _split("Ayşe Mehmet Elif Mustafa Zeynep Emre Şule Barış Gülşen Oğuz Çağla Hakan Nur Tolga Ece Serkan İpek"),
        _split("Yılmaz Kaya Demir Çelik Şahin Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan Çetin"),
        _split("Kara Ak Gök Demir Yıl Tun Er Öz Kurt Can"),
        _split("oğlu soy kan türk taş ay er baş"),
    ),
    (  # Vietnamese / Thai / Filipino
        _split("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý"),
        _split("Minh Thị Văn Hương Dũng Lan Tuấn Hạnh Quang Thảo Phương Bảo Anh Khoa Linh Trang"),
        _split("Thanh Ngọc Kim Hải Đức Xuân Thu Hồng"),
        _split("an anh ang inh uy uong ai"),
    ),
    (  # English-speaking
        _split(
            "Jane Sam Rachel Daniel Emma Oliver Sarah James Laura Michael Kate Thomas Anna Peter Claire David "
            "Fiona Patrick Grace Owen Ruth Simon Nora Hugh Megan Callum Siobhan Declan Aoife Niamh"
        ),
        _split(
            "Whitaker Critic Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Wright "
            "Robinson Thompson White Hughes Edwards Green Hall Wood Harris Clarke Jackson O’Brien Kelly "
            "Murphy Byrne Walsh MacLeod Fitzgerald"
        ),
        _split("Ash Black Brad Brook Cald Dun Fair Hart Kings Marsh Red Stan West Whit"),
        _split("ford ley well wood worth ton field more by well"),
    ),
    (  # Arabic / Persian / Hebrew, romanised
        _split(
            "Youssef Leila Karim Nour Hana Omar Yasmin Tarek Farah Rami Dalia Samir Amira Reza Shirin Dariush "
            "Golshifteh Asghar Noa Yael Itai Tamar Avi"
        ),
        _split(
            "Haddad Khalil Mansour Nasser Saleh Farouk Aziz Hamdan Karimi Farhadi Rahimi Panahi Ahmadi Tehrani "
            "Cohen Levi Mizrahi Peretz Friedman Katz"
        ),
        _split("Abd Al Ben Bou Ez Ha Ka Ma Sa Ta"),
        _split("rahman aziz kader lah ssan oud din"),
    ),
    (  # Korean / Japanese
        _split(
            "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Hiroshi Yuki Haruki Akiko Kenji Naomi Takashi Emi "
            "Ryusuke Hirokazu Kiyoshi Sayaka"
        ),
        _split(
            "Min-jun Seo-yeon Ji-woo Ha-eun Do-yoon Soo-ah Hamaguchi Koreeda Kurosawa Tanaka Suzuki Watanabe "
            "Takahashi Yamamoto Nakamura Kobayashi Sato Ito"
        ),
        _split("Ha Ji Min Seo Soo Yeon Naka Yama Taka Kawa Mori"),
        _split("-jin -woo -hee -ah mura moto shita gawa da"),
    ),
    (  # Balkan / Romanian / Georgian / Ukrainian
        _split(
            "Jasmila Goran Mirjana Dragan Ana Milica Nikola Ivana Cristi Corneliu Radu Ioana Ileana Nino Levan "
            "Tamar Giorgi Oksana Mykola Iryna Taras Olena Bohdana"
        ),
        _split(
            "Žbanić Paskaljević Marković Jovanović Petrović Popescu Munteanu Mungiu Ionescu Puiu Porumboiu "
            "Beridze Kvirikashvili Gelashvili Shevchenko Kovalenko Bondarenko Tkachenko Vasylenko"
        ),
        _split("Jov Mar Pet Nik Drag Pop Ion Mun Ber Kval Shev Bond Kov"),
        _split("ić ović escu eanu idze ashvili enko chuk"),
    ),
]

COUNTRIES = _split(
    "China France Belgium Germany Austria Switzerland Spain Portugal Mexico Argentina Chile Colombia Brazil Peru "
    "Italy Greece Turkey Iran Israel Lebanon Egypt Morocco Tunisia Senegal Nigeria Kenya India Bangladesh "
    "Pakistan Japan Korea Vietnam Thailand Philippines Indonesia Poland Czechia Slovakia Hungary Romania Bulgaria "
    "Serbia Croatia Georgia Ukraine Lithuania Latvia Estonia Finland Sweden Norway Denmark Iceland Ireland UK USA "
    "Canada Australia Netherlands Luxembourg Qatar"
)
COMPOSITE_COUNTRIES = ["Bosnia and Herzegovina", "North Macedonia", "South Africa", "New Zealand", "Saudi Arabia"]

SALES_WORDS = _split(
    "Appeal Match Wild Bunch Films Boutique Cercamon Rediance Totem Alpha Violet Loco Visit Picture Tree "
    "Memento Charades Pluto Fandango Beta Coproduction Office Luxbox Heretic Indie Sales Urban Reel Suns "
    "Playtime Orange Studio Celluloid Dreams Magnify Protagonist Goodfellas Latido Bendita Lightdox Cat&Docs "
    "Autlook Taskovski Films Boutique Wide MK2 Kinology Cinephil Best Friend Forever Elle Driver Northbeam "
    "Marea Alta Fjord Nordic Tiger Salt Dune Lantern Harbour"
)
COMPANY_SUFFIXES = ["Films", "Pictures", "Productions", "Studio", "Media", "Cinema", "Entertainment", "Film Company"]
COMPANY_PREFIXES = ["Studio", "Atelier", "Casa", "Maison", "Filmes", "Kino", "Producciones"]
DOMAINS = ["example.com", "example.org", "example.net", "example.film", "example.fr", "example.de", "example.co.uk"]

CREW_LABELS = [
    ("Producers", 1, 6),
    ("Executive producers", 0, 8),
    ("Co-producers", 0, 4),
    ("Cinematography", 1, 2),
    ("Editing", 1, 3),
    ("Production design", 1, 2),
    ("Costume design", 0, 2),
    ("Make-up", 0, 3),
    ("Sound", 0, 4),
    ("Visual effects", 0, 4),
    ("Music", 1, 2),
    ("Casting", 0, 2),
]

GENRES = _split(
    "drama comedy thriller documentary fable melodrama satire western romance odyssey portrait chamber-piece "
    "road-movie coming-of-age horror essay-film"
)
EVAL_POSITIVE = _split(
    "affecting accomplished assured absorbing tender luminous gripping moving striking compelling "
    "poignant confident elegant arresting remarkable lyrical haunting exhilarating rewarding thrilling"
)
EVAL_NEGATIVE = _split("uneven overlong muddled laboured sluggish slight schematic meandering predictable")
OCCUPATIONS = _split(
    "farmer tailor widow fisherman teacher nurse miner trucker baker priest smuggler musician painter "
    "schoolgirl pensioner surveyor translator photographer shepherd beekeeper lighthouse-keeper mechanic"
)
THEMES = [
    "an arranged marriage",
    "grief and inheritance",
    "a family falling apart",
    "exile and return",
    "first love",
    "a village in decline",
    "a town that has forgotten its past",
    "labour and dignity",
    "faith and doubt",
    "memory and guilt",
    "two estranged siblings",
    "a friendship tested by money",
    "a mother and her grown-up son",
    "a community facing eviction",
]
ERAS = [
    "the early 2010s",
    "the late 1970s",
    "the present day",
    "the winter of 1989",
    "the years after the war",
    "a single summer",
    "the last days of the old regime",
    "the near future",
]
PULL_QUOTES = [
    "It packs a quiet emotional punch",
    "A film of rare patience and grace",
    "Tender, funny and finally devastating",
    "A bold new voice arrives",
    "It earns every one of its tears",
    "Grief has rarely looked so luminous",
    "A deadpan odyssey with a bruised heart",
    "The landscape becomes a character",
    "Small in scale but vast in feeling",
    "It lingers long after the credits",
    "A portrait drawn with enormous care",
    "Never less than gripping",
]


# ------------------------------------------------------------------------------------- name machinery


def _mix(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread, deterministic hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def person_name(pid: int) -> str:
    """The name of person ``pid``: the same pid is the same person in every review that credits them."""
    h = _mix(pid * 7919 + 17)
    firsts, surnames, prefixes, suffixes = CULTURES[h % len(CULTURES)]
    h //= len(CULTURES)
    first = firsts[h % len(firsts)]
    h //= len(firsts)
    if h % 3 == 0:
        h //= 3
        surname = surnames[h % len(surnames)]
        h //= len(surnames)
    else:
        h //= 3
        surname = prefixes[h % len(prefixes)] + suffixes[(h // len(prefixes)) % len(suffixes)]
        h //= len(prefixes) * len(suffixes)
    if h % 9 == 0 and firsts is CULTURES[0][0]:  # Spanish double surnames
        surname = f"{surname} {surnames[(h // 9) % len(surnames)]}"
    elif h % 11 == 0:  # a middle name, not an initial: initials are a parser edge case of their own
        first = f"{first} {firsts[(h // 11) % len(firsts)]}"
    return f"{first} {surname}"


def company_name(cid: int, sales: bool = False) -> str:
    h = _mix(cid * 104729 + (3 if sales else 5))
    word = SALES_WORDS[h % len(SALES_WORDS)]
    h //= len(SALES_WORDS)
    other = SALES_WORDS[h % len(SALES_WORDS)]
    h //= len(SALES_WORDS)
    style = h % 6
    h //= 6
    if sales:
        return [f"{word} {other}", f"{word}-{other}", f"{word} Sales", f"{other} International", f"{word} Films", word][
            style
        ]
    place = PLACES[h % len(PLACES)]
    h //= len(PLACES)
    suffix = COMPANY_SUFFIXES[h % len(COMPANY_SUFFIXES)]
    h //= len(COMPANY_SUFFIXES)
    prefix = COMPANY_PREFIXES[h % len(COMPANY_PREFIXES)]
    return [
        f"{word} {suffix}",
        f"{place} {suffix}",
        f"{prefix} {word}",
        f"{word} {other} {suffix}",
        f"{person_name(cid + 900_000_000).split()[-1]} {suffix}",
        f"{prefix} {place}",
    ][style]


# ------------------------------------------------------------------------------------------ a review


@dataclass(frozen=True)
class Meta:
    """What the generator put in one file, for building queries with known answers."""

    index: int
    path: str
    title: str
    original_title: str | None
    directors: list[str]
    year: int
    credited: int  # people credited in all (header, crew and cast)
    sales: int


def _title(rng: random.Random) -> str:
    n, a, p = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(PLACES)
    n2 = rng.choice(NOUNS)
    pattern = rng.random()
    if pattern < 0.16:
        return f"The {a} {n}"
    if pattern < 0.28:
        return f"The {n} {rng.choice(CONNECTORS)} the {n2}"
    if pattern < 0.38:
        return f"{a} {n}"
    if pattern < 0.47:
        return f"The {n} {rng.choice(CONNECTORS)} {p}"
    if pattern < 0.55:
        return f"{rng.choice(GERUNDS)} the {n}"
    if pattern < 0.62:
        return f"{person_name(rng.randrange(10**7)).split()[0]}’s {n}"
    if pattern < 0.68:
        return n if rng.random() < 0.5 else f"{n}s"
    if pattern < 0.74:
        return f"{p} {rng.choice([str(rng.randint(1920, 2030)), 'Blues', 'Nights', 'Diary', 'Story', 'Express'])}"
    if pattern < 0.86:
        words = [rng.choice(FOREIGN_TITLE_WORDS) for _ in range(rng.randint(1, 4))]
        return " ".join(words[:1] + [w.lower() if rng.random() < 0.7 else w for w in words[1:]])
    if pattern < 0.93:
        return f"A {n} {rng.choice(CONNECTORS)} {a.lower()} {n2.lower()}s"
    return f"The {a} {n} of {person_name(rng.randrange(10**7)).split()[-1]}"


def _slug(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() and c.isascii() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part) or "film"


class _Writer:
    """One review's text, built sentence by sentence from the film's own facts."""

    def __init__(self, seed: int, index: int) -> None:
        self.index = index
        self.rng = rng = random.Random(f"festbot-bench:{seed}:{index}")
        self.title = _title(rng)
        self.original = None
        if rng.random() < 0.15:
            if rng.random() < 0.3:
                self.original = rng.choice(ORIGINAL_SCRIPTS)
            else:
                self.original = " ".join(rng.choice(FOREIGN_TITLE_WORDS) for _ in range(rng.randint(1, 3)))
        self.year = rng.randint(2008, 2026)
        # Most directors make one film here; a fifth are auteurs with several.
        if rng.random() < 0.8:
            director_ids = [50_000_000 + index * 3]
        else:
            director_ids = [60_000_000 + int(rng.paretovariate(1.2) * 40) % 4000]
        if rng.random() < 0.1:
            director_ids.append(50_000_000 + index * 3 + 1)
        self.directors = [person_name(p) for p in director_ids]
        self.writers = (
            list(self.directors) if rng.random() < 0.55 else [self.crew_name() for _ in range(rng.randint(1, 2))]
        )
        self.countries = self.pick_countries()
        self.runtime = int(min(240, max(62, rng.gauss(104, 18))))
        self.festival = rng.choice(FESTIVALS)
        self.section = rng.choice(self.festival[2]) if self.festival[2] else None
        self.characters = [person_name(rng.randrange(10**8, 2 * 10**8)).split()[0] for _ in range(4)]

    def crew_name(self) -> str:
        # A skewed pool: a few busy people, a long tail of one-off credits.
        rng = self.rng
        if rng.random() < 0.35:
            return person_name(int(rng.paretovariate(1.1) * 50) % 20_000)
        return person_name(1_000_000 + rng.randrange(800_000))

    def pick_countries(self) -> list[str]:
        rng = self.rng
        if rng.random() < 0.03:
            return [rng.choice(COMPOSITE_COUNTRIES)]
        return list(dict.fromkeys(rng.choice(COUNTRIES) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))))

    # -- sentences ---------------------------------------------------------------------------------

    def story(self, cast: list[str]) -> list[str]:
        rng, c = self.rng, self.characters
        a = cast + ["a newcomer"] * 4
        return [
            f"Set in {rng.choice(PLACES)} in {rng.choice(ERAS)}, it follows {c[0]} ({a[0]}), "
            f"a {rng.choice(OCCUPATIONS)} whose life is upended by {rng.choice(THEMES)}.",
            f"When {c[1]} ({a[1]}) arrives from {rng.choice(PLACES)} with news of {rng.choice(THEMES)}, "
            f"{c[0]} has no choice but to leave the {rng.choice(NOUNS).lower()} behind.",
            f"{c[2]} ({a[2]}), a {rng.choice(OCCUPATIONS)} who has not spoken to {c[0]} in years, "
            f"becomes an unlikely ally.",
            f"The story unfolds over "
            f"{rng.choice(['one winter', 'a long weekend', 'three decades', 'a single night', 'a harvest season'])}, "
            f"as {c[0]} and {c[1]} grow closer by facing whatever life throws at them.",
        ]

    def verdict(self) -> list[str]:
        rng = self.rng
        d = self.directors[0].split()[-1]
        good, good2 = rng.sample(EVAL_POSITIVE, 2)
        return [
            f"Rather, this {rng.choice(ADJECTIVES).lower()} tale of {rng.choice(THEMES)} is {d}’s most {good} "
            f"work to date.",
            f"{self.title} is a {good2} {rng.choice(GENRES)} that trusts its audience and rewards their patience.",
            f"It is an {rng.choice(['assured', 'accomplished', 'uneven but striking', 'impressive'])} feature, "
            f"and the performances are uniformly {rng.choice(['excellent', 'strong', 'terrific', 'fine'])}.",
            f"The film sags a little in its middle stretch, which feels {rng.choice(EVAL_NEGATIVE)}, "
            f"but the closing image lands with real force.",
        ]

    def prospects(self) -> list[str]:
        rng = self.rng
        name, aliases, _ = self.festival
        where = rng.choice([name, *aliases])
        section = f"in {self.section} " if self.section else ""
        kind = rng.choice(["world", "international", "European", "North American"])
        return [
            f"Following its {kind} premiere {section}at the {where}, {self.title} should find a home with specialist "
            f"distributors and streamers looking for {rng.choice(['prestige', 'arthouse', 'crowd-pleasing'])} fare.",
            f"A limited theatrical release could be on the cards in {rng.choice(COUNTRIES)}, while festival "
            f"programmers will surely come calling.",
            f"Buyers with an eye for {rng.choice(['auteur', 'genre', 'documentary', 'family'])} titles should "
            f"take a look, though the commercial prospects at home are modest.",
        ]

    def craft(self, crew: dict[str, list[str]]) -> list[str]:
        rng = self.rng
        dop = crew.get("Cinematography", ["the cinematographer"])[0]
        music = crew.get("Music", ["the composer"])[0]
        editor = crew.get("Editing", ["the editor"])[0]
        return [
            f"Cinematographer {dop} shoots the {rng.choice(['desert', 'village', 'coast', 'city', 'forest'])} in "
            f"{rng.choice(['harsh, overexposed whites', 'warm-hued tones', 'cold blues', 'grainy 16mm'])} "
            f"that give way to unexpectedly lush dusk colours.",
            f"The sparse score by {music}, built mostly from a single "
            f"{rng.choice(['accordion', 'cello', 'piano', 'synth'])}, never oversells the emotion.",
            f"Editor {editor} keeps the pace {rng.choice(['unhurried', 'brisk', 'patient', 'nervy'])}, "
            f"letting scenes play out in long, patient takes.",
        ]

    def fillers(self) -> list[str]:
        """Analysis sentences, each at most once per review, in a random order."""
        rng = self.rng
        d = self.directors[0].split()[-1]
        nouns = rng.sample(NOUNS, 8)
        options = [
            f"{d} previously made {_title(rng)} ({self.year - rng.randint(2, 9)}), and the new film extends its "
            f"concerns with "
            f"{rng.choice(['more confidence', 'greater ambition', 'a lighter touch', 'a darker palette'])}.",
            f"There is a particular kind of {rng.choice(GENRES)} that only grows in very dry soil, and {d} has found "
            f"a rich seam of it here.",
            f"The {nouns[0].lower()} and the {nouns[1].lower()} become recurring motifs, quietly tying the past to "
            f"the present.",
            f"Much of the drama plays out in {rng.choice(['kitchens', 'fields', 'corridors', 'cars', 'doorways'])}, "
            f"and the framing is rigorous and often very funny.",
            "The film keeps politics on the periphery to focus instead on people whose ways of life are being "
            "altered by forces they cannot see.",
            f"Both actors lean into physical traits, and the result is {rng.choice(EVAL_POSITIVE)} without ever "
            f"announcing itself.",
            f"An early scene at a {rng.choice(['wedding', 'funeral', 'market', 'station', 'school'])} is eventually "
            f"contrasted with moments of genuine intimacy.",
            f"It is the kind of film that rewards attention, and the sound of "
            f"{rng.choice(['wind', 'traffic', 'birdsong', 'rain', 'the sea'])} does much of the storytelling.",
            f"In-between, the characters develop a familiar rhythm that is marked by repetitions, a "
            f"{nouns[2].lower()} fixed to the wall, a {nouns[3].lower()} carried from room to room.",
            f"{d} has always been drawn to people on the margins, and this time the margins are "
            f"{rng.choice(['literal', 'geographical', 'generational', 'economic'])}.",
            f"The dialogue is sparse, often {rng.choice(['wry', 'halting', 'elliptical', 'blunt'])}, and the silences "
            f"say more than the words.",
            f"A late scene by the {nouns[4].lower()}, in which two characters finally talk about the past, is as "
            f"tender as anything in the selection.",
            f"The supporting cast, many of them non-professionals from {rng.choice(PLACES)}, bring an "
            f"unforced authenticity to the {rng.choice(['village', 'town', 'household', 'workplace'])} scenes.",
            f"Some viewers will find the pace {rng.choice(EVAL_NEGATIVE)}, yet the accumulation of small details "
            f"pays off in the final act.",
            f"Humour arrives in unexpected places, from a running gag about a {nouns[5].lower()} to a "
            f"{rng.choice(['wedding', 'karaoke', 'bingo', 'birthday'])} scene that descends into chaos.",
            f"The production design favours lived-in spaces, peeling {rng.choice(['wallpaper', 'paint', 'posters'])} "
            f"and a {nouns[6].lower()} that seems to have been there for decades.",
            f"Without ever spelling it out, the film asks what is owed to a {nouns[7].lower()}, a place or a family "
            f"once they have been left behind.",
            f"The camera rarely moves, and when it finally does, in a long tracking shot through "
            f"{rng.choice(PLACES)}, the effect is {rng.choice(EVAL_POSITIVE)}.",
        ]
        rng.shuffle(options)
        return options

    # -- the file ----------------------------------------------------------------------------------

    def credits(self) -> tuple[list[tuple[str, list[str]]], list[str], dict[str, list[str]]]:
        rng = self.rng
        people_total = rng.randint(10, 80)
        header_people = len(set(self.directors) | set(self.writers))
        budget = max(people_total - header_people, 4)
        cast_n = max(2, min(budget // 3 + rng.randint(-2, 4), 30))
        cast = [
            person_name(rng.randrange(3_000_000, 4_000_000)) if rng.random() < 0.6 else self.crew_name()
            for _ in range(cast_n)
        ]
        remaining = budget - cast_n
        crew: dict[str, list[str]] = {}
        labels = list(CREW_LABELS)
        while remaining > 0:
            progressed = False
            for label, low, high in labels:
                have = crew.setdefault(label, [])
                if remaining > 0 and len(have) < high and (len(have) < low or rng.random() < 0.5):
                    have.append(self.crew_name())
                    remaining -= 1
                    progressed = True
            if not progressed:
                break
        for label, low, _ in labels:
            while len(crew.setdefault(label, [])) < low:
                crew[label].append(self.crew_name())
        lines: list[tuple[str, list[str]]] = []
        companies = [company_name(rng.randrange(40_000)) for _ in range(rng.randint(1, 4))]
        lines.append(("Production companies", list(dict.fromkeys(companies))))
        agents = []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            agent = company_name(int(rng.paretovariate(1.3) * 3) % 400, sales=True)
            domain = _slug(agent).replace("-", "") + "." + rng.choice(DOMAINS)
            parts = [agent, f"{rng.choice(['sales', 'festivals', 'info', 'acquisitions'])}@{domain}"]
            if rng.random() < 0.5:
                parts.append(
                    f"+{rng.randint(1, 99)} {rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
                )
            if rng.random() < 0.5:
                parts.append(f"www.{domain}")
            agents.append(", ".join(parts))
        lines.append(("International sales", ["; ".join(agents)]))
        for label, _, _ in labels:
            if crew[label]:
                lines.append((label, list(dict.fromkeys(crew[label]))))
        if rng.random() < 0.5 and self.writers != self.directors:
            lines.append(("Screenplay", self.writers))
        lines.append(("Main cast" if rng.random() < 0.7 else "Cast", list(dict.fromkeys(cast))))
        rng.shuffle(lines[2:-1])
        return lines, cast, crew

    def text(self) -> tuple[str, Meta]:
        rng = self.rng
        credit_lines, cast, crew = self.credits()
        out: list[str] = []
        front = rng.random() < 0.6
        if front:
            published = dt.datetime(2008, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(18 * 365 * 24 * 60))
            out += [
                "---",
                f"url: https://trade.example.com/reviews/{_slug(self.title)}-{self.index}",
                f"published_at: {published.isoformat().replace('+00:00', 'Z')}",
                f"reviewer: {person_name(rng.randrange(7_000_000, 7_000_300))}",
                f"festival: {self.festival[0]}",
            ]
            if self.section:
                out.append(f"section: {self.section}")
            out += ["---", ""]
        d = self.directors[0]
        theme = rng.choice(THEMES)
        standfirst = rng.choice(
            [
                f"{d}’s {rng.choice(EVAL_POSITIVE)} {rng.choice(GENRES)} about {theme} is "
                + rng.choice(
                    ["a triumph", "a modest pleasure", "his most moving yet", "her most moving yet", "a mixed bag"]
                ),
                f"Anchored by an authentic relationship, {d}’s portrait of {rng.choice(PLACES)} is "
                f"{rng.choice(EVAL_POSITIVE)}",
                f"Two {rng.choice(['estranged brothers', 'sisters', 'old friends', 'strangers'])} face {theme} in this "
                f"{rng.choice(EVAL_POSITIVE)} {rng.choice(GENRES)}",
                f"A {rng.choice(EVAL_POSITIVE)} study of {theme} from {rng.choice(self.countries)}",
            ]
        )
        title_line = f"{self.title} [{self.original}]" if self.original else self.title
        out += [
            standfirst,
            "",
            title_line,
            "",
            f"Source: {company_name(rng.randrange(40_000))}",
            "",
            f"‘{self.title}’",
            "",
        ]
        out += [self.header(), ""]
        if self.writers != self.directors and not any(label == "Screenplay" for label, _ in credit_lines):
            out += [f"Scr: {', '.join(self.writers)}", ""]

        pool_story = self.story(cast)
        pool_verdict = self.verdict()
        pool_prospects = self.prospects() if not front or rng.random() < 0.7 else self.prospects()[1:]
        pool_craft = self.craft(crew)
        quote = rng.choice(PULL_QUOTES)
        fillers = self.fillers()
        paragraphs: list[list[str]] = []
        n_paragraphs = rng.randint(5, 10)
        for p in range(n_paragraphs):
            sentences: list[str] = []
            if p == 0:
                sentences += [fillers.pop(), pool_verdict[0]]
            elif p == 1:
                sentences += pool_prospects
            elif p == 2:
                sentences += pool_story[:2]
            elif p == 3:
                sentences += pool_story[2:]
            elif p == n_paragraphs - 1:
                sentences += [*pool_craft[: rng.randint(1, 3)], pool_verdict[3]]
            else:
                sentences += [pool_verdict[1 + p % 2]]
            while fillers and (len(sentences) < rng.randint(3, 6) or (p > 3 and rng.random() < 0.15)):
                sentences.insert(rng.randrange(len(sentences) + 1), fillers.pop())
            paragraphs.append(sentences)
        # The pull quote is echoed in the body, as sub-editors lift it.
        echo_at = rng.randrange(1, n_paragraphs)
        paragraphs[echo_at].append(f"{quote}, and it never forgets where it comes from.")
        body = [" ".join(s) for s in paragraphs]
        body.insert(rng.randint(1, 2), quote)
        for paragraph in body:
            out += [paragraph, ""]
        for label, names in credit_lines:
            out += [f"{label}: {', '.join(names)}", ""]
        text = "\n".join(out).rstrip("\n") + "\n"
        credited = len(
            set(self.directors)
            | set(self.writers)
            | {
                n
                for label, names in credit_lines
                for n in names
                if "sales" not in label.lower() and "compan" not in label.lower()
            }
        )
        meta = Meta(
            index=self.index,
            path=relative_path(self.index),
            title=self.title,
            original_title=self.original,
            directors=self.directors,
            year=self.year,
            credited=credited,
            sales=len(credit_lines[1][1][0].split("; ")),
        )
        return text, meta

    def header(self) -> str:
        rng = self.rng
        countries = "/".join(self.countries) if rng.random() < 0.8 else ", ".join(self.countries)
        runtime = (
            f"{self.runtime} mins"
            if rng.random() < 0.8
            else f"{self.runtime // 60}hr {self.runtime % 60}mins"
            if self.runtime % 60
            else f"{self.runtime} mins"
        )
        names = ", ".join(self.directors)
        if self.writers == self.directors:
            label = "Dirs/Scr" if len(self.directors) > 1 else "Dir/Scr"
        else:
            label = "Dirs" if len(self.directors) > 1 else "Dir"
        return f"{label}: {names}. {countries}. {self.year}. {runtime}"


def _load_festivals() -> list[tuple[str, list[str], list[str]]]:
    data = json.loads(
        (Path(__file__).resolve().parent.parent / "bot" / "shipped" / "festivals.json").read_text(encoding="utf-8")
    )
    out = []
    for festival in data["festivals"]:
        aliases = [a for a in festival.get("aliases", []) if a != festival["name"]][:2]
        sections = [s["name"] if isinstance(s, dict) else s for s in festival.get("sections", [])]
        out.append((festival["name"], aliases, sections))
    return out


FESTIVALS = _load_festivals()


def generate(seed: int, index: int) -> tuple[str, Meta]:
    """Review ``index`` of the corpus ``seed``: its text and what it contains."""
    return _Writer(seed, index).text()


def relative_path(index: int) -> str:
    return f"{index // SHARD_SIZE:03d}/r{index:07d}.txt"


# ------------------------------------------------------------------------------------------ on disk


def _source_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _write_range(args: tuple[Path, int, int, int]) -> list[dict[str, object]]:
    root, seed, start, stop = args
    metas = []
    for index in range(start, stop):
        text, meta = generate(seed, index)
        path = root / meta.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        metas.append(asdict(meta))
    return metas


def corpus_dir(out: Path, seed: int) -> Path:
    return out / f"corpus-s{seed}-{_source_digest()}"


def ensure_corpus(out: Path, seed: int, count: int, workers: int = 2) -> Path:
    """Write reviews ``0 .. count-1`` of corpus ``seed`` under ``out`` (reusing what a previous run wrote).

    The folder's name carries a digest of this file, so a changed generator never reuses stale files.
    Returns the corpus folder; shard ``000`` holds the first 10,000 reviews, ``001`` the next, and so on.
    """
    root = corpus_dir(out, seed)
    root.mkdir(parents=True, exist_ok=True)
    done_file = root / "done.json"
    done = json.loads(done_file.read_text()) if done_file.exists() else {"count": 0}
    have = int(done["count"])
    if have >= count:
        return root
    chunk = 2_000
    ranges = [(root, seed, s, min(s + chunk, count)) for s in range(have, count, chunk)]
    with (root / "meta.jsonl").open("a", encoding="utf-8") as meta_file:
        if workers > 1 and len(ranges) > 1:
            with ProcessPoolExecutor(workers) as pool:
                for metas in pool.map(_write_range, ranges):
                    meta_file.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in metas)
        else:
            for r in ranges:
                meta_file.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in _write_range(r))
    done_file.write_text(json.dumps({"count": count, "seed": seed}))
    return root


def read_meta(root: Path, count: int) -> Iterator[Meta]:
    with (root / "meta.jsonl").open(encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if n >= count:
                break
            yield Meta(**json.loads(line))


def shards(root: Path, count: int) -> list[Path]:
    """The shard folders holding exactly reviews ``0 .. count-1`` (count must be a multiple of the shard size,
    or smaller than one shard, in which case the files are listed one by one)."""
    if count % SHARD_SIZE == 0:
        return [root / f"{s:03d}" for s in range(count // SHARD_SIZE)]
    return [root / relative_path(i) for i in range(count)]


def digest(root: Path, count: int) -> str:
    """SHA-256 over the first ``count`` files, to show that a seed gives byte-identical files."""
    h = hashlib.sha256()
    for i in range(count):
        h.update((root / relative_path(i)).read_bytes())
    return h.hexdigest()


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for i in range(n):
        print(generate(int(os.environ.get("SEED", "1")), i)[0])
        print("=" * 100)
