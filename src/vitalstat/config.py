"""Settings, read from the environment with documented defaults (README "Settings").

| variable         | default                      | meaning                                   |
|------------------|------------------------------|-------------------------------------------|
| VITALSTAT_DB     | ``sqlite:///./vitalstat.db`` | registry URL (SQLAlchemy) or a file path   |
| VITALSTAT_USER   | the OS user                  | actor named in events for CLI actions      |
| VITALSTAT_CHUNK  | ``50000``                    | lines per ingest chunk (memory vs. speed)  |
| VITALSTAT_RELEASES | ``./releases``             | directory that holds the release folders   |
| VITALSTAT_KEYS   | ``./keys``                   | directory of the release signing key       |
| VITALSTAT_EMBARGO | ``year-end+3``              | embargo rule (see ``domain.policy``)       |

and the integrity rules' thresholds (``VITALSTAT_GRACE_DAYS`` and the rest: see
:data:`SETTINGS`).
| VITALSTAT_SPARK_MASTER | ``local[2]``           | Spark master for ``match --engine spark``  |
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path

from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.policy import DEFAULT_EMBARGO, EmbargoRule
from vitalstat.errors import ConfigError, ValidationError

__all__ = [
    "DEFAULT_DB",
    "SETTINGS",
    "Settings",
    "cases_dir",
    "db_url",
    "default_actor",
    "embargo_rule",
    "jobs_dir",
    "keys_dir",
    "releases_dir",
    "roles_of",
]

DEFAULT_DB = "sqlite:///./vitalstat.db"

#: Every setting, for the docs test: name -> (default, meaning).
SETTINGS: dict[str, tuple[str, str]] = {
    "VITALSTAT_DB": (DEFAULT_DB, "registry URL (SQLAlchemy form) or a path to a SQLite file"),
    "VITALSTAT_USER": ("the OS user", "actor named in events for CLI actions"),
    "VITALSTAT_CHUNK": ("50000", "lines per ingest chunk"),
    "VITALSTAT_CASES_DIR": ("./cases", "where case evidence and reinstatement letters are "
                            "kept"),
    "VITALSTAT_GRACE_DAYS": ("14", "days a lone unverified non-vital report waits (0: off)"),
    "VITALSTAT_MAX_AGE": ("115", "age at death above which a record is held"),
    "VITALSTAT_SURGE_CEILING": ("5000", "deaths one source may report in a day before "
                                "its batches are held"),
    "VITALSTAT_BATCH_FLAG_LIMIT": ("100", "people flagged in one batch before the whole "
                                   "batch is held"),
    "VITALSTAT_RELEASES": ("./releases", "directory that holds the release folders"),
    "VITALSTAT_KEYS": ("./keys", "directory of the release signing key (private key inside)"),
    "VITALSTAT_EMBARGO": ("year-end+3", "embargo rule: year-end+3, year-end+2 or anniversary+3"),
    "VITALSTAT_SPARK_MASTER": ("local[2]", "Spark master for vitalstat match --engine spark"),
    "VITALSTAT_PRIVACY_OFFICERS": ("(none)", "users holding the privacy-officer role "
                                   "(comma-separated names)"),
    "VITALSTAT_ADMINS": ("(none)", "users holding the admin role (comma-separated names)"),
    "VITALSTAT_JOBS_DIR": ("./jobs", "where the API keeps match jobs' input and decisions "
                           "files"),
}


def releases_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("VITALSTAT_RELEASES") or "releases")


def cases_dir(value: Path | None = None) -> Path:
    """``--cases-dir`` / ``VITALSTAT_CASES_DIR``: case evidence and letters."""
    return Path(value or os.environ.get("VITALSTAT_CASES_DIR") or "cases")


def jobs_dir(value: str | None = None) -> Path:
    """``VITALSTAT_JOBS_DIR``: match jobs submitted over the API (input and decisions)."""
    return Path(value or os.environ.get("VITALSTAT_JOBS_DIR") or "jobs")


def keys_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("VITALSTAT_KEYS") or "keys")


def embargo_rule(value: str | None = None) -> EmbargoRule:
    """``VITALSTAT_EMBARGO`` (default: the most conservative reading)."""
    raw = value or os.environ.get("VITALSTAT_EMBARGO") or DEFAULT_EMBARGO.value
    try:
        return EmbargoRule.parse(raw)
    except ValidationError as exc:
        raise ConfigError(f"VITALSTAT_EMBARGO: {exc.reason}") from None


def roles_of(actor: str) -> frozenset[str]:
    """The roles ``actor`` holds: ``privacy-officer`` when named in
    ``VITALSTAT_PRIVACY_OFFICERS``, ``admin`` when named in ``VITALSTAT_ADMINS``
    (comma-separated, case-insensitive). Until there is a user store, this is how the CLI
    knows roles; the API maps its tokens' roles onto the same names."""
    who = actor.strip().casefold()
    held = set()
    for role, name in (("privacy-officer", "VITALSTAT_PRIVACY_OFFICERS"),
                       ("admin", "VITALSTAT_ADMINS")):
        names = {n.strip().casefold() for n in os.environ.get(name, "").split(",")}
        if who and who in names:
            held.add(role)
    return frozenset(held)


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
    integrity: IntegrityRules = field(default_factory=IntegrityRules)

    @classmethod
    def from_env(cls) -> Settings:
        defaults = IntegrityRules()
        try:
            rules = IntegrityRules(
                grace_days=_whole("VITALSTAT_GRACE_DAYS", defaults.grace_days, least=0),
                max_age_at_death=_whole("VITALSTAT_MAX_AGE", defaults.max_age_at_death,
                                        least=1),
                surge_ceiling=_whole("VITALSTAT_SURGE_CEILING", defaults.surge_ceiling,
                                     least=0),
                batch_flag_limit=_whole("VITALSTAT_BATCH_FLAG_LIMIT",
                                        defaults.batch_flag_limit, least=0),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return cls(chunk_lines=_whole("VITALSTAT_CHUNK", 50_000, least=1), integrity=rules)


def _whole(name: str, default: int, *, least: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise ConfigError(f"{name} must be at least {least}")
    return value
