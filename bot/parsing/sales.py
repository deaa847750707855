"""Sales lines: agents split on ``;``, each a company with its e-mails, phones and websites (spec §3.10).

Within an agent the first comma-separated item is the company and each later item is an e-mail
(contains ``@``), a phone (digits, an optional leading ``+``) or a website (``www.``, ``http``);
anything else (a city) is dropped. A territory in brackets after the company is not part of its
name, even with no comma before the contact. Items are kept as written. No regular expressions:
an agent is split and each item classified by scanning it once, whatever a hostile line holds.
"""

from __future__ import annotations

from bot.domain.models import SalesContact

SALES_LABELS = frozenset({"international_sales", "sales", "contact", "contacts", "world_sales", "sales_agent"})
#: ``Tel: +33 ...``, ``E: sales@...``: a prefix naming the kind of contact, dropped.
_CONTACT_PREFIXES = frozenset(
    {"tel", "phone", "ph", "t", "e", "email", "e-mail", "mail", "w", "web", "website", "m", "mob", "mobile"}
)
_PHONE_CHARACTERS = frozenset("0123456789 +()./-")
_TRAILING = ".,;:)]"


def parse_sales(value: str) -> list[SalesContact]:
    """Each agent of a sales line, in order."""
    agents: list[SalesContact] = []
    for chunk in value.split(";"):
        items = [item.strip() for item in chunk.split(",")]
        company, emails, phones, urls = _first_item(items[0] if items else "")
        for item in items[1:]:
            if not item:
                continue
            kind, text = classify(item)
            if kind == "email":
                emails.append(text)
            elif kind == "phone":
                phones.append(text)
            elif kind == "url":
                urls.append(text)
        if not company and emails:
            company = emails[0].partition("@")[2]
        if company:
            agents.append(SalesContact(company=company, emails=emails, phones=phones, urls=urls))
    return agents


def classify(item: str) -> tuple[str | None, str]:
    """(``email`` | ``phone`` | ``url`` | None, the item without a ``Tel:``-style prefix)."""
    item = _without_prefix(item.strip())
    if "@" in item:
        address = next((word for word in item.split() if "@" in word), item)
        return "email", address.rstrip(_TRAILING)
    if item.lower().startswith(("www.", "http://", "https://")):
        return "url", item.rstrip(_TRAILING)
    if _is_phone(item):
        return "phone", item.rstrip(".")
    if _is_domain(item):
        return "url", item.rstrip(_TRAILING)
    return None, item


def _first_item(item: str) -> tuple[str, list[str], list[str], list[str]]:
    """The company of an agent's first item, and any contact written in it without a comma before."""
    emails: list[str] = []
    phones: list[str] = []
    urls: list[str] = []
    kept: list[str] = []
    depth = 0
    for word in item.split():
        # A bracketed territory (``(all territories except Norway)``) is dropped, brackets and all.
        opening, closing = word.count("("), word.count(")")
        if depth or opening:
            depth = max(0, depth + opening - closing)
            continue
        kind, text = classify(word) if _may_be_contact(word) else (None, word)
        if kind == "email":
            emails.append(text)
        elif kind == "url":
            urls.append(text)
        else:
            kept.append(word)
    # A phone written straight after the company: the trailing words that make up a phone number.
    tail = len(kept)
    while tail > 0 and all(char in _PHONE_CHARACTERS for char in kept[tail - 1]):
        tail -= 1
    if tail < len(kept) and tail > 0 and _is_phone(" ".join(kept[tail:])):
        phones.append(" ".join(kept[tail:]))
        kept = kept[:tail]
    return " ".join(kept).strip(" :-"), emails, phones, urls


def _may_be_contact(word: str) -> bool:
    """A cheap first look: only these words of a company name are classified (``Co.`` is not)."""
    return "@" in word or word[:4].lower() in ("www.", "http") or ("." in word and word.islower())


def _without_prefix(item: str) -> str:
    head, colon, rest = item.partition(":")
    if colon and head.strip().lower() in _CONTACT_PREFIXES and not rest.startswith("//"):
        return rest.strip()
    return item


def _is_phone(item: str) -> bool:
    digits = sum(char.isdigit() for char in item)
    return (
        digits >= 6
        and (item[0].isdigit() or item[0] in "+(")
        and all(char in _PHONE_CHARACTERS for char in item.rstrip("."))
    )


def _is_domain(item: str) -> bool:
    """``greyhaven.example.org/sales``: a bare web address, lower-case, no spaces, a letters-only ending."""
    host = item.rstrip(_TRAILING).partition("/")[0]
    labels = host.split(".")
    return (
        " " not in item
        and len(labels) >= 2
        and host == host.lower()
        and all(label and all(c.isalnum() or c == "-" for c in label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )
