"""The floor of the API benchmark: a bare FastAPI endpoint returning a constant, served
the same way as Vitalstat's (uvicorn, one worker, a sync handler run in the threadpool)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/floor")
def floor() -> dict[str, bool]:
    return {"ok": True}
