"""Settings from the environment or a ``.env`` file, built once in the entry point and passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """Everything configurable; the token is a ``SecretStr`` so it never reaches a log line or repr."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_base_url: str | None = Field(default=None, validation_alias="DISCORD_API_BASE_URL")
    discord_gateway_url: str | None = Field(default=None, validation_alias="DISCORD_GATEWAY_URL")
    db_path: Path = Field(default=DATA_DIR / "festival.db", validation_alias="FESTBOT_DB")
    inbox: Path = Field(default=DATA_DIR / "inbox", validation_alias="FESTBOT_INBOX")
    #: How long a file in the inbox must stay unchanged (size and mtime) before it is read, unless a
    #: writer renamed it into place from a temporary name; long enough for a copy that pauses.
    inbox_quiet_seconds: float = Field(default=2.0, gt=0, validation_alias="FESTBOT_INBOX_QUIET_SECONDS")
    #: The most one file or page may take to read (parse, extract, summarise) before it is rejected.
    read_time_limit: float = Field(default=20.0, gt=0, validation_alias="FESTBOT_READ_TIME_LIMIT")
    reviews_dir: Path = Field(default=DATA_DIR / "reviews", validation_alias="FESTBOT_SEED_DIR")
    festivals_file: Path = Field(default=DATA_DIR / "festivals.json", validation_alias="FESTBOT_FESTIVALS")
    dev_guild_id: int | None = Field(default=None, validation_alias="DEV_GUILD_ID")
    log_level: str = Field(default="INFO", validation_alias="FESTBOT_LOG_LEVEL")

    @field_validator("discord_token", "discord_api_base_url", "discord_gateway_url", "dev_guild_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DISCORD_TOKEN=` in a .env file means "no token", not an empty one.
        return None if isinstance(value, str) and not value.strip() else value
