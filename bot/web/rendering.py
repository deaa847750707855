"""HTML from templates: one Jinja environment, autoescaping always on, and the static files pages link to.

Every review's text is untrusted. Autoescaping keeps it from ever becoming markup; ``_printable``
drops the characters HTML forbids (controls, noncharacters, lone surrogates that cannot even be
encoded), and :func:`http_url` is the only way a stored address becomes a link. Templates wrap
inline review text in ``<bdi>`` so a right-to-left override inside it cannot reorder the page around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from importlib import resources

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.answers import links
from bot.answers.contacts import UNPRINTABLE as _UNPRINTABLE
from bot.answers.contacts import http_url, web_address
from bot.answers.labels import rating_text
from bot.answers.stamps import date_text
from bot.domain.text import truncate

#: The static files, served under a digest of their content so browsers may keep them for good.
STATIC_FILES = {"site.css": "text/css", "grid.js": "text/javascript", "icon.svg": "image/svg+xml"}


def _printable(value: object) -> object:
    """Jinja's ``finalize``: every ``{{ ... }}`` string loses what HTML cannot carry, before it is escaped."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _UNPRINTABLE.sub("", value)
    return "" if value is None else value


def one_line(text: str | None, limit: int = 160) -> str:
    """A text as one line of at most ``limit`` characters (a verdict in a grid cell)."""
    return truncate(" ".join((text or "").split()), limit)


def iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    content_type: str
    digest: str

    @property
    def path(self) -> str:
        return f"/static/{self.digest}/{self.name}"


def _load_assets() -> dict[str, Asset]:
    folder = resources.files("bot.web") / "static"
    assets = {}
    for name, content_type in STATIC_FILES.items():
        body = (folder / name).read_bytes()
        assets[name] = Asset(name, body, content_type, hashlib.sha256(body).hexdigest()[:16])
    return assets


def _build_id(assets: dict[str, Asset]) -> str:
    """Changes with any template or static file: a page's ETag must change when its markup does."""
    digest = hashlib.sha256()
    for entry in sorted((resources.files("bot.web") / "templates").iterdir(), key=lambda e: e.name):
        digest.update(entry.name.encode() + entry.read_bytes())
    for asset in assets.values():
        digest.update(asset.digest.encode())
    return digest.hexdigest()[:16]


class Pages:
    """The templates and static files of the web pages, loaded once per app."""

    def __init__(self) -> None:
        self.assets = _load_assets()
        self.build = _build_id(self.assets)
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=_printable,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            asset=lambda name: self.assets[name].path,
            film_path=links.film_path,
            review_path=links.review_path,
            festival_path=links.festival_path,
            vcard_path=links.vcard_path,
            http_url=http_url,
            web_address=web_address,
        )
        self.env.filters.update(rating=rating_text, date=date_text, iso=iso, one_line=one_line)
        for name in self.env.list_templates():
            self.env.get_template(name)  # compiled now, not on the first request (80 ms for the grid)

    def html(self, template: str, **context: object) -> str:
        context.setdefault("query", "")  # the search box on every page shows what was searched for
        return self.env.get_template(template).render(**context)

    def response(self, template: str, *, status: int = 200, **context: object) -> web.Response:
        return web.Response(
            text=self.html(template, **context), status=status, content_type="text/html", charset="utf-8"
        )
