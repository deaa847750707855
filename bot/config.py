"""Settings from the environment or a ``.env`` file, built once in the entry point and passed in."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: What festbot ships (the festival calendar, the example review): package data, read-only, installed with the code.
SHIPPED = Path(__file__).resolve().parent / "shipped"
#: The source checkout this code runs from, if it does (an installed wheel has no pyproject.toml beside ``bot``).
_CHECKOUT = Path(__file__).resolve().parent.parent
#: The file in the data directory holding the festival editions the user added or corrected, merged over
#: the shipped table: the shipped file is never rewritten, so an upgrade (or ``git pull``) never meets it.
EDITIONS_FILE = "festival-editions.json"


def default_data_dir() -> Path:
    """``data/`` of the checkout when run from one (as always); else the platform's user data directory."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "bot").is_dir():
        return _CHECKOUT / "data"
    return Path(platformdirs.user_data_dir("festbot", appauthor=False))


def _in_data_dir(name: str) -> Any:
    """A default under the data directory, whichever FESTBOT_DATA_DIR chose (pydantic passes the fields so far)."""
    return lambda data: Path(data["data_dir"]) / name


#: How FESTBOT_DATABASE_URL starts (libpq takes both spellings).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
#: Settings whose values never reach the terminal, even when wrong.
SECRETS = ("DISCORD_TOKEN", "FESTBOT_DATABASE_URL")

#: The level names ``logging`` knows, as FESTBOT_LOG_LEVEL spells them (any case).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: The most shards festbot accepts: far beyond any bot Discord hosts (2,500 servers a shard), low
#: enough that a typo such as ``0-30000000`` is refused instead of building a list of millions.
MAX_SHARDS = 65_536
SHARD_RANGE_HELP = "use a range, one id or a list, e.g. 0-3, 5 or 0,2,4"
_SHARD_PART = re.compile(r"([0-9]+)(?:-([0-9]+))?")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and says what it should be."""


@dataclass(frozen=True)
class ShardPlan:
    """The shards this process connects (``ids``) out of ``count`` shared by every process of the bot."""

    ids: tuple[int, ...]
    count: int


@dataclass(frozen=True)
class HomeChannels:
    """Follow mode's announcement channels: a festival's own (``own``), and the pool the rest are spread over.

    Discord publishes 10 messages per announcement channel an hour; each festival without a channel of its
    own is given one pool channel and keeps it (:mod:`bot.storage.home_pool`), so N channels publish 10N.
    """

    own: dict[str, int] = field(default_factory=dict)
    pool: tuple[int, ...] = ()

    def own_channel(self, festival: str | None) -> int | None:
        """The festival's own channel, if it has one (case does not matter)."""
        folded = {name.casefold(): channel for name, channel in self.own.items()}
        return folded.get(festival.casefold()) if festival else None

    def ids(self) -> frozenset[int]:
        return frozenset(self.own.values()) | frozenset(self.pool)

    def __bool__(self) -> bool:
        return bool(self.own or self.pool)


def parse_home_channels(text: str) -> HomeChannels:
    """``Berlinale=111,Cannes=222,333,444``: a festival's own channel; an id alone (or ``*=``): the pool that
    every other festival is spread over."""
    own: dict[str, int] = {}
    pool: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, channel = part.rpartition("=")
        name = name.strip() or "*"
        if not channel.strip().isdigit():
            raise ValueError(f"{part!r} is not FESTIVAL=CHANNEL_ID or CHANNEL_ID (e.g. Berlinale=1234567890,987654321)")
        if int(channel) in {*own.values(), *pool}:
            raise ValueError(f"channel {int(channel)} is given twice; each home channel carries one share")
        if name == "*":
            pool.append(int(channel))
        elif name.casefold() in {n.casefold() for n in own}:
            raise ValueError(f"{name!r} has two home channels; give each festival one")
        else:
            own[name] = int(channel)
    return HomeChannels(own, tuple(pool))


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``0-3`` / ``5`` / ``0,2,4`` (or a mix, ``0-3,8``) as sorted shard ids; ValueError says what is wrong."""
    ids: set[int] = set()
    for part in text.split(","):
        match = _SHARD_PART.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"not a shard range: {text.strip()!r} ({SHARD_RANGE_HELP})")
        first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
        if first > last:
            raise ValueError(f"the shard range {part.strip()!r} runs backwards; write it low-high, e.g. {last}-{first}")
        if last >= MAX_SHARDS:
            raise ValueError(f"shard {last} is beyond the shards festbot supports (0 to {MAX_SHARDS - 1})")
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))


class Settings(BaseSettings):
    """Everything configurable; the token is a ``SecretStr`` so it never reaches a log line or repr."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_base_url: str | None = Field(default=None, validation_alias="DISCORD_API_BASE_URL")
    discord_gateway_url: str | None = Field(default=None, validation_alias="DISCORD_GATEWAY_URL")
    #: The user's data: the database, the inbox and the festival editions added by hand; never a tracked file.
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="FESTBOT_DATA_DIR")
    db_path: Path = Field(default_factory=_in_data_dir("festival.db"), validation_alias="FESTBOT_DB")
    #: A PostgreSQL database instead of the SQLite file (several processes, several machines). Secret:
    #: the URL may hold a password.
    database_url: SecretStr | None = Field(default=None, validation_alias="FESTBOT_DATABASE_URL")
    inbox: Path = Field(default_factory=_in_data_dir("inbox"), validation_alias="FESTBOT_INBOX")
    #: How long a file in the inbox must stay unchanged (size and mtime) before it is read, unless a
    #: writer renamed it into place from a temporary name; long enough for a copy that pauses.
    inbox_quiet_seconds: float = Field(default=2.0, gt=0, validation_alias="FESTBOT_INBOX_QUIET_SECONDS")
    #: The most one file or page may take to read (parse, extract, summarise) before it is rejected.
    read_time_limit: float = Field(default=20.0, gt=0, validation_alias="FESTBOT_READ_TIME_LIMIT")
    reviews_dir: Path = Field(default=SHIPPED / "reviews", validation_alias="FESTBOT_SEED_DIR")
    festivals_file: Path = Field(default=SHIPPED / "festivals.json", validation_alias="FESTBOT_FESTIVALS")
    dev_guild_id: int | None = Field(default=None, validation_alias="DEV_GUILD_ID")
    log_level: str = Field(default="INFO", validation_alias="FESTBOT_LOG_LEVEL")
    #: ``text`` (one readable line) or ``json`` (one object a line, for a log collector).
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="FESTBOT_LOG_FORMAT")
    #: Feeds and pages on loopback, private, link-local... addresses are refused unless allowed here:
    #: a feed URL typed in Discord must not reach the host's own network or its cloud metadata service.
    fetch_allow_private: bool = Field(default=False, validation_alias="FESTBOT_FETCH_ALLOW_PRIVATE")
    #: Host names (or IP addresses) fetched whatever they resolve to, comma-separated: "feeds.lan,10.0.0.5".
    fetch_allow_hosts: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="FESTBOT_FETCH_ALLOW_HOSTS"
    )
    #: The shards this process runs (``0-3``, ``5``, ``0,2,4``) out of ``shard_count``; with neither set, the
    #: bot is one unsharded connection. Several processes, each with its own range, share the bot's guilds.
    shards: Annotated[tuple[int, ...] | None, NoDecode] = Field(default=None, validation_alias="FESTBOT_SHARDS")
    shard_count: int | None = Field(default=None, ge=1, le=MAX_SHARDS, validation_alias="FESTBOT_SHARD_COUNT")
    #: Discord starts one session per rate-limit bucket every 5 s; processes sharing the database take turns.
    #: Only tests (whose fake Discord enforces a shorter window) set anything else.
    identify_window: float = Field(default=5.0, gt=0, le=60, validation_alias="FESTBOT_IDENTIFY_WINDOW")
    #: Follow mode's home channels: announcement channels of the bot's own server where each review is posted
    #: once and published, for servers that follow them (``/announce follow``). ``Berlinale=111,Cannes=222,333,444``:
    #: a festival's own channel, and (no name, or ``*``) the pool every other festival is spread over, each
    #: festival keeping one pool channel; ``/announce follow festival:all`` follows every pool channel.
    home_channels: Annotated[HomeChannels, NoDecode] = Field(
        default_factory=HomeChannels, validation_alias="FESTBOT_HOME_CHANNELS"
    )
    #: Requests per second the delivery worker may spend of the bot's 50 (Discord's one limit for all of a bot's
    #: processes; the worker alone sends announcements). Lower leaves room for other tools on the same token.
    send_rate: int = Field(default=49, ge=1, le=49, validation_alias="FESTBOT_SEND_RATE")
    #: The delivery worker, feed poller and inbox watcher run in one process at a time, under a lease of this
    #: many seconds renewed a third of the way through: a process that dies is replaced within about that long.
    lease_seconds: float = Field(default=6.0, ge=1, le=300, validation_alias="FESTBOT_LEASE_SECONDS")
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
        "shard_count",
        "database_url",
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

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip().startswith(POSTGRES_SCHEMES):
            raise ValueError(
                "not a PostgreSQL URL; use postgresql://USER@HOST:5432/DATABASE, or leave it unset for the SQLite"
                " file FESTBOT_DB"
            )
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @property
    def database(self) -> Path | str:
        """Where the data lives: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url is not None else self.db_path

    @property
    def editions_file(self) -> Path:
        """Where ``festbot festivals edition`` keeps the user's editions, merged over the table on load."""
        return self.data_dir / EDITIONS_FILE

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_name(cls, value: object) -> object:
        return (value.strip().lower() or "text") if isinstance(value, str) else value

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

    @field_validator("home_channels", mode="before")
    @classmethod
    def _home_channels(cls, value: object) -> object:
        return parse_home_channels(value) if isinstance(value, str) else value

    @field_validator("shards", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_shard_ids(value) if value.strip() else None  # blank: unset, as for the others
        return value

    def shard_plan(self) -> ShardPlan | None:
        """The shards to run, or None for one unsharded connection; SettingsError when they do not add up."""
        if self.shards is None and self.shard_count is None:
            return None
        if self.shard_count is None:
            raise SettingsError(
                "FESTBOT_SHARDS (--shards) needs FESTBOT_SHARD_COUNT (--shard-count): the total number of shards,"
                " the same in every process"
            )
        ids = self.shards if self.shards is not None else tuple(range(self.shard_count))
        beyond = [i for i in ids if i >= self.shard_count]
        if beyond:
            raise SettingsError(
                f"shard {beyond[0]} is not below the shard count {self.shard_count}: the shards are numbered"
                f" 0 to {self.shard_count - 1}"
            )
        return ShardPlan(ids, self.shard_count)

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
            shown = "input" in error and name not in SECRETS  # a token or password never reaches the terminal
            problems.append(f"{name}={error['input']!r}: {reason}" if shown else f"{name}: {reason}")
        raise SettingsError("; ".join(problems)) from exc
