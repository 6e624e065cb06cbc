"""Settings, read from the environment with documented defaults (README "Settings").

| variable         | default                      | meaning                                   |
|------------------|------------------------------|-------------------------------------------|
| VITALSTAT_DB     | ``sqlite:///./vitalstat.db`` | registry URL (SQLAlchemy) or a file path   |
| VITALSTAT_USER   | the OS user                  | actor named in events for CLI actions      |
| VITALSTAT_CHUNK  | ``50000``                    | lines per ingest chunk (memory vs. speed)  |
| VITALSTAT_RELEASES | ``./releases``             | directory that holds the release folders   |
| VITALSTAT_KEYS   | ``./keys``                   | directory of the release signing key       |
| VITALSTAT_EMBARGO | ``year-end+3``              | embargo rule (see ``domain.policy``)       |
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from vitalstat.domain.policy import DEFAULT_EMBARGO, EmbargoRule
from vitalstat.errors import ConfigError, ValidationError

__all__ = [
    "DEFAULT_DB",
    "SETTINGS",
    "Settings",
    "db_url",
    "default_actor",
    "embargo_rule",
    "keys_dir",
    "releases_dir",
]

DEFAULT_DB = "sqlite:///./vitalstat.db"

#: Every setting, for the docs test: name -> (default, meaning).
SETTINGS: dict[str, tuple[str, str]] = {
    "VITALSTAT_DB": (DEFAULT_DB, "registry URL (SQLAlchemy form) or a path to a SQLite file"),
    "VITALSTAT_USER": ("the OS user", "actor named in events for CLI actions"),
    "VITALSTAT_CHUNK": ("50000", "lines per ingest chunk"),
    "VITALSTAT_RELEASES": ("./releases", "directory that holds the release folders"),
    "VITALSTAT_KEYS": ("./keys", "directory of the release signing key (private key inside)"),
    "VITALSTAT_EMBARGO": ("year-end+3", "embargo rule: year-end+3, year-end+2 or anniversary+3"),
}


def releases_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("VITALSTAT_RELEASES") or "releases")


def keys_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("VITALSTAT_KEYS") or "keys")


def embargo_rule(value: str | None = None) -> EmbargoRule:
    """``VITALSTAT_EMBARGO`` (default: the most conservative reading)."""
    raw = value or os.environ.get("VITALSTAT_EMBARGO") or DEFAULT_EMBARGO.value
    try:
        return EmbargoRule.parse(raw)
    except ValidationError as exc:
        raise ConfigError(f"VITALSTAT_EMBARGO: {exc.reason}") from None


def db_url(value: str | None = None) -> str:
    """Normalise ``--db`` / ``VITALSTAT_DB``: a URL as is, a bare path as a SQLite file."""
    raw = value or os.environ.get("VITALSTAT_DB") or DEFAULT_DB
    if "://" in raw:
        if raw.startswith("postgres://"):
            raw = "postgresql://" + raw[len("postgres://") :]
        if raw.startswith("postgresql://"):
            raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
        return raw
    return f"sqlite:///{raw}"


def default_actor(value: str | None = None) -> str:
    actor = value or os.environ.get("VITALSTAT_USER") or _os_user()
    if not actor.strip():
        raise ConfigError("no actor: pass --as NAME or set VITALSTAT_USER")
    return actor.strip()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@dataclass(frozen=True, slots=True)
class Settings:
    chunk_lines: int = 50_000

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get("VITALSTAT_CHUNK", "50000")
        try:
            chunk = int(raw)
        except ValueError:
            raise ConfigError(f"VITALSTAT_CHUNK must be a whole number, not {raw!r}") from None
        if chunk < 1:
            raise ConfigError("VITALSTAT_CHUNK must be at least 1")
        return cls(chunk_lines=chunk)
