"""Who may call what: the role × endpoint matrix, one table for every page and API operation.

Roles (columns):

- ``A`` anonymous — nobody signed in;
- ``P`` portal — a customer portal user (a person in no team);
- ``M`` team member — a person in a provider team;
- ``S`` staff;
- ``R`` token read-only — a *staff* user's read-only API token (no session);
- ``W`` token read-write — a *staff* user's read-write API token (no session).

A token never has more rights than its user (a portal user's token reaches only what ``P``
reaches); tokens authenticate the API only, so on pages ``R`` and ``W`` are what ``A`` is.

Each entry is the set of roles **allowed**; the others are refused (401/403, a redirect to the
login page, portal users sent to the portal, or 404 for another organization's objects).
``tests/security/test_access.py`` walks the whole URL resolver and every API operation: it fails
when one is missing here, and checks each cell against what the server does. docs/security.md
shows the table (``clientmap.access.markdown()``; a test keeps the two identical).
"""

from __future__ import annotations

ROLES = {
    "A": "anonymous",
    "P": "portal",
    "M": "team member",
    "S": "staff",
    "R": "token read-only",
    "W": "token read-write",
}

# Web pages: URL name → (method the matrix test uses, roles allowed).
PAGES: dict[str, tuple[str, str]] = {
    "set_language": ("POST", "APMSRW"),
    "login": ("GET", "APMSRW"),
    # sign-in with the organization's identity provider (404 for all while not configured)
    "oidc_authentication_init": ("GET", "APMSRW"),
    "oidc_authentication_callback": ("GET", "APMSRW"),
    "logout": ("POST", "PMS"),
    "home": ("GET", "MS"),
    "api_tokens": ("GET", "PMS"),
    "inbox": ("GET", "PMS"),
    "inbox_count": ("GET", "PMS"),
    "pick": ("GET", "MS"),
    "audit": ("GET", "S"),
    "admin:*": ("GET", "S"),
    "directory:organizations": ("GET", "MS"),
    "directory:organization": ("GET", "MS"),
    "customers:teams": ("GET", "MS"),
    "customers:team": ("GET", "MS"),
    "customers:evidence": ("GET", "MS"),
    "customers:people": ("GET", "MS"),
    "customers:person": ("GET", "MS"),
    "imports:index": ("GET", "S"),
    "imports:job": ("GET", "S"),
    "imports:retry": ("POST", "S"),
    "healthz": ("GET", "APMSRW"),  # the load balancer's health check: no data
    "valuechain:map": ("GET", "MS"),
    "valuechain:team": ("GET", "MS"),
    "valuechain:team_flow": ("GET", "MS"),
    "valuechain:service": ("GET", "MS"),
    "valuechain:tell": ("POST", "S"),
    "valuechain:unreached": ("GET", "MS"),
    "valuechain:alerts": ("GET", "MS"),
    "valuechain:cycles": ("GET", "MS"),
    "voice:portal": ("GET", "PMS"),
    "voice:similar": ("GET", "PMS"),
    "voice:submit": ("POST", "PMS"),
    "voice:coverage": ("GET", "MS"),
    "voice:attest": ("GET", "APMSRW"),  # the signed one-use link is the permission
    "voice:wish": ("GET", "PMS"),
    "voice:vote": ("POST", "PMS"),
    "voice:comment": ("POST", "PMS"),
    "voice:triage": ("POST", "S"),
    "engagements:requests": ("GET", "MS"),
    "fit:matrix": ("GET", "MS"),
    "fit:moves": ("GET", "MS"),
    "fit:history": ("GET", "MS"),
    "fit:account": ("GET", "MS"),
    "fit:settings": ("GET", "S"),
    "fit:recompute": ("POST", "S"),
    "fit:override": ("POST", "S"),
    "fit:clear_override": ("POST", "S"),
    "experience:satisfaction": ("GET", "MS"),
    "experience:team": ("GET", "MS"),
    "experience:journey": ("GET", "MS"),
    "experience:never_asked": ("GET", "MS"),
    "experience:survey_people": ("POST", "S"),
    "experience:surveys": ("GET", "S"),
    "experience:survey_links": ("GET", "S"),
    "experience:record": ("GET", "S"),
    "experience:survey": ("GET", "APMSRW"),  # the signed survey link is the permission
}

# API operations: "METHOD /api/path" (as in the OpenAPI schema) → roles allowed.
API: dict[str, str] = {
    "GET /api/openapi.json": "APMSRW",  # the schema and the docs are public
    "GET /api/docs": "APMSRW",
    "GET /api/directory/organizations": "MSRW",
    "GET /api/directory/organizations/{key}": "MSRW",
    "GET /api/directory/units": "MSRW",
    "GET /api/directory/units/{key}": "MSRW",
    "GET /api/directory/people": "MSRW",
    "GET /api/directory/people/{key}": "MSRW",
    "GET /api/directory/teams": "MSRW",
    "GET /api/directory/teams/{key}": "MSRW",
    "GET /api/customers/teams/{team_key}/customers": "MSRW",
    "GET /api/customers/teams/{team_key}/customers/{person_key}/evidence": "MSRW",
    "GET /api/customers/people/{person_key}": "MSRW",
    "POST /api/customers/recompute": "SW",
    "GET /api/imports/formats": "SRW",
    "POST /api/imports/jobs": "SW",
    "GET /api/imports/jobs": "SRW",
    "GET /api/imports/jobs/{job_id}": "SRW",
    "GET /api/valuechain/teams/{key}/reach": "MSRW",
    "GET /api/valuechain/services/{key}/impact": "MSRW",
    "GET /api/valuechain/teams/{key}/lens": "MSRW",
    "GET /api/valuechain/cycles": "MSRW",
    "GET /api/valuechain/isolated-services": "MSRW",
    "GET /api/valuechain/teams-without-paying-customers": "MSRW",
    "POST /api/valuechain/alerts/rank": "MSW",
    "GET /api/voice/wishes": "PMSRW",
    "POST /api/voice/wishes": "PMSW",
    "GET /api/voice/wishes/{key}": "PMSRW",
    "POST /api/voice/wishes/{key}/vote": "PMSW",
    "DELETE /api/voice/wishes/{key}/vote": "PMSW",
    "GET /api/voice/similar": "PMSRW",
    "POST /api/voice/wishes/{key}/status": "SW",
    "POST /api/voice/wishes/{key}/merge": "SW",
    "POST /api/voice/wishes/{key}/cover": "SW",
    "GET /api/voice/coverage": "MSRW",
    "GET /api/fit/accounts": "MSRW",
    "GET /api/fit/accounts/{key}": "MSRW",
    "POST /api/fit/overrides/{key}": "SW",
    "DELETE /api/fit/overrides/{key}": "SW",
    "GET /api/fit/history": "MSRW",
    "GET /api/fit/moves": "MSRW",
    "POST /api/fit/recompute": "SW",
    "GET /api/fit/settings": "MSRW",
    "PUT /api/fit/settings": "SW",
    "GET /api/experience/satisfaction": "MSRW",
    "GET /api/experience/teams/{key}/value-chain": "MSRW",
    "GET /api/experience/never-asked": "MSRW",
    "GET /api/experience/answers": "MSRW",
    "GET /api/experience/people/{key}/journey": "MSRW",
    "POST /api/experience/touchpoints": "SW",
    "POST /api/experience/surveys/send": "SW",
    "POST /api/experience/surveys/remind": "SW",
}

# URL patterns that are not endpoints of their own (ninja's root, served by the operations).
NOT_ENDPOINTS = {"api:api-root"}


def markdown() -> str:
    """The matrix as a Markdown table (what docs/security.md shows)."""
    head = "| endpoint | " + " | ".join(ROLES.values()) + " |"
    rule = "|---|" + "---|" * len(ROLES)
    lines = [head, rule]

    def row(name: str, allowed: str) -> str:
        return f"| `{name}` | " + " | ".join("✓" if r in allowed else "—" for r in ROLES) + " |"

    for name, (method, allowed) in PAGES.items():
        lines.append(row(f"{method} {name}", allowed))
    for name, allowed in API.items():
        lines.append(row(name, allowed))
    return "\n".join(lines)
