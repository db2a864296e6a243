"""Idempotency fingerprints survive a command gaining an optional field: a key stored before
a release and repeated after it still matches (``domain.shared.commands.fingerprint``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.shared.commands import Command, fingerprint


@dataclass(frozen=True)
class RenameV1(Command):
    action: ClassVar[str] = "renameThing"
    name: str
    note: str = ""


@dataclass(frozen=True)
class RenameV2(Command):
    """The same command a release later, with a new optional field."""

    action: ClassVar[str] = "renameThing"
    name: str
    note: str = ""
    code: str | None = None


KEY = b"k" * 32


def test_a_new_optional_field_left_unset_keeps_the_fingerprint() -> None:
    assert fingerprint(RenameV1("东门社区"), KEY) == fingerprint(RenameV2("东门社区"), KEY)


def test_every_value_given_still_counts() -> None:
    assert fingerprint(RenameV2("东门社区", code="320508"), KEY) != fingerprint(RenameV2("东门社区"), KEY)
    assert fingerprint(RenameV1("东门社区", note=""), KEY) != fingerprint(RenameV1("东门社区", note="x"), KEY)
    assert fingerprint(RenameV1("东门社区"), KEY) != fingerprint(RenameV1("西门社区"), KEY)
