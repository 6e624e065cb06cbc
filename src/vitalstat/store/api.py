"""Queries for the HTTP API: tokens, idempotency keys, match jobs (and their review
marks), public case secrets.

A mixin of :class:`vitalstat.store.repo.Tx` (one transaction, ``self.conn``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from vitalstat.store.schema import (
    api_tokens,
    case_secrets,
    idempotency_keys,
    match_jobs,
    match_reviews,
)

__all__ = ["ApiQueries"]

# Built once: every API request reads its token, and building a statement costs more
# than running it (~120 us against ~45 us on SQLite).
_TOKEN_BY_ID = select(api_tokens).where(api_tokens.c.id == bindparam("id"))


def _one(conn: Connection, query: Any) -> dict[str, Any] | None:
    found = conn.execute(query).mappings().one_or_none()
    return dict(found) if found is not None else None


class ApiQueries:
    conn: Connection

    # ------------------------------------------------------------------ tokens
    def insert_token(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(api_tokens).values(values))

    def token_row(self, token_id: str) -> dict[str, Any] | None:
        found = self.conn.execute(_TOKEN_BY_ID, {"id": token_id}).mappings().one_or_none()
        return dict(found) if found is not None else None

    def token_rows(self) -> list[dict[str, Any]]:
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def active_token_named(self, name: str) -> dict[str, Any] | None:
        return _one(self.conn, select(api_tokens).where(
            api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None)).limit(1))

    def revoke_token(self, token_id: str, at: str) -> None:
        self.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id)
                          .values(revoked_at=at))

    # ------------------------------------------------------- idempotency keys
    def idempotent_answer(self, actor: str, key: str) -> dict[str, Any] | None:
        return _one(self.conn, select(idempotency_keys).where(
            idempotency_keys.c.actor == actor, idempotency_keys.c.key == key))

    def insert_idempotent_answer(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(idempotency_keys).values(values))

    # -------------------------------------------------------------- match jobs
    def insert_match_job(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(match_jobs).values(values))

    def update_match_job(self, job_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(update(match_jobs).where(match_jobs.c.id == job_id).values(values))

    def claim_match_job(self, job_id: str) -> bool:
        """``queued`` -> ``running``, only if it is still queued (one runner per job,
        whichever server process tries first)."""
        done = self.conn.execute(update(match_jobs).where(
            match_jobs.c.id == job_id, match_jobs.c.state == "queued").values(state="running"))
        return bool(done.rowcount == 1)

    def match_job_row(self, job_id: str) -> dict[str, Any] | None:
        return _one(self.conn, select(match_jobs).where(match_jobs.c.id == job_id))

    def match_job_rows(self, *, subscriber: str | None = None, actor: str | None = None,
                       limit: int = 20) -> list[dict[str, Any]]:
        """Newest first, of one subscriber or one actor (neither: every job)."""
        query = select(match_jobs)
        if subscriber is not None:
            query = query.where(match_jobs.c.subscriber == subscriber)
        if actor is not None:
            query = query.where(match_jobs.c.actor == actor)
        query = query.order_by(match_jobs.c.created_at.desc(), match_jobs.c.id).limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def unfinished_match_jobs(self) -> list[dict[str, Any]]:
        query = select(match_jobs).where(match_jobs.c.state.in_(["queued", "running"]))
        return [dict(r) for r in self.conn.execute(query.order_by(match_jobs.c.created_at))
                .mappings()]

    # ------------------------------------------------------- review marks
    def insert_match_review(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(match_reviews).values(values)
                                   .returning(match_reviews.c.id))
        return int(result.scalar_one())

    def match_review_rows(self, job_id: str, row: int | None = None) -> list[dict[str, Any]]:
        """Every mark of the job (or of one row), oldest first."""
        query = select(match_reviews).where(match_reviews.c.job_id == job_id)
        if row is not None:
            query = query.where(match_reviews.c.row == row)
        return [dict(r) for r in self.conn.execute(query.order_by(match_reviews.c.id))
                .mappings()]

    # ------------------------------------------------------------ case secrets
    def insert_case_secret(self, case_id: int, secret_hash: str, at: str) -> None:
        self.conn.execute(insert(case_secrets).values(case_id=case_id,
                                                      secret_hash=secret_hash, created_at=at))

    def case_secret_hash(self, case_id: int) -> str | None:
        return self.conn.execute(select(case_secrets.c.secret_hash).where(
            case_secrets.c.case_id == case_id)).scalar_one_or_none()
