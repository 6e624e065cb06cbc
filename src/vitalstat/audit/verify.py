"""Stand-alone proof checker: ``python -m vitalstat.audit.verify PROOF.json --key release.pub``.

Needs only this package's pure modules and ``cryptography``, no registry: a subscriber,
auditor or journalist checks a proof the registry handed out (``vitalstat audit
prove-inclusion`` / ``prove-consistency``) against the registry's published public key
(``release.pub``, minisign format), optionally pinned to a checkpoint they already hold
(``--checkpoint release-000003/checkpoint.json``). Prints ``ok: ...`` and exits 0, or
``error [bad-proof]: ...`` and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from vitalstat.audit.checkpoint import SignedCheckpoint
from vitalstat.audit.proofs import check_proof
from vitalstat.errors import ProofError, VitalstatError
from vitalstat.formats import minisign

__all__ = ["check_files", "main"]


def check_files(proof: Path, keys: Sequence[Path], checkpoint: Path | None = None) -> str:
    """Check the proof file against the public key files; returns the summary line."""
    trusted: dict[str, bytes] = {}
    for key in keys:
        pub = minisign.parse_public_key(key.read_text(encoding="ascii"), source=str(key))
        trusted[pub.key_id_hex] = pub.raw
    try:
        doc = json.loads(proof.read_text(encoding="utf-8"))
        pinned = (SignedCheckpoint.from_json(json.loads(checkpoint.read_text(
            encoding="utf-8")), source=str(checkpoint)) if checkpoint else None)
    except ValueError as exc:
        raise ProofError(f"not JSON: {exc}", field="file") from None
    return check_proof(doc, trusted, pinned)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vitalstat.audit.verify",
                                     description="Check a Vitalstat audit-log proof.")
    parser.add_argument("proof", type=Path, help="proof JSON file")
    parser.add_argument("--key", type=Path, action="append", required=True,
                        help="trusted minisign public key file (repeatable)")
    parser.add_argument("--checkpoint", type=Path,
                        help="a checkpoint.json you already trust (e.g. from a release)")
    args = parser.parse_args(argv)
    try:
        print(check_files(args.proof, args.key, args.checkpoint))
    except (VitalstatError, OSError) as exc:
        code = getattr(exc, "code", "not-found")
        print(f"error [{code}]: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
