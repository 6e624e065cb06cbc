"""Settings, read from the environment with documented defaults (README "Settings").

| variable         | default                      | meaning                                   |
|------------------|------------------------------|-------------------------------------------|
| VITALSTAT_DB     | ``sqlite:///./vitalstat.db`` | registry URL (SQLAlchemy) or a file path   |
| VITALSTAT_USER   | the OS user                  | actor named in events for CLI actions      |
| VITALSTAT_CHUNK  | ``50000``                    | lines per ingest chunk (memory vs. speed)  |
| VITALSTAT_SPARK_MASTER | ``local[2]``           | Spark master for ``match --engine spark``  |
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from vitalstat.errors import ConfigError

__all__ = ["DEFAULT_DB", "SETTINGS", "Settings", "db_url", "default_actor"]

DEFAULT_DB = "sqlite:///./vitalstat.db"

#: Every setting, for the docs test: name -> (default, meaning).
SETTINGS: dict[str, tuple[str, str]] = {
    "VITALSTAT_DB": (DEFAULT_DB, "registry URL (SQLAlchemy form) or a path to a SQLite file"),
    "VITALSTAT_USER": ("the OS user", "actor named in events for CLI actions"),
    "VITALSTAT_CHUNK": ("50000", "lines per ingest chunk"),
    "VITALSTAT_SPARK_MASTER": ("local[2]", "Spark master for vitalstat match --engine spark"),
}


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
