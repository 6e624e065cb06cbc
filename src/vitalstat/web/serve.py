"""The app for ``uvicorn vitalstat.web.serve:app`` (several workers): settings from the
environment (``VITALSTAT_DB`` and the rest)."""

from __future__ import annotations

from vitalstat.config import db_url
from vitalstat.store import Store
from vitalstat.web.app import ServerConfig, create_app

__all__ = ["app"]

app = create_app(Store.open(db_url()), ServerConfig.from_env())
