"""API schemas shared by several areas."""

from __future__ import annotations

from ninja import Field, Schema


class FitBadgeOut(Schema):
    """The account's fit group (K1) and its service policy, for whoever serves it."""

    group: int = Field(
        description="1 top, 2 customer wants / we are unsure, 3 we want / customer does not, 4 neither"
    )
    computed_group: int | None = Field(None, description="the group computed, before any override")
    name: str
    policy: str = Field(description="the service policy of the group, in words")
    override: bool = Field(
        description="staff placed the account by hand (with a reason, until a date)"
    )
    diagnosis: str | None = Field(
        None, description="groups 3 and 4: how we sell, or what we deliver"
    )
    url: str
