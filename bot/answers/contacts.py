"""Sales contacts in the formats a buyer saves them in, for every renderer: links, vCard, CSV.

The web pages serve one agent's vCard per link; ``/sales`` attaches every agent of a film as one
``.vcf`` (several cards in one file, as address books import them) and as a CSV for spreadsheets.
Companies, emails and addresses come from review text, so every value is escaped as its format asks
(a comma, semicolon, backslash or line break in a name can never start a vCard property of its own;
a CSV cell can never start a formula), and only http(s) addresses ever become links.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from urllib.parse import urlsplit

from bot.domain.models import SalesContact

#: C0 and C1 controls but tab, newline and carriage return; noncharacters; lone surrogates.
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ud800-\udfff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)
_BARE_SITE = re.compile(r"(?i)[a-z0-9-]+(\.[a-z0-9-]+)+(/[\w./%-]*)?")

_SPECIAL = re.compile(r"([\\;,])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Octets per line before folding, as RFC 2426 recommends.
_LINE_OCTETS = 75
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address with a host, else None: nothing else is ever a link."""
    if not url:
        return None
    url = url.strip()
    if UNPRINTABLE.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def web_address(text: str) -> str | None:
    """A sales agent's website as written (``www.m-appeal.com`` or a full address) as a link, or None.

    Reviews print websites without a scheme; such an address is taken as ``https://``.
    """
    if http_url(text):
        return http_url(text)
    bare = text.strip().rstrip("/")
    if _BARE_SITE.fullmatch(bare):
        return http_url(f"https://{bare}")
    return None


def _text(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch in "\r\n" or unicodedata.category(ch)[0] != "C")
    return _LINE_BREAK.sub(r"\\n", _SPECIAL.sub(r"\\\1", cleaned.strip()))


def _fold(line: str) -> list[str]:
    """One content line as physical lines of at most 75 octets, never splitting a character."""
    lines: list[str] = []
    current = ""
    for char in line:
        limit = _LINE_OCTETS if not lines else _LINE_OCTETS - 1  # continuation lines start with a space
        if len((current + char).encode()) > limit:
            lines.append(current)
            current = ""
        current += char
    lines.append(current)
    return [lines[0], *(" " + rest for rest in lines[1:])]


def vcard(contact: SalesContact, note: str) -> str:
    """The contact card (vCard 3.0, RFC 2426): the company as name and organisation, each email, phone and website.

    A website written without a scheme is saved as its ``https://`` address, so it opens from the card.
    """
    name = _text(contact.company) or "Sales agent"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}", f"N:{name};;;;", f"ORG:{name}"]
    lines += [f"EMAIL;TYPE=INTERNET,WORK:{_text(email)}" for email in contact.emails if _text(email)]
    lines += [f"TEL;TYPE=WORK,VOICE:{_text(phone)}" for phone in contact.phones if _text(phone)]
    lines += [f"URL:{_text(web_address(url) or url)}" for url in contact.urls if _text(url)]
    lines += [f"NOTE:{_text(note)}", "X-ABShowAs:COMPANY", "END:VCARD"]
    return "\r\n".join(physical for line in lines for physical in _fold(line)) + "\r\n"


def vcards(contacts: list[SalesContact], note: str) -> str:
    """Several contact cards in one ``.vcf`` file, one after another, as address books import them."""
    return "".join(vcard(contact, note) for contact in contacts)


def _cell(value: str) -> str:
    """A cell as text: a leading ``=``, ``+``, ``-`` or ``@`` (an international phone number too) is quoted."""
    cleaned = UNPRINTABLE.sub("", value).strip()
    return "'" + cleaned if cleaned.startswith(_FORMULA_START) else cleaned


def contacts_csv(contacts: list[SalesContact], film: str) -> str:
    """One row per sales agent (several emails, phones or websites joined by ``; ``), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["company", "emails", "phones", "websites", "film"])
    for contact in contacts:
        sites = [web_address(url) or url for url in contact.urls]
        writer.writerow(
            [
                _cell(contact.company),
                *(_cell("; ".join(values)) for values in (contact.emails, contact.phones, sites)),
                _cell(film),
            ]
        )
    return out.getvalue()


def file_name(company: str, suffix: str = ".vcf") -> str:
    """A safe download name from a company's or film's name: ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60].strip("-")
    return f"{slug or 'sales-agent'}{suffix}"
