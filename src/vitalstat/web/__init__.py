"""The HTTP API (FastAPI). Only this package imports FastAPI.

``create_app(store, config)`` builds the app; ``vitalstat serve`` runs it with uvicorn.
Routes per area (``routes_*.py``) parse, call a service, shape the answer; errors are
mapped to HTTP in ``errors.py``; permissions are checked in ``authz.py`` against
``domain.access.POLICY``.
"""

from vitalstat.web.app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
