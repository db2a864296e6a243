"""Personal data in the log: which payload values are sealed, and which events erase them.

The privacy policy (``domain.shared.privacy.PERSONAL_FIELDS``) names the personal
fields; this module walks a payload to find their values (at any depth, as the policy
says) and keeps the list of erasure events. The encryption itself is infrastructure
(``eventstore.personal_keys``): the domain decides *what* is personal and *when* it is
erased, never how or with which key.

- **Sealed at the boundary**: the event store replaces every non-null value of a
  personal field with a sealed envelope on append, and opens it on read; aggregates,
  projections and readers see plaintext, the stored row (and so the Merkle leaf, the
  event proof and the evidence file) only ciphertext.
- **Erased**: an event type declared with ``declare_erasure`` destroys the keys of its
  stream in the same transaction that appends it. From then on every personal field
  of that stream reads as ``ERASED`` (``None``) everywhere, whether it was sealed or
  was written in plaintext before sealing existed (such old rows cannot be shredded:
  they are blanked on read, while the stored text stays as it was).

Pure: no I/O, no infrastructure imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from domain.shared.privacy import is_personal

ERASED: Final = None
"""How an erased personal value reads: ``null``, like a phone never given. Whether a
member's data was erased is told separately (``Member.personal_data_erased``, GraphQL
``Member.personalDataErasedAt``), never by a marker inside the value."""

_ERASURES: set[str] = set()


def declare_erasure(event_type: str) -> None:
    """``event_type`` (e.g. ``Member.PersonalDataErased``) destroys its stream's
    personal-data keys when it is appended. Areas declare their erasure events when
    their aggregate module is imported."""
    _ERASURES.add(event_type)


def erases(event_type: str) -> bool:
    """Whether appending an event of this type erases its stream's personal data."""
    return event_type in _ERASURES


def map_personal(value: Any, fn: Callable[[str, Any], Any]) -> Any:
    """A copy of ``value`` (a payload or any JSON value) with every personal field's value
    ``v`` under key ``k`` replaced by ``fn(k, v)``, at any depth; the value of a personal
    field is handed over whole (a list or an object is not walked into). Anything that is
    not personal is kept as it is (shared, not copied)."""
    if isinstance(value, Mapping):
        return {k: (fn(k, v) if is_personal(k) else map_personal(v, fn)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_personal(v, fn) for v in value]
    return value


def has_personal(value: Any, test: Callable[[Any], bool] = lambda v: v is not None) -> bool:
    """Whether any personal field in ``value`` (at any depth) holds a value passing ``test``
    (by default: any value that is not null)."""
    if isinstance(value, Mapping):
        return any(test(v) if is_personal(k) else has_personal(v, test) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_personal(v, test) for v in value)
    return False
