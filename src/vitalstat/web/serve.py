"""The app for ``uvicorn vitalstat.web.serve:app`` (several workers): settings from the
environment (``VITALSTAT_DB`` and the rest).

Each worker imports this module, so none of them requeues the match jobs a stopped
server left running (they would race to): ``vitalstat serve --workers N`` does it once
before starting them.
"""

from __future__ import annotations

from dataclasses import replace

from vitalstat.config import db_url
from vitalstat.store import Store
from vitalstat.web.app import ServerConfig, create_app

__all__ = ["app"]

app = create_app(Store.open(db_url()), replace(ServerConfig.from_env(), requeue_at_start=False))
