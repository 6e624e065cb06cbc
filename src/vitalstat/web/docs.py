"""The interactive API docs at ``/docs``, served from files shipped with the package.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so it stays blank on a machine
without internet. Here Swagger UI 5 (``swagger-ui-dist``, Apache-2.0, its LICENSE and
NOTICE beside it) is vendored into ``web/static/swagger-ui/`` and mounted at
``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "install_docs"]

#: Vendored assets, shipped as package data.
STATIC = Path(__file__).with_name("static")


def install_docs(app: FastAPI) -> None:
    """Mount ``/static`` and serve ``/docs`` from it (the app must have ``docs_url=None``)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title}: docs",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
