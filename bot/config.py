"""Settings from the environment or a ``.env`` file, built once in the entry point and passed in."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: The level names ``logging`` knows, as FESTBOT_LOG_LEVEL spells them (any case).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and says what it should be."""


class Settings(BaseSettings):
    """Everything configurable; the token is a ``SecretStr`` so it never reaches a log line or repr."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_base_url: str | None = Field(default=None, validation_alias="DISCORD_API_BASE_URL")
    discord_gateway_url: str | None = Field(default=None, validation_alias="DISCORD_GATEWAY_URL")
    db_path: Path = Field(default=DATA_DIR / "festival.db", validation_alias="FESTBOT_DB")
    inbox: Path = Field(default=DATA_DIR / "inbox", validation_alias="FESTBOT_INBOX")
    reviews_dir: Path = Field(default=DATA_DIR / "reviews", validation_alias="FESTBOT_SEED_DIR")
    festivals_file: Path = Field(default=DATA_DIR / "festivals.json", validation_alias="FESTBOT_FESTIVALS")
    dev_guild_id: int | None = Field(default=None, validation_alias="DEV_GUILD_ID")
    log_level: str = Field(default="INFO", validation_alias="FESTBOT_LOG_LEVEL")
    #: Feeds and pages on loopback, private, link-local... addresses are refused unless allowed here:
    #: a feed URL typed in Discord must not reach the host's own network or its cloud metadata service.
    fetch_allow_private: bool = Field(default=False, validation_alias="FESTBOT_FETCH_ALLOW_PRIVATE")
    #: Host names (or IP addresses) fetched whatever they resolve to, comma-separated: "feeds.lan,10.0.0.5".
    fetch_allow_hosts: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="FESTBOT_FETCH_ALLOW_HOSTS"
    )
    #: The web pages (bot/web/) are served only when a port is set; on loopback unless the host says otherwise,
    #: so a bot started on a shared host does not publish its pages until the operator means it to.
    http_port: int | None = Field(default=None, ge=1, le=65535, validation_alias="FESTBOT_HTTP_PORT")
    http_host: str = Field(default="127.0.0.1", validation_alias="FESTBOT_HTTP_HOST")
    #: Where people reach those pages (``https://festbot.example.org``): Discord answers link to them when set.
    public_url: str | None = Field(default=None, validation_alias="FESTBOT_PUBLIC_URL")

    @field_validator(
        "discord_token",
        "discord_api_base_url",
        "discord_gateway_url",
        "dev_guild_id",
        "http_port",
        "public_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DISCORD_TOKEN=` in a .env file means "no token", not an empty one.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        # Checked here, not where logging is set up: `logging` only refuses an unknown name once the
        # bot is already starting, with a traceback.
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"not a log level; use one of {', '.join(LOG_LEVELS)}")
        return level

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @field_validator("http_host")
    @classmethod
    def _host(cls, value: str) -> str:
        return value.strip() or "127.0.0.1"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        # Checked here, not when the first answer links to it: a typo would otherwise put broken
        # links in every announcement.
        if value is None:
            return None
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("not a web address; use the pages' base address, e.g. https://festbot.example.org")
        return url

    @field_validator("fetch_allow_private", mode="before")
    @classmethod
    def _blank_is_false(cls, value: object) -> object:
        return False if isinstance(value, str) and not value.strip() else value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # One plain line in the environment, not JSON: "a.example, b.example." names two hosts.
        if isinstance(value, str):
            return frozenset(host.strip().rstrip(".").lower() for host in value.split(",") if host.strip())
        return value


def load_settings() -> Settings:
    """The settings, or :class:`SettingsError` saying in one line which variables are wrong and why."""
    try:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the settings file .env: {exc}") from exc
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            reason = str(error["msg"]).removeprefix("Value error, ")
            shown = "input" in error and name != "DISCORD_TOKEN"  # a token never reaches the terminal
            problems.append(f"{name}={error['input']!r}: {reason}" if shown else f"{name}: {reason}")
        raise SettingsError("; ".join(problems)) from exc
