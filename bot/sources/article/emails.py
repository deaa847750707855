"""Cloudflare's e-mail obfuscation undone, so a sales contact keeps its address.

Sites behind Cloudflare serve every address as ``[email protected]`` with the real one XOR-encoded in
``data-cfemail`` or in an ``/cdn-cgi/l/email-protection#HEX`` link. This runs *before* extraction:
afterwards the credits would have lost the address for good.
"""

from __future__ import annotations

from bot.sources.article.tree import HtmlElement, clean, parse_html, to_html

_CF_HREF = "/cdn-cgi/l/email-protection"


def decode_cfemail(encoded: str) -> str:
    """Decode Cloudflare's ``data-cfemail`` hex: the first byte is the XOR key for the bytes that follow."""
    try:
        data = bytes.fromhex(encoded.strip())
    except ValueError as exc:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}") from exc
    if len(data) < 2:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}")
    key = data[0]
    try:
        return bytes(byte ^ key for byte in data[1:]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}") from exc


def _replace_with_text(element: HtmlElement, text: str) -> None:
    """Put ``text`` (and the element's tail) where ``element`` was, keeping the surrounding text intact."""
    parent = element.getparent()
    if parent is None:
        return
    joined = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)


def deobfuscate_tree(root: HtmlElement) -> int:
    """Replace every obfuscated address in ``root`` by the plain address; returns how many were decoded."""
    decoded = 0
    # Links of the form /cdn-cgi/l/email-protection#HEX (the text may be anything, or a __cf_email__ span).
    for link in root.xpath(f"//a[contains(@href, '{_CF_HREF}#')]"):
        try:
            address = decode_cfemail((link.get("href") or "").rpartition("#")[2])
        except ValueError:
            continue
        for inner in link.xpath(".//*[@data-cfemail]"):
            _replace_with_text(inner, address)
        label = clean(link.text_content())
        if not label or "protected" in label or address in label:
            _replace_with_text(link, address)
        else:
            _replace_with_text(link, f"{label} ({address})")
        decoded += 1
    for element in root.xpath("//*[@data-cfemail]"):
        try:
            address = decode_cfemail(element.get("data-cfemail") or "")
        except ValueError:
            continue
        _replace_with_text(element, address)
        decoded += 1
    return decoded


def deobfuscate_emails(html: str) -> str:
    """The page with each Cloudflare-obfuscated address (``data-cfemail``, ``email-protection#``) in plain text."""
    root = parse_html(html)
    if not deobfuscate_tree(root):
        return html
    return to_html(root)
