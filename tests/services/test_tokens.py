"""API tokens and idempotency keys on both backends, and the API's pure helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.access import POLICY, Permission, Role, allowed
from vitalstat.errors import (
    IdempotencyKeyReused,
    NotFoundError,
    UnauthenticatedError,
    ValidationError,
)
from vitalstat.services.idempotency import remember, replay, request_digest
from vitalstat.services.subscribers import add_subscriber
from vitalstat.services.tokens import TokenVerifier, create_token, list_tokens, revoke_token
from vitalstat.store import Store
from vitalstat.web.errors import mask


def test_tokens_are_shown_once_stored_hashed_and_revocable(store: Store) -> None:
    secret, info = create_token(store, "alice", role="caseworker", actor="root")
    assert secret.startswith(f"vs_{info.id}_")
    with store.transaction(write=False) as tx:
        row = tx.token_row(info.id)
        kinds = [e["kind"] for e in tx.events(subject=f"token:{info.id}")]
    assert row is not None and secret.split("_", 2)[2] not in row["secret_hash"]
    assert row["secret_hash"].startswith("$argon2id$")
    assert kinds == ["token.created"]
    verifier = TokenVerifier(store)
    who = verifier.authenticate(secret)
    assert (who.name, who.role, who.subscriber) == ("alice", Role.CASEWORKER, None)
    assert verifier.authenticate(secret) == who  # cached: same answer
    revoke_token(store, info.id, actor="root")
    with pytest.raises(UnauthenticatedError):
        verifier.authenticate(secret)  # the cache never outlives a revocation
    assert [t.revoked_at is not None for t in list_tokens(store)] == [True]
    with pytest.raises(NotFoundError):
        revoke_token(store, "000000000000", actor="root")


def test_subscriber_tokens_are_bound_to_an_existing_subscriber(store: Store) -> None:
    with pytest.raises(ValidationError, match="subscriber"):
        create_token(store, "bank-app", role="subscriber", actor="root")
    with pytest.raises(ValidationError, match="subscriber"):
        create_token(store, "bob", role="admin", subscriber="x", actor="root")
    with pytest.raises(NotFoundError):
        create_token(store, "bank-app", role="subscriber", subscriber="nobody", actor="root")
    with pytest.raises(ValidationError, match="role"):
        create_token(store, "eve", role="superuser", actor="root")
    add_subscriber(store, "bank", tier="open", actor="root")
    secret, _ = create_token(store, "bank-app", role="subscriber", subscriber="bank",
                             actor="root")
    assert TokenVerifier(store).authenticate(secret).subscriber == "bank"


def test_idempotency_keys_replay_and_refuse_another_request(store: Store) -> None:
    digest = request_digest("POST /x", "body-1")
    assert replay(store, "alice", "k", digest) is None
    assert remember(store, "alice", "k", digest, 201, {"a": 1}) == (201, {"a": 1})
    assert replay(store, "alice", "k", digest) == (201, {"a": 1})
    # a racing twin stored the same answer first: its answer wins, no error
    assert remember(store, "alice", "k", digest, 201, {"a": 2}) == (201, {"a": 1})
    with pytest.raises(IdempotencyKeyReused):
        replay(store, "alice", "k", request_digest("POST /x", "body-2"))
    assert replay(store, "bob", "k", request_digest("POST /x", "body-2")) is None
    with pytest.raises(ValidationError):
        replay(store, "alice", "", digest)


@given(st.lists(st.binary(max_size=8), max_size=4), st.lists(st.binary(max_size=8),
                                                             max_size=4))
def test_request_digest_tells_part_boundaries_apart(a: list[bytes], b: list[bytes]) -> None:
    assert (request_digest(*a) == request_digest(*b)) == (a == b)


def _valid_ssn() -> st.SearchStrategy[str]:
    area = st.integers(1, 899).filter(lambda n: n != 666)
    return st.builds(lambda a, g, s: f"{a:03d}{g:02d}{s:04d}", area, st.integers(1, 99),
                     st.integers(1, 9999))


@given(_valid_ssn(), st.sampled_from(["", "-", " "]), st.text(alphabet="abc :,", max_size=10),
       st.text(alphabet="abc :,", max_size=10))
def test_error_messages_never_carry_an_ssn(ssn: str, sep: str, before: str,
                                           after: str) -> None:
    shown = f"{ssn[:3]}{sep}{ssn[3:5]}{sep}{ssn[5:]}"
    assert mask(f"{before}{shown}{after}") == f"{before}[SSN]{after}"
    assert mask(f"case C-000001, line 2{before}") == f"case C-000001, line 2{before}"


@given(st.sampled_from(list(Role)), st.sampled_from(list(Permission)))
def test_allowed_is_exactly_the_policy_table(role: Role, perm: Permission) -> None:
    assert allowed(role, perm) == (role in POLICY[perm])
    if perm is Permission.PUBLIC:
        assert allowed(role, perm)
