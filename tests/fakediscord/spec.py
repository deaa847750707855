"""Request-body validation against Discord's official OpenAPI spec (the limits it omits are in ``limits.py``).

The spec (``openapi.json`` beside this file, MIT, see ``LICENSE``) is a copy of
discord/discord-api-spec at commit 74fda0fad044407ea280043a03ffc9bc64c4e49e. It is loaded
once per process and validators are cached per schema, because the file is 1.2 MB and
building a validator over it is not free.

Deliberate deviations from the raw spec, each because real Discord accepts what the spec
rejects (a fake that is stricter than Discord produces false failures):

* ``SnowflakeType`` also accepts non-negative integers: Discord coerces JSON integers to
  snowflakes and discord.py sends e.g. ``allowed_mentions.users`` and attachment ids as ints.
* Only the ``uri`` format is checked (http/https/attachment schemes); other formats
  (``int64``, ``nonce``, ``date-time``...) are annotations.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

SPEC_PATH = Path(__file__).with_name("openapi.json")


@dataclass(frozen=True)
class FieldError:
    """One Discord-style form error: where, machine code, human message."""

    path: tuple[str | int, ...]
    code: str
    message: str


@functools.cache
def load_spec() -> dict[str, Any]:
    """Load (once per process) the bundled spec with the documented relaxations applied."""
    with SPEC_PATH.open("rb") as fh:
        spec: dict[str, Any] = json.load(fh)
    schemas = spec["components"]["schemas"]
    snowflake = schemas["SnowflakeType"]
    schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
    # The spec predates media channels; Discord's documentation lists GUILD_MEDIA (16), and discord.py
    # adds it to every option annotated with ForumChannel. The documentation wins over the preview spec.
    channel_types = schemas["ChannelTypes"]["oneOf"]
    if not any(option.get("const") == 16 for option in channel_types):
        channel_types.append({"title": "GUILD_MEDIA", "description": "A channel of media posts", "const": 16})
    return spec


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("uri", raises=())
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if parts.scheme in ("http", "https"):
            return bool(parts.netloc)
        return parts.scheme == "attachment" and bool(parts.netloc or parts.path)

    return checker


_FORMATS = _format_checker()


def _validator_for(schema: Mapping[str, Any]) -> Draft202012Validator:
    spec = load_spec()
    document = {**schema, "components": spec["components"]}
    return Draft202012Validator(document, format_checker=_FORMATS)


@functools.cache
def component_validator(name: str) -> Draft202012Validator:
    """Validator for ``#/components/schemas/<name>``."""
    if name not in load_spec()["components"]["schemas"]:
        raise KeyError(name)
    return _validator_for({"$ref": f"#/components/schemas/{name}"})


@functools.cache
def route_validator(template: str, method: str) -> Draft202012Validator | None:
    """Validator for a route's JSON request body as declared by the spec, or None if it has none."""
    operation = load_spec()["paths"].get(template, {}).get(method.lower())
    if not operation or "requestBody" not in operation:
        return None
    content = operation["requestBody"].get("content", {})
    media = content.get("application/json") or content.get("multipart/form-data")
    if not media or "schema" not in media:
        return None
    return _validator_for(media["schema"])


def route_has_body_schema(template: str, method: str) -> bool:
    """Whether the spec declares a request body for this route."""
    return route_validator(template, method) is not None


# --------------------------------------------------------------------------- error shaping


def _is_discriminator_miss(err: ValidationError) -> bool:
    """True if a union branch failed because the value is simply another kind (type tag / null)."""
    rel = list(err.relative_path)
    if not rel and err.validator == "type":
        return True
    return rel == ["type"] and err.validator in ("enum", "const", "oneOf", "type")


def _leaves(err: ValidationError) -> list[ValidationError]:
    """Reduce a (possibly nested union) error to the errors a human would want to see."""
    if not err.context:
        return [err]
    branches: dict[int, list[ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    candidates = [errs for errs in branches.values() if not any(_is_discriminator_miss(e) for e in errs)]
    if not candidates:
        return [err]
    best: list[ValidationError] | None = None
    for errs in candidates:
        flat = [leaf for e in errs for leaf in _leaves(e)]
        if best is None or len(flat) < len(best):
            best = flat
    return best or [err]


def _describe(err: ValidationError) -> FieldError:
    path: tuple[str | int, ...] = tuple(err.absolute_path)
    v, instance = err.validator, err.instance
    expected: Any = err.validator_value  # always set on the errors iter_errors() yields
    if v in ("maxLength", "maxItems", "maxProperties"):
        return FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {expected} or fewer in length.")
    if v in ("minLength", "minItems", "minProperties"):
        return FieldError(path, "BASE_TYPE_MIN_LENGTH", f"Must be {expected} or more in length.")
    if v == "required":
        missing = next((p for p in expected if isinstance(instance, dict) and p not in instance), "?")
        return FieldError((*path, missing), "BASE_TYPE_REQUIRED", "This field is required")
    if v in ("enum", "const"):
        choices = expected if v == "enum" else [expected]
        return FieldError(path, "BASE_TYPE_CHOICES", f"Value must be one of {tuple(choices)!r}.")
    if v == "maximum":
        return FieldError(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {expected}.")
    if v == "minimum":
        return FieldError(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {expected}.")
    if v == "format":
        return FieldError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if v == "uniqueItems":
        return FieldError(path, "SET_TYPE_ALREADY_CONTAINS_VALUE", "The set already contains this value.")
    if v in ("type", "pattern"):
        types = expected if isinstance(expected, list) else [expected]
        if "integer" in types or "number" in types or v == "pattern":
            return FieldError(path, "NUMBER_TYPE_COERCE", f'Value "{instance}" is not int.')
        if "string" in types:
            return FieldError(path, "STRING_TYPE_CONVERT", f'Could not interpret "{instance}" as string.')
        if "boolean" in types:
            return FieldError(path, "BOOLEAN_TYPE_CONVERT", "Must be either true or false.")
        if "array" in types:
            return FieldError(path, "LIST_TYPE_CONVERT", "Must be an array.")
        return FieldError(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    return FieldError(path, "BASE_TYPE_INVALID", err.message[:200])


def schema_errors(validator: Draft202012Validator, body: Any) -> list[FieldError]:
    """All spec violations in ``body``, shaped like Discord's form errors."""
    out: list[FieldError] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for err in validator.iter_errors(body):
        for leaf in _leaves(err):
            fe = _describe(leaf)
            if (fe.path, fe.code) not in seen:
                seen.add((fe.path, fe.code))
                out.append(fe)
    return out


def discord_error_tree(errors: Iterable[FieldError]) -> dict[str, Any]:
    """Nest errors the way Discord does: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    tree: dict[str, Any] = {}
    for fe in errors:
        node = tree
        for part in fe.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": fe.code, "message": fe.message})
    return tree
