"""The carrier platforms, by the communicator type's kind. Adding a platform is one folder under
``carriers/`` that implements ``carriers.platform`` and one entry here."""

from __future__ import annotations

from carriers import control_center_rest, control_center_soap, emnify, supersim
from carriers.platform import Platform

PLATFORMS: dict[str, Platform] = {
    platform.kind: platform
    for platform in (
        control_center_rest.PLATFORM,
        control_center_soap.PLATFORM,
        emnify.PLATFORM,
        supersim.PLATFORM,
        supersim.OAUTH2_PLATFORM,
    )
}


def platform(kind: str) -> Platform:
    """The platform of communicator type kind ``kind``; ValueError naming the known ones if unknown."""
    try:
        return PLATFORMS[kind]
    except KeyError:
        raise ValueError(f"unknown carrier platform {kind!r}; known: {', '.join(kinds())}") from None


def kinds() -> list[str]:
    """Every registered kind, sorted."""
    return sorted(PLATFORMS)
