"""The versions of Rasa and Sanic whose internals bot.server.patches changes, checked before
anything of theirs is imported: on another version a patched internal may be missing (an
import error that names neither version) or may have changed without any error at all."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version

from bot.errors import UnsupportedVersionError

# The versions the patches were written for and tested with.
PATCHED_VERSIONS = {"rasa": "3.6.21", "sanic": "21.12.2"}


def installed_versions() -> dict[str, str]:
    return {name: version(name) for name in PATCHED_VERSIONS}


def check_versions(found: Mapping[str, str]) -> None:
    """Raises UnsupportedVersionError unless every package has the version patched."""
    wrong = [f"{name} {found.get(name)} (patched: {patched})" for name, patched in PATCHED_VERSIONS.items()
             if found.get(name) != patched]
    if wrong:
        raise UnsupportedVersionError(
            f"bot/server/patches.py changes internals of "
            f"{', '.join(f'{name} {patched}' for name, patched in PATCHED_VERSIONS.items())}; installed: "
            f"{', '.join(wrong)}. Install the versions of requirements.lock, or check each patch against the new "
            "version.")
