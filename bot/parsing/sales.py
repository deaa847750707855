"""Sales lines: agents split on ``;``, each a company with its e-mails, phones and websites."""

from __future__ import annotations

import re

from bot.domain.models import SalesContact

SALES_LABELS = frozenset(
    {"international_sales", "sales", "contact", "contacts", "world_sales", "sales_agent", "international_sales_agent"}
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://[^\s,;]+|www\.[^\s,;]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|biz|info|film|films|tv|eu|io|co|uk|fr|de|it|es|"
    r"be|nl|dk|se|no|fi|pl|cz|cn|jp|kr|in|ca|us|au|mx|br|ar|ch|at|pt|gr|tr|il|ie)(?:/[^\s,;]*)?)",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w@])\+?\(?\d[\d ()./-]{5,}\d(?![\w@])")
_CONTACT_PREFIX = re.compile(r"^(?:tel|phone|ph|t|e|email|e-mail|mail|w|web|website|m|mob|mobile)\s*[:.]?\s*$", re.I)


def parse_sales(value: str) -> list[SalesContact]:
    agents: list[SalesContact] = []
    for chunk in value.split(";"):
        rest = chunk
        emails = _EMAIL.findall(rest)
        rest = _EMAIL.sub(",", rest)
        urls = [u.rstrip(".)") for u in _URL.findall(rest)]
        rest = _URL.sub(",", rest)
        phones = [p.strip() for p in _PHONE.findall(rest) if sum(c.isdigit() for c in p) >= 7]
        for phone in phones:
            rest = rest.replace(phone, ",")
        names = [p.strip(" .:-") for p in re.split(r"[,|]", rest)]
        names = [n for n in names if n and not _CONTACT_PREFIX.match(n)]
        company = ", ".join(names) or (emails[0].split("@")[1] if emails else (urls[0] if urls else ""))
        if company:
            agents.append(SalesContact(company=company, emails=emails, phones=phones, urls=urls))
    return agents
