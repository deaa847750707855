"""Addresses of the web companion's pages (:mod:`bot.web`), so answers can link to them.

The paths are defined here, once: the web app routes them and Discord answers link to them. Links
are made only when ``FESTBOT_PUBLIC_URL`` says where the pages are reachable; without it every
link is ``None`` and answers look exactly as they did before the web pages existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


def film_path(film_id: int) -> str:
    return f"/films/{film_id}"


def review_path(review_id: int) -> str:
    return f"/reviews/{review_id}"


def festival_path(name: str, year: int) -> str:
    # A festival's name may hold a slash or a colon (CPH:DOX): every reserved character is encoded.
    return f"/festivals/{quote(name, safe='')}/{year}"


def festival_latest_path(name: str) -> str:
    """A festival's latest edition with reviews (the page redirects there)."""
    return f"/festivals/{quote(name, safe='')}"


def vcard_path(review_id: int, position: int) -> str:
    """One sales agent of one review, as a contact card (``position`` counts from 1, as the review lists them)."""
    return f"/reviews/{review_id}/sales/{position}.vcf"


@dataclass(frozen=True)
class Links:
    """Absolute links to the pages under ``base`` (FESTBOT_PUBLIC_URL, no trailing slash); none without it."""

    base: str | None = None

    def film(self, film_id: int | None) -> str | None:
        return f"{self.base}{film_path(film_id)}" if self.base and film_id is not None else None


#: Answers without web pages to link to.
NO_LINKS = Links()
