"""The app factory: one FastAPI app over one store, every route behind its permission."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI

from vitalstat.config import Settings, cases_dir, embargo_rule, jobs_dir, keys_dir, releases_dir
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.policy import DEFAULT_EMBARGO, EmbargoRule
from vitalstat.services.match_jobs import requeue_interrupted_jobs, run_job, unfinished_jobs
from vitalstat.services.matching import (
    warm_reference,
)
from vitalstat.services.tokens import TokenVerifier
from vitalstat.store import Store
from vitalstat.web import errors
from vitalstat.web.authz import check_routes
from vitalstat.web.docs import install_docs
from vitalstat.web.metrics import Metrics
from vitalstat.web.ui import install_ui

__all__ = ["ServerConfig", "create_app"]

log = logging.getLogger("vitalstat.web")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Where the server keeps and finds files, and the rules it applies."""

    releases: Path = Path("releases")
    keys: Path = Path("keys")
    cases_dir: Path = Path("cases")
    jobs_dir: Path = Path("jobs")
    rules: IntegrityRules = field(default_factory=IntegrityRules)
    embargo: EmbargoRule = DEFAULT_EMBARGO
    chunk_lines: int = 50_000
    token_ttl: float = 60.0
    #: requeue jobs a stopped server left running, at start: only where this process is
    #: the only server (``vitalstat serve`` does it before starting several workers)
    requeue_at_start: bool = True
    #: threads for the routes that run outside the event loop (ingests, matches, pages):
    #: few, because every thread wants the one GIL the event loop's lookups need; with
    #: Starlette's 40, a mixed load spent a fifth more CPU a request (bench/README.md)
    threads: int = 8

    @classmethod
    def from_env(cls) -> ServerConfig:
        settings = Settings.from_env()
        return cls(releases=releases_dir(), keys=keys_dir(), cases_dir=cases_dir(),
                   jobs_dir=jobs_dir(), rules=settings.integrity, embargo=embargo_rule(),
                   chunk_lines=settings.chunk_lines)


class JobRunner:
    """Match jobs run one at a time in a background thread (the work is DuckDB's, which
    uses every core itself)."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.store, self.config = store, config
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="match-job")
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        started = time.perf_counter()
        job = run_job(self.store, job_id, rule=self.config.embargo)
        log.info("match job %s %s in %.1f s", job_id, job.state, time.perf_counter() - started)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def create_app(store: Store, config: ServerConfig | None = None) -> FastAPI:
    """The API over ``store`` (migrated: the schema is checked here, once)."""
    from vitalstat.web import (
        routes_accounting,
        routes_audit,
        routes_corrections,
        routes_disclosure,
        routes_distribution,
        routes_matching,
        routes_ops,
        routes_registry,
        routes_sources,
    )

    config = config or ServerConfig()
    store.check_schema()
    runner = JobRunner(store, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = config.threads
        if config.requeue_at_start:
            requeue_interrupted_jobs(store)
        for job_id in unfinished_jobs(store):  # each runs once: run_job claims it
            runner.submit(job_id)
        # index the latest release for one-row matches, without delaying the start
        threading.Thread(target=warm_reference, args=(store,), name="warm-reference",
                         daemon=True).start()
        yield
        runner.shutdown()

    app = FastAPI(
        title="Vitalstat API",
        version="1",
        summary="An open death master file: ingest, look up, match, correct, distribute.",
        description="Authenticate with `Authorization: Bearer vs_<id>_<secret>` "
                    "(`vitalstat token create`). Each operation's `x-permission` names "
                    "the permission it needs; README \"HTTP API\" lists the roles that "
                    "hold each. Errors: `{\"error\": {\"code\", \"message\", \"problems\"}}`.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored files: see web.docs
        redoc_url=None,
    )
    install_docs(app)
    app.state.store = store
    app.state.config = config
    app.state.verifier = TokenVerifier(store, ttl=config.token_ttl)
    app.state.jobs = runner
    app.state.metrics = Metrics()
    errors.install(app)
    # routes_sources before routes_corrections: /holds/bulk is not /holds/{ssn}
    routers = [m.router for m in (routes_ops, routes_registry, routes_matching,
                                  routes_distribution, routes_sources, routes_corrections,
                                  routes_disclosure, routes_accounting, routes_audit)]
    for router in routers:
        app.include_router(router)
    check_routes(app, routers)
    install_ui(app)  # the pages: out of the OpenAPI, each under a permission too
    app.add_middleware(app.state.metrics.middleware)
    app.add_middleware(errors.TooLargeInOneShape)
    return app
