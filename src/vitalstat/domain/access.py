"""Who may do what over the API: roles, permissions and the one policy table. Pure.

Every API route names exactly one :class:`Permission`; :data:`POLICY` says which roles
hold it. A role not listed for a permission is refused (deny by default), and a route
that names no permission cannot be registered (``web.authz``). ``Permission.PUBLIC``
routes need no token at all.

A ``subscriber`` token speaks for one subscriber: what it reads is cut down to what that
subscriber may receive (``domain.policy``, the same decision as its deliveries), and it
sees only its own deliveries and match jobs. An ``agency`` token records disclosure
requests (it is their requester) and sees and collects the answers of its own only.
"""

from __future__ import annotations

import enum

__all__ = ["POLICY", "Permission", "Role", "allowed", "roles_for"]


class Role(enum.StrEnum):
    ADMIN = "admin"
    REGISTRAR = "registrar"
    CASEWORKER = "caseworker"
    APPROVER = "approver"
    PRIVACY_OFFICER = "privacy-officer"
    AUDITOR = "auditor"
    SUBSCRIBER = "subscriber"
    AGENCY = "agency"


class Permission(enum.StrEnum):
    PUBLIC = "public"
    REPORTS_INGEST = "reports:ingest"
    RECORDS_READ = "records:read"
    MATCH_RUN = "match:run"
    RELEASES_READ = "releases:read"
    RELEASES_BUILD = "releases:build"
    SUBSCRIBERS_READ = "subscribers:read"
    SUBSCRIBERS_MANAGE = "subscribers:manage"
    DELIVERIES_MAKE = "deliveries:make"
    DELIVERIES_READ = "deliveries:read"
    HOLDS_READ = "holds:read"
    HOLDS_DECIDE = "holds:decide"
    CASES_READ = "cases:read"
    CASES_MANAGE = "cases:manage"
    CASES_APPROVE = "cases:approve"
    STATS_READ = "stats:read"
    SOURCES_READ = "sources:read"
    SOURCES_MANAGE = "sources:manage"
    DISCLOSURES_REQUEST = "disclosures:request"
    DISCLOSURES_READ = "disclosures:read"
    DISCLOSURES_DECIDE = "disclosures:decide"
    DISCLOSURES_ANSWER = "disclosures:answer"
    BASES_READ = "bases:read"
    BASES_MANAGE = "bases:manage"
    ACCOUNTING_READ = "accounting:read"
    AUDIT_READ = "audit:read"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    AGREEMENTS_RECORD = "agreements:record"
    ACCOUNTING_PURGE = "accounting:purge"


_R = Role
#: The one policy table: permission -> the roles that hold it.
POLICY: dict[Permission, frozenset[Role]] = {
    Permission.PUBLIC: frozenset(Role),
    Permission.REPORTS_INGEST: frozenset({_R.ADMIN, _R.REGISTRAR}),
    Permission.RECORDS_READ: frozenset({_R.ADMIN, _R.REGISTRAR, _R.CASEWORKER, _R.APPROVER,
                                        _R.PRIVACY_OFFICER, _R.AUDITOR, _R.SUBSCRIBER}),
    Permission.MATCH_RUN: frozenset({_R.ADMIN, _R.CASEWORKER, _R.SUBSCRIBER}),
    Permission.RELEASES_READ: frozenset({_R.ADMIN, _R.REGISTRAR, _R.AUDITOR}),
    Permission.RELEASES_BUILD: frozenset({_R.ADMIN, _R.REGISTRAR}),
    Permission.SUBSCRIBERS_READ: frozenset({_R.ADMIN, _R.AUDITOR}),
    Permission.SUBSCRIBERS_MANAGE: frozenset({_R.ADMIN}),
    Permission.DELIVERIES_MAKE: frozenset({_R.ADMIN, _R.REGISTRAR}),
    Permission.DELIVERIES_READ: frozenset({_R.ADMIN, _R.AUDITOR, _R.SUBSCRIBER}),
    Permission.HOLDS_READ: frozenset({_R.ADMIN, _R.REGISTRAR, _R.CASEWORKER, _R.APPROVER,
                                      _R.AUDITOR}),
    Permission.HOLDS_DECIDE: frozenset({_R.ADMIN, _R.CASEWORKER, _R.APPROVER}),
    Permission.CASES_READ: frozenset({_R.ADMIN, _R.CASEWORKER, _R.APPROVER,
                                      _R.PRIVACY_OFFICER, _R.AUDITOR}),
    Permission.CASES_MANAGE: frozenset({_R.ADMIN, _R.CASEWORKER}),
    Permission.CASES_APPROVE: frozenset({_R.ADMIN, _R.APPROVER}),
    Permission.STATS_READ: frozenset({_R.ADMIN, _R.REGISTRAR, _R.AUDITOR}),
    Permission.SOURCES_READ: frozenset({_R.ADMIN, _R.REGISTRAR, _R.AUDITOR}),
    Permission.SOURCES_MANAGE: frozenset({_R.ADMIN, _R.REGISTRAR}),
    # an agency token records requests and collects their answers, its own only
    Permission.DISCLOSURES_REQUEST: frozenset({_R.ADMIN, _R.AGENCY}),
    Permission.DISCLOSURES_READ: frozenset({_R.ADMIN, _R.APPROVER, _R.PRIVACY_OFFICER,
                                            _R.AUDITOR, _R.AGENCY}),
    Permission.DISCLOSURES_DECIDE: frozenset({_R.ADMIN, _R.APPROVER, _R.PRIVACY_OFFICER}),
    Permission.DISCLOSURES_ANSWER: frozenset({_R.ADMIN, _R.AGENCY}),
    Permission.BASES_READ: frozenset({_R.ADMIN, _R.APPROVER, _R.PRIVACY_OFFICER, _R.AUDITOR,
                                      _R.AGENCY}),
    Permission.BASES_MANAGE: frozenset({_R.ADMIN}),
    Permission.ACCOUNTING_READ: frozenset({_R.ADMIN, _R.PRIVACY_OFFICER, _R.AUDITOR}),
    Permission.AUDIT_READ: frozenset({_R.ADMIN, _R.AUDITOR}),
    Permission.AUDIT_CHECKPOINT: frozenset({_R.ADMIN, _R.AUDITOR}),
    Permission.AGREEMENTS_RECORD: frozenset({_R.ADMIN, _R.PRIVACY_OFFICER}),
    Permission.ACCOUNTING_PURGE: frozenset({_R.ADMIN}),
}


def roles_for(permission: Permission) -> frozenset[Role]:
    """The roles holding ``permission`` (none for a permission missing from the table)."""
    return POLICY.get(permission, frozenset())


def allowed(role: Role, permission: Permission) -> bool:
    return role in roles_for(permission)
