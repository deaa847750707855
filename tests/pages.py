"""Article pages for the page-metadata tests: invented reviews in three layouts, and heads to put on them.

Every film, person, outlet and address here is invented. ``{base}`` is the test site's address
(:class:`tests.feedsite.FeedSite` fills it in); a page read without the site gets ``BASE``.
"""
# ruff: noqa: E501  (a paragraph of HTML is one long line, as pages serve it)

from __future__ import annotations

import json

BASE = "http://127.0.0.1:8"

#: A Screen-layout review (the ``Dir:`` line): no byline, no rating in the text.
SCREEN = """
<p class="standfirst">A lock-keeper’s widow reopens her late husband’s canal in Pilar Esteve-Ruhl’s gentle, stubborn debut</p>
<h1>The Lock-Keeper’s Ledger</h1>
<figure><img src="/img/in-body.jpg" alt=""><figcaption><span class="credit">Source: Tallowmere Pictures</span></figcaption></figure>
<div class="article-body">
<p>Dir/Scr: Pilar Esteve-Ruhl. Spain/Portugal. 2026. 96 mins</p>
<p>Nothing much happens on the canal at the centre of Pilar Esteve-Ruhl’s first feature, and that is the point. Amparo, widowed at sixty, refuses to let the regional authority fill in the lock her husband kept for forty years, and spends a summer proving that boats will still come.</p>
<p>Esteve-Ruhl shoots the water at every hour, and her lead, Consuelo Marrach, carries the film with a face that gives nothing away until it gives everything. It premiered in the Panorama section of the Berlinale.</p>
<p>A film of patience that rewards it</p>
<p>Production companies: Tallowmere Pictures, Ribeira Norte</p>
<p>International sales: Quaystone Sales, films@quaystone.example.com</p>
<p>Producer: Iñaki Berrocal</p>
<p>Main cast: Consuelo Marrach, Tiago Lameira, Elvira Soutomaior</p>
</div>
"""

#: An IndieWire-layout review: its own byline and ``Grade:``, which win over any metadata.
INDIEWIRE = """
<h1>‘Quarry Lights’ Review: A Slate-Town Ghost Story That Glows and Then Gutters</h1>
<p class="dek">Tamsin Okonedo-Vale’s debut finds real eeriness in a closed quarry, then loses its nerve.</p>
<p class="byline">by Marisol Quennell-Abara <time datetime="2026-12-02">Dec 2, 2026</time></p>
<div class="article-body">
<p>There is a quarry in this film that looks like the inside of a bell, and for forty minutes “Quarry Lights” rings it beautifully. Directed by Tamsin Okonedo-Vale, this 97-minute film follows two sisters who return to a slate town to bury their father and find lights moving in the flooded pit at night.</p>
<p>The second half is less sure of itself. The lights get explained, the sisters get a villain, and the film trades its hush for a chase that feels borrowed from a dozen other pictures. Still, the performances hold, and the photography of wet slate at dawn is worth the ticket alone.</p>
<p>Grade: B+</p>
<p>“Quarry Lights” premiered in the Midnight section at the 2026 Sundance Film Festival. Larchmoor Films will release it this spring.</p>
</div>
"""

#: A newspaper review: stars in the headline, a photo caption credit, no credits or sales at all.
NEWSPAPER = """
<h1>Tallow Bay review – a fishing town’s last summer, told in salt and silence ★★★★☆</h1>
<p class="standfirst">Ruairí Fenwick-Odhiambo’s drama about a harbour closing for good is unhurried and quietly furious</p>
<figure><img src="/img/tallow.jpg" alt=""><figcaption>‘Stubborn as the tide’ … Nessa Quarrie in Tallow Bay. Photograph: Gullstone Films</figcaption></figure>
<div class="article-body">
<p>The harbour in Tallow Bay has three boats left and one buyer, and writer-director Ruairí Fenwick-Odhiambo spends 104 minutes watching what that does to a town. The film runs 104 minutes and earns every one of them.</p>
<p>Nessa Quarrie plays the harbourmaster’s daughter who keeps the books for a business that no longer adds up, and she is magnificent: a performance built from silences and the way she counts.</p>
<p>Tallow Bay screened at the BFI London film festival.</p>
</div>
"""


def page(body: str, head: str = "", *, title: str = "Review") -> str:
    """An article page: ``head`` (metadata) in the ``<head>``, ``body`` as the article, with site chrome around it."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
{head}
</head><body>
<header class="site-header"><a href="/">Reel Ledger</a><nav><a href="/news">News</a> <a href="/reviews">Reviews</a></nav></header>
<main><article>{body}</article></main>
<footer><p>© 2026 Reel Ledger. Cookie settings. Privacy.</p></footer>
</body></html>"""


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def review_ld(
    *,
    author: str = "Hallvard Quist-Ebrahimi",
    published: str = "2026-12-02T09:30:00Z",
    publisher: str = "Reel Ledger",
    rating: dict[str, object] | None = None,
    image: object = "{base}/img/lead-ledger.jpg",
    film: str = "The Lock-Keeper’s Ledger",
) -> str:
    """A schema.org ``Review`` of a ``Movie``, as review sites publish it."""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "Review",
            "author": {"@type": "Person", "name": author},
            "datePublished": published,
            "publisher": {"@type": "Organization", "name": publisher},
            "reviewRating": rating if rating is not None else {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
            "image": image,
            "itemReviewed": {"@type": "Movie", "name": film, "image": "{base}/img/poster.jpg"},
        }
    )


def open_graph(
    *,
    site: str = "Canal Street Review",
    image: str = "{base}/img/og-lead.jpg",
    author: str = "Wenonah Braddock-Ilse",
    published: str = "2026-12-02T09:30:00+00:00",
) -> str:
    """Open Graph and ``article:`` properties only."""
    return "\n".join(
        (
            f'<meta property="og:site_name" content="{site}">',
            f'<meta property="og:image" content="{image}">',
            '<meta property="og:type" content="article">',
            f'<meta property="article:author" content="{author}">',
            f'<meta property="article:published_time" content="{published}">',
        )
    )


def plain_meta(
    *,
    author: str = "Cosimo Arbuthnot-Kell",
    date: str = "2026-12-02",
    publisher: str = "The Lamplight Gazette",
    image: str = "{base}/img/meta-lead.jpg",
) -> str:
    """Only ``<meta name=...>`` tags."""
    return "\n".join(
        (
            f'<meta name="author" content="{author}">',
            f'<meta name="date" content="{date}">',
            f'<meta name="publisher" content="{publisher}">',
            f'<meta name="twitter:image" content="{image}">',
        )
    )
