"""The one exception tree of Vitalstat, with stable error codes.

Every error the package raises on purpose is a ``VitalstatError``. Each class carries a
stable ``code`` (documented in README "Error codes"); callers (CLI, later the web API)
map codes to exit statuses or HTTP statuses in exactly one place each.

    VitalstatError                      code
    ├── ConfigError                     config
    ├── ValidationError                 invalid
    │   ├── InvalidSSN                  invalid-ssn
    │   ├── InvalidDate                 invalid-date
    │   ├── InvalidName                 invalid-name
    │   ├── InputFileError              invalid-file   (names file, line, field)
    │   │   └── BadLinesError           bad-lines      (several InputFileErrors)
    │   ├── SignatureError              bad-signature  (a signature or key does not check)
    │   ├── ChecksumError               bad-checksum   (a file differs from its manifest)
    │   └── ProofError                  bad-proof      (an audit-log proof does not check)
    ├── RefusedError                    refused
    │   ├── AnonymousReportError        anonymous-report
    │   ├── UnregisteredSourceError     unregistered-source
    │   ├── SelfApprovalError           self-approval  (the two-person rule)
    │   ├── DisclosureRefused           disclosure-refused (every reason named)
    │   ├── RoleRequired                role-required  (the acting user lacks a role)
    │   └── ForbiddenError              forbidden      (the caller's role may not do this)
    ├── UnauthenticatedError            unauthenticated (no, unknown or revoked token)
    ├── NotFoundError                   not-found
    ├── ConflictError                   conflict
    │   └── IdempotencyKeyReused        idempotency-key-reused
    ├── StoreError                      store          (driver errors, translated)
    │   ├── StoreUnavailableError       store-unavailable
    │   ├── SchemaOutOfDateError        schema-out-of-date
    │   └── AppendOnlyViolation         append-only
    └── AuditLogError                   audit-log      (the stored audit log fails a check)

Domain errors carry no HTTP status and no stack-trace-worthy personal data: messages name
the file, line and field, never echo a full SSN of someone else's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AnonymousReportError",
    "AppendOnlyViolation",
    "AuditLogError",
    "BadLinesError",
    "ChecksumError",
    "ConfigError",
    "ConflictError",
    "DisclosureRefused",
    "ForbiddenError",
    "IdempotencyKeyReused",
    "InputFileError",
    "InvalidDate",
    "InvalidName",
    "InvalidSSN",
    "LineProblem",
    "NotFoundError",
    "ProofError",
    "RefusedError",
    "RoleRequired",
    "SchemaOutOfDateError",
    "SelfApprovalError",
    "SignatureError",
    "StoreError",
    "StoreUnavailableError",
    "UnauthenticatedError",
    "UnregisteredSourceError",
    "ValidationError",
    "VitalstatError",
]


class VitalstatError(Exception):
    """Base of every error Vitalstat raises on purpose."""

    code: str = "error"


class ConfigError(VitalstatError):
    code = "config"


class ValidationError(VitalstatError):
    """A value was rejected; ``field`` names it where known."""

    code = "invalid"

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason if field is None else f"{field}: {reason}")
        self.reason = reason
        self.field = field


class InvalidSSN(ValidationError):
    code = "invalid-ssn"


class InvalidDate(ValidationError):
    code = "invalid-date"


class InvalidName(ValidationError):
    code = "invalid-name"


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One rejected input line: where it is and what is wrong with it."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class InputFileError(ValidationError):
    """A problem in an input file, named by file, line and field."""

    code = "invalid-file"

    def __init__(self, problem: LineProblem) -> None:
        super().__init__(str(problem), field=problem.field)
        self.problem = problem


class BadLinesError(InputFileError):
    """A file had bad lines; nothing was loaded. ``problems`` lists them (first ones)."""

    code = "bad-lines"

    def __init__(self, problems: Sequence[LineProblem], total: int) -> None:
        super().__init__(problems[0])
        self.problems = list(problems)
        self.total = total
        shown = "\n".join(f"  {p}" for p in self.problems)
        more = f"\n  ... and {total - len(self.problems)} more" if total > len(problems) else ""
        self.args = (f"{total} bad line(s); nothing was loaded:\n{shown}{more}",)


class SignatureError(ValidationError):
    """A signature does not verify, or a key or signature file is malformed."""

    code = "bad-signature"


class ChecksumError(ValidationError):
    """A file's size, record count or SHA-256 differs from what its manifest says."""

    code = "bad-checksum"


class RefusedError(VitalstatError):
    """The registry refuses to do this on principle (not a malformed input)."""

    code = "refused"


class AnonymousReportError(RefusedError):
    code = "anonymous-report"


class UnregisteredSourceError(RefusedError):
    """Reports from a source nobody registered (``vitalstat source register``)."""

    code = "unregistered-source"


class SelfApprovalError(RefusedError):
    """The proposer of a two-person change tried to approve it too."""

    code = "self-approval"

class DisclosureRefused(RefusedError):
    """A disclosure request was refused (it is recorded as refused); ``reasons`` name
    every missing or wrong element."""

    code = "disclosure-refused"

    def __init__(self, number: str, reasons: Sequence[str]) -> None:
        self.number = number
        self.reasons = list(reasons)
        listed = "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(f"request {number} refused:\n{listed}")


class RoleRequired(RefusedError):
    """The acting user does not hold the role this needs (admin, privacy-officer)."""

    code = "role-required"


class NotFoundError(VitalstatError):
    code = "not-found"


class ConflictError(VitalstatError):
    code = "conflict"


class StoreError(VitalstatError):
    """A storage failure, translated from the driver's own exception."""

    code = "store"


class StoreUnavailableError(StoreError):
    code = "store-unavailable"


class SchemaOutOfDateError(StoreError):
    code = "schema-out-of-date"


class AppendOnlyViolation(StoreError):
    code = "append-only"


class ProofError(ValidationError):
    """An audit-log proof (or its checkpoint's signature) does not check."""

    code = "bad-proof"


class AuditLogError(VitalstatError):
    """The stored audit log fails a check: an entry or checkpoint was altered or removed.

    ``event_id`` names the first bad entry where one is known.
    """

    code = "audit-log"

    def __init__(self, message: str, *, event_id: int | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


class ForbiddenError(RefusedError):
    """The caller is known, but its role may not do this."""

    code = "forbidden"


class UnauthenticatedError(VitalstatError):
    """No API token, or one that is malformed, unknown or revoked."""

    code = "unauthenticated"


class IdempotencyKeyReused(ConflictError):
    """An ``Idempotency-Key`` already answered a request with another body."""

    code = "idempotency-key-reused"
