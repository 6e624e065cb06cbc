"""The web interface: server-rendered pages (Jinja2 + htmx, both shipped with the package).

``install_ui(app)`` mounts ``/ui/static`` and every page module's router. A page module
(``routes_*.py`` here) has a ``router``, its pages declared with ``base.page`` under a
permission of ``domain.access.POLICY``, and a ``NAV`` list of the header links it adds.
Pages call the services directly, as the API routes do: the same rules, the same audit
events, the actor being the signed-in token's name.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from vitalstat.web.ui.base import STATIC, check_pages

__all__ = ["install_ui"]


def install_ui(app: FastAPI) -> None:
    from vitalstat.web.ui import (
        routes_dashboard,
        routes_home,
        routes_public,
        routes_staff,
        routes_staff_cases,
        routes_subscriber,
    )

    modules = [routes_home, routes_public]
    modules += [routes_staff, routes_staff_cases]
    modules += [routes_subscriber]
    modules += [routes_dashboard]
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.state.ui_nav = [item for module in modules for item in module.NAV]
    app.state.ui_routers = [module.router for module in modules]
    check_pages(app.state.ui_routers)
    for router in app.state.ui_routers:
        app.include_router(router)
