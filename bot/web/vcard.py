"""A sales agent as a contact card (vCard 3.0, RFC 2426), for a buyer's address book.

The company name and details come from review text, so every value is escaped as the format asks
(a comma, semicolon, backslash or line break in a name can never start a property of its own) and
long lines are folded.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.models import SalesContact

_SPECIAL = re.compile(r"([\\;,])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Octets per line before folding, as RFC 2426 recommends.
_LINE_OCTETS = 75


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
    """The contact card: the company as the card's name and organisation, each email, phone and website."""
    name = _text(contact.company) or "Sales agent"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}", f"N:{name};;;;", f"ORG:{name}"]
    lines += [f"EMAIL;TYPE=INTERNET,WORK:{_text(email)}" for email in contact.emails if _text(email)]
    lines += [f"TEL;TYPE=WORK,VOICE:{_text(phone)}" for phone in contact.phones if _text(phone)]
    lines += [f"URL:{_text(url)}" for url in contact.urls if _text(url)]
    lines += [f"NOTE:{_text(note)}", "X-ABShowAs:COMPANY", "END:VCARD"]
    return "\r\n".join(physical for line in lines for physical in _fold(line)) + "\r\n"


def file_name(company: str) -> str:
    """A safe download name from the company's name: ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60].strip("-")
    return f"{slug or 'sales-agent'}.vcf"
