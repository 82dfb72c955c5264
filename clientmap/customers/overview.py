"""The first screen's figures for the whole organization."""

from __future__ import annotations


def organization_overview() -> dict:
    return {}
