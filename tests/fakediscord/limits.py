"""Limits Discord enforces on request bodies that its OpenAPI spec does not express, or expresses more loosely.

Each check returns :class:`~.spec.FieldError` items, so a violation is answered exactly like a
schema violation (400, code 50035, nested ``errors``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .spec import FieldError

BOT_CONTENT_MAX = 2000  # spec says 4000 for channel messages; that is the Nitro user limit
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_WIDTH_MAX = 5
AUTOCOMPLETE_STRING_VALUE_MAX = 100  # spec says 6000 for choice values; docs say 100
COMPONENTS_V2_FLAG = 1 << 15

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _embed_chars(embed: Mapping[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        if isinstance(field, Mapping):
            total += len(field.get("name") or "") + len(field.get("value") or "")
    footer, author = embed.get("footer"), embed.get("author")
    if isinstance(footer, Mapping):
        total += len(footer.get("text") or "")
    if isinstance(author, Mapping):
        total += len(author.get("name") or "")
    return total


def _walk_interactive(
    components: Sequence[Any], path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here = (*path, i)
        if comp.get("type") in (2, 3, 4, 5, 6, 7, 8):
            yield here, comp
        for key in ("components",):
            if isinstance(comp.get(key), list):
                yield from _walk_interactive(comp[key], (*here, key))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from _walk_interactive([comp[key]], (*here, key))


def message_limit_errors(
    body: Any, *, prefix: tuple[str | int, ...] = (), content_max: int | None = None
) -> list[FieldError]:
    """Discord's message limits that are missing from (or looser in) the spec.

    ``content_max`` is only needed where the spec's own content limit is wrong for bots.
    """
    if not isinstance(body, Mapping):
        return []
    errs: list[FieldError] = []
    content = body.get("content")
    if content_max is not None and isinstance(content, str) and len(content) > content_max:
        errs.append(
            FieldError((*prefix, "content"), "BASE_TYPE_MAX_LENGTH", f"Must be {content_max} or fewer in length.")
        )

    embeds = body.get("embeds")
    if isinstance(embeds, list):
        if sum(_embed_chars(e) for e in embeds if isinstance(e, Mapping)) > EMBED_TOTAL_MAX:
            errs.append(
                FieldError(
                    (*prefix, "embeds"),
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
                )
            )
        for i, embed in enumerate(embeds):
            if not isinstance(embed, Mapping):
                continue
            for j, field in enumerate(embed.get("fields") or []):
                if not isinstance(field, Mapping):
                    continue
                for key in ("name", "value"):
                    if isinstance(field.get(key), str) and not field[key].strip():
                        errs.append(
                            FieldError(
                                (*prefix, "embeds", i, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required"
                            )
                        )

    components = body.get("components")
    flags = body.get("flags") or 0
    if isinstance(components, list):
        errs.extend(_component_errors(components, prefix=(*prefix, "components"), v2=bool(flags & COMPONENTS_V2_FLAG)))

    mentions = body.get("allowed_mentions")
    if isinstance(mentions, Mapping):
        parse = mentions.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and mentions.get(kind):
                errs.append(
                    FieldError(
                        (*prefix, "allowed_mentions"),
                        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                    )
                )
    return errs


def _component_errors(components: list[Any], *, prefix: tuple[str | int, ...], v2: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not v2:
        if len(components) > ACTION_ROWS_MAX:
            errs.append(FieldError(prefix, "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS_MAX} or fewer in length."))
        for i, comp in enumerate(components):
            if isinstance(comp, dict) and comp.get("type") != 1:
                errs.append(
                    FieldError(
                        (*prefix, i, "type"),
                        "UNION_TYPE_CHOICES",
                        'Value of field "type" must be one of (1,) (layout components need IS_COMPONENTS_V2).',
                    )
                )

    # Row width: a button is 1 wide, a select fills the row.
    def rows(items: list[Any], path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
        for i, comp in enumerate(items):
            if isinstance(comp, dict):
                if comp.get("type") == 1:
                    yield (*path, i), comp
                if isinstance(comp.get("components"), list) and comp.get("type") != 1:
                    yield from rows(comp["components"], (*path, i, "components"))

    for path, row in rows(components, prefix):
        children = [c for c in row.get("components") or [] if isinstance(c, dict)]
        width = sum(1 if c.get("type") == 2 else ROW_WIDTH_MAX for c in children)
        if width > ROW_WIDTH_MAX:
            errs.append(
                FieldError(
                    (*path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            )

    seen: dict[str, tuple[str | int, ...]] = {}
    for path, comp in _walk_interactive(components, prefix):
        cid = comp.get("custom_id")
        if isinstance(cid, str):
            if cid in seen:
                errs.append(
                    FieldError(
                        (*path, "custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                )
            seen[cid] = path
        if comp.get("type") == 2:
            style = comp.get("style")
            if style == 5:
                if not comp.get("url"):
                    errs.append(FieldError((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required"))
                if comp.get("custom_id"):
                    errs.append(
                        FieldError(
                            (*path, "custom_id"),
                            "BUTTON_COMPONENT_CUSTOM_ID_LINK",
                            "A link button cannot have a custom id",
                        )
                    )
            elif style != 6:
                if not comp.get("custom_id"):
                    errs.append(FieldError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"))
                if comp.get("url"):
                    errs.append(
                        FieldError((*path, "url"), "BUTTON_COMPONENT_URL_NOT_LINK", "Only link buttons can have a url")
                    )
            if style != 6 and not comp.get("label") and not comp.get("emoji"):
                errs.append(
                    FieldError(
                        (*path, "label"), "BUTTON_COMPONENT_LABEL_OR_EMOJI", "A button needs a label or an emoji"
                    )
                )
        if comp.get("type") == 3:
            options = comp.get("options") or []
            max_values = comp.get("max_values")
            min_values = comp.get("min_values")
            if isinstance(max_values, int) and isinstance(options, list) and max_values > len(options):
                errs.append(
                    FieldError(
                        (*path, "max_values"),
                        "BASE_TYPE_MAX",
                        f"Must be less than or equal to {len(options)} (the number of options).",
                    )
                )
            if isinstance(min_values, int) and isinstance(max_values, int) and min_values > max_values:
                errs.append(
                    FieldError((*path, "min_values"), "BASE_TYPE_MAX", "min_values must not exceed max_values.")
                )
    return errs


def autocomplete_limit_errors(body: Any) -> list[FieldError]:
    """String choice values are limited to 100 characters (the spec says 6000)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    choices = data.get("choices") if isinstance(data, Mapping) else None
    errs: list[FieldError] = []
    for i, choice in enumerate(choices or []):
        value = choice.get("value") if isinstance(choice, Mapping) else None
        if isinstance(value, str) and len(value) > AUTOCOMPLETE_STRING_VALUE_MAX:
            errs.append(
                FieldError(
                    ("data", "choices", i, "value"),
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {AUTOCOMPLETE_STRING_VALUE_MAX} or fewer in length.",
                )
            )
    return errs


def command_errors(commands: Any) -> list[FieldError]:
    """Checks Discord applies to application commands beyond the spec (names, option order, duplicates)."""
    errs: list[FieldError] = []
    if not isinstance(commands, list):
        return errs
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, Mapping):
            continue
        ctype = cmd.get("type") or 1
        name = cmd.get("name")
        if isinstance(name, str):
            if (name, ctype) in seen:
                errs.append(
                    FieldError(
                        (i, "name"),
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        f"Application command names must be unique: {name}",
                    )
                )
            seen.add((name, ctype))
            if ctype == 1 and (name != name.lower() or not _COMMAND_NAME.match(name)):
                errs.append(FieldError((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        if ctype == 1 and not cmd.get("description"):
            errs.append(FieldError((i, "description"), "BASE_TYPE_REQUIRED", "This field is required"))
        errs.extend(_option_errors(cmd.get("options") or [], (i, "options")))
    return errs


def _option_errors(options: list[Any], path: tuple[str | int, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    optional_seen = False
    names: set[str] = set()
    for j, opt in enumerate(options):
        if not isinstance(opt, Mapping):
            continue
        name = opt.get("name")
        if isinstance(name, str):
            if name in names:
                errs.append(
                    FieldError(
                        (*path, j, "name"),
                        "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                        "Option names must be unique",
                    )
                )
            names.add(name)
            if name != name.lower() or not _COMMAND_NAME.match(name):
                errs.append(
                    FieldError((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
                )
        if opt.get("type") in (1, 2):
            errs.extend(_option_errors(opt.get("options") or [], (*path, j, "options")))
            continue
        if opt.get("required"):
            if optional_seen:
                errs.append(
                    FieldError(
                        (*path, j, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            optional_seen = True
        if opt.get("autocomplete") and opt.get("choices"):
            errs.append(
                FieldError(
                    (*path, j, "autocomplete"),
                    "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES",
                    "Autocomplete cannot be used with choices",
                )
            )
    return errs


def is_empty_message(body: Mapping[str, Any], *, has_files: bool) -> bool:
    """Discord rejects messages with nothing to show (code 50006)."""
    if has_files:
        return False
    content = body.get("content")
    return not (
        (isinstance(content, str) and content.strip())
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or body.get("attachments")
    )
