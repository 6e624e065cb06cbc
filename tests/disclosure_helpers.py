"""Test helper: a complete, valid disclosure request (synthetic agency and subject)."""

from __future__ import annotations

from typing import Any


def disclosure_request(basis: str, **changes: Any) -> dict[str, Any]:
    """A request under ``basis`` for Ann Smith's record, with ``changes`` applied."""
    data: dict[str, Any] = {
        "agency": "Office of the Inspector General",
        "agency_address": "1 Example Plaza, Washington, DC 20500",
        "signer": "Dana Reyes", "signer_rank": "section-chief", "basis": basis,
        "purpose": "benefit fraud case 2026-017",
        "relevance": "benefits were collected after the subject's death",
        "letter_reference": "OIG-2026-017-L1", "fields": ["name", "date_of_death", "status"],
        "subjects": [{"ssn": "123-45-6789", "first_name": "Ann", "last_name": "Smith",
                      "date_of_birth": "1950-04-11"}]}
    data.update(changes)
    return data
