"""Tamper evidence, the pure part: the canonical event encoding and signed checkpoints.

No database here; ``eventstore/integrity/store.py`` holds the SQL twin of the encoding,
and a test checks that both produce the same bytes for awkward events.

**Canonical event encoding, version 1** (what a leaf hashes). The UTF-8 bytes of a JSON
array, written the way PostgreSQL prints ``jsonb``, of every stored column in this order::

    [1, position, "stream_id", "stream_type", version, "event_id", "event_type",
     schema_version, payload, "recorded_at", "actor", ["role", ...],
     "correlation_id" | null, "causation_id" | null, "command_id" | null, "reason" | null]

- The leading ``1`` is the encoding version. Separators are ``", "`` and ``": "``, no
  other white space. Integers in decimal; uuids lowercase with hyphens.
- ``recorded_at`` in UTC with exactly six fractional digits: ``2026-03-01T08:00:00.000000Z``.
- ``payload`` as PostgreSQL's ``jsonb`` text: object keys sorted by their UTF-8 length,
  then bytewise (jsonb's order; duplicate keys keep the last); numbers in plain decimal
  notation keeping the stored scale (``1.10`` stays ``1.10``, ``1e2`` is ``100``, ``-0`` is
  ``0``); strings escape ``"`` ``\\`` ``\\b \\f \\n \\r \\t`` and other characters below U+0020
  as ``\\u00xx`` (lowercase hex), everything else is literal UTF-8.

**Append encoding, version 1** (what an append authenticator covers,
``eventstore/integrity/authenticators.py``): the same rules, over the columns the
application supplies, without ``position`` and ``recorded_at`` (PostgreSQL assigns them
inside the append, after the authenticator is made; the Merkle tree covers them once the
event is sealed)::

    ["grassroots-append", 1, "stream_id", "stream_type", version, "event_id", "event_type",
     schema_version, payload, "actor", ["role", ...],
     "correlation_id" | null, "causation_id" | null, "command_id" | null, "reason" | null]

``payload`` is the stored one (personal data sealed), in its ``jsonb`` text: what the
application computes from the value it sends is what PostgreSQL prints back.

The leaf is ``SHA-256(0x00 || bytes)`` (RFC 6962), see ``eventstore/merkle.py``. A
verifier that reads JSON must keep decimal numbers exact: parse them as decimals
(``json.loads(..., parse_float=Decimal)``), as ``parse_json`` here does.

**Checkpoints** sign, with Ed25519, the UTF-8 text of ``checkpoint_text``::

    grassroots-ledger checkpoint v1
    tree_size 1234
    root_hash <64 hex digits>
    last_position 1240
    signed_at 2026-03-01T08:00:00.000000Z
    key_id <16 hex digits>

(each line ending in ``\\n``). ``key_id`` is the first 8 bytes of SHA-256 over the raw
32-byte public key, in hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eventstore.integrity.merkle import leaf_hash

ENCODING_VERSION = 1
CHECKPOINT_HEADER = "grassroots-ledger checkpoint v1"
COLUMNS = (
    "position",
    "stream_id",
    "stream_type",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "payload",
    "recorded_at",
    "actor",
    "actor_roles",
    "correlation_id",
    "causation_id",
    "command_id",
    "reason",
)
"""Every stored column of ``events``, in canonical order."""


class EncodingError(ValueError):
    """A value cannot be encoded canonically (it could never have been stored)."""


# -- jsonb text -------------------------------------------------------------------------


# What json.dumps(..., ensure_ascii=False) escapes strings with (the C version): exactly
# what PostgreSQL's escape_json escapes.
_string: Callable[[str], str] = encode_basestring


def _number(d: Decimal) -> str:
    if not d.is_finite():
        raise EncodingError(f"{d} is not a JSON number")
    if d.is_zero():
        d = abs(d)  # numeric has no negative zero
    return format(d, "f")


def _key_order(key: str) -> tuple[int, str]:
    # jsonb orders keys by their UTF-8 length, then bytewise; UTF-8 keeps code point
    # order, so the text itself compares the same way (and ASCII needs no encoding).
    return (len(key) if key.isascii() else len(key.encode("utf-8"))), key


def _object(value: Mapping[str, Any]) -> str:
    if not value:
        return "{}"
    keys = sorted(value, key=_key_order)
    return "{" + ", ".join([f"{_string(k)}: {jsonb_text(value[k])}" for k in keys]) + "}"


def jsonb_text(value: Any) -> str:
    """``value`` as PostgreSQL prints it as ``jsonb`` (see the module docstring).

    On the append path for every event (``authenticators``): the common exact types
    are dispatched first, without an ``isinstance`` chain."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is dict:
        return _object(value)
    if kind is int:
        return str(value)
    if kind is list or kind is tuple:
        return "[" + ", ".join([jsonb_text(v) for v in value]) + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, float):
        # Lossy: 1.10 read as a float prints 1.1. Parse with parse_json to stay exact.
        return _number(Decimal(repr(value)))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return _object(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join([jsonb_text(v) for v in value]) + "]"
    raise EncodingError(f"cannot encode {type(value).__name__} as JSON")


def _no_constants(name: str) -> Any:
    raise EncodingError(f"{name} is not a JSON number")


def parse_json(text: str) -> Any:
    """Parse JSON keeping decimal numbers exact (the way jsonb stores them)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constants)


# -- events -----------------------------------------------------------------------------


def timestamp_text(value: datetime | str) -> str:
    """A timestamp in canonical form: UTC, microseconds, ``Z``."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if dt.tzinfo is None:
        raise EncodingError(f"timestamp {value!r} has no time zone")
    u = dt.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond:06d}Z"
    )


def _uuid(value: UUID | str | None) -> str:
    if value is None:
        return "null"
    return f'"{value if isinstance(value, UUID) else UUID(str(value))}"'


def _opt(value: str | None) -> str:
    return "null" if value is None else _string(value)


def canonical_text(event: Mapping[str, Any]) -> str:
    """The canonical encoding (version 1) of an event given by column name.

    ``payload`` is a JSON value (decimals exact), ``recorded_at`` a zone-aware datetime or
    ISO-8601 text, uuids as ``UUID`` or text. Raises ``EncodingError`` on impossible values.
    """
    try:
        parts = [
            str(ENCODING_VERSION),
            str(int(event["position"])),
            _uuid(event["stream_id"]),
            _string(event["stream_type"]),
            str(int(event["version"])),
            _uuid(event["event_id"]),
            _string(event["event_type"]),
            str(int(event["schema_version"])),
            jsonb_text(event["payload"]),
            _string(timestamp_text(event["recorded_at"])),
            _string(event["actor"]),
            jsonb_text(list(event["actor_roles"])),
            _uuid(event["correlation_id"]),
            _uuid(event["causation_id"]),
            _opt(event["command_id"]),
            _opt(event["reason"]),
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise EncodingError(f"cannot encode event: {exc}") from exc
    return "[" + ", ".join(parts) + "]"


APPEND_TAG = "grassroots-append"
"""First element of the append encoding: it can never be mistaken for a leaf's text."""


def append_metadata_text(
    actor: str,
    actor_roles: Sequence[str],
    correlation_id: UUID | str | None,
    causation_id: UUID | str | None,
    command_id: str | None,
    reason: str | None,
) -> str:
    """The append encoding's tail: the metadata one command's events share (computed once
    per append, not per event)."""
    return ", ".join(
        (
            _string(actor),
            jsonb_text(list(actor_roles)),
            _uuid(correlation_id),
            _uuid(causation_id),
            _opt(command_id),
            _opt(reason),
        )
    )


def append_event_text(
    stream_id: UUID | str,
    stream_type: str,
    version: int,
    event_id: UUID | str,
    event_type: str,
    schema_version: int,
    payload: Any,
    metadata_text: str,
) -> str:
    """The append encoding (version 1) of one event, given its command's
    ``append_metadata_text``. Raises ``EncodingError`` on values jsonb could not hold."""
    try:
        return (
            f'["{APPEND_TAG}", 1, {_uuid(stream_id)}, {_string(stream_type)}, {int(version)}, '
            f"{_uuid(event_id)}, {_string(event_type)}, {int(schema_version)}, "
            f"{jsonb_text(payload)}, {metadata_text}]"
        )
    except (AttributeError, TypeError, ValueError) as exc:
        if isinstance(exc, EncodingError):
            raise
        raise EncodingError(f"cannot encode event: {exc}") from exc


def append_text(event: Mapping[str, Any]) -> str:
    """The append encoding of an event given by column name (as ``canonical_text``)."""
    try:
        tail = append_metadata_text(
            event["actor"],
            event["actor_roles"],
            event["correlation_id"],
            event["causation_id"],
            event["command_id"],
            event["reason"],
        )
        return append_event_text(
            event["stream_id"],
            event["stream_type"],
            event["version"],
            event["event_id"],
            event["event_type"],
            event["schema_version"],
            event["payload"],
            tail,
        )
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        if isinstance(exc, EncodingError):
            raise
        raise EncodingError(f"cannot encode event: {exc}") from exc


def event_leaf(event: Mapping[str, Any]) -> bytes:
    """The RFC 6962 leaf hash of an event."""
    try:
        data = canonical_text(event).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: jsonb could not hold it
        raise EncodingError(str(exc)) from exc
    return leaf_hash(data)


# -- keys and checkpoints ---------------------------------------------------------------


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).digest()[:8].hex()


def load_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or a base64 / hex 32-byte seed."""
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 private key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(data.strip(), "private"))


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo) or base64 / hex raw bytes."""
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw32(data.strip(), "public"))


def _raw32(data: bytes, kind: str) -> bytes:
    decoders = (
        lambda d: bytes.fromhex(d.decode("ascii")),
        base64.b64decode,
        base64.urlsafe_b64decode,
    )
    for decode in decoders:
        try:
            raw = decode(data)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    raise ValueError(f"expected a PEM, base64 or hex Ed25519 {kind} key of 32 bytes")


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def checkpoint_text(
    tree_size: int, root_hash: bytes, last_position: int, signed_at: datetime, signer_key_id: str
) -> str:
    """The exact text a checkpoint's signature covers."""
    return (
        f"{CHECKPOINT_HEADER}\ntree_size {tree_size}\nroot_hash {root_hash.hex()}\n"
        f"last_position {last_position}\nsigned_at {timestamp_text(signed_at)}\n"
        f"key_id {signer_key_id}\n"
    )


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the first ``tree_size`` events hash to ``root_hash``."""

    tree_size: int
    root_hash: bytes
    last_position: int
    signed_at: datetime
    key_id: str
    public_key: bytes
    signature: bytes
    id: int | None = None
    origin: str = "on_demand"
    requested_by: str | None = None

    @property
    def text(self) -> str:
        return checkpoint_text(
            self.tree_size, self.root_hash, self.last_position, self.signed_at, self.key_id
        )

    def signed_by(self, public: Ed25519PublicKey) -> bool:
        """Whether ``public`` (not the key the row claims) signed this checkpoint."""
        if self.key_id != key_id(raw_public_key(public)):
            return False
        try:
            public.verify(self.signature, self.text.encode())
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "treeSize": self.tree_size,
            "rootHash": self.root_hash.hex(),
            "lastPosition": self.last_position,
            "signedAt": timestamp_text(self.signed_at),
            "keyId": self.key_id,
            "publicKey": base64.b64encode(self.public_key).decode(),
            "signature": base64.b64encode(self.signature).decode(),
            "origin": self.origin,
            "signedText": self.text,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(
            tree_size=int(data["treeSize"]),
            root_hash=bytes.fromhex(data["rootHash"]),
            last_position=int(data["lastPosition"]),
            signed_at=datetime.fromisoformat(str(data["signedAt"]).replace("Z", "+00:00")),
            key_id=str(data["keyId"]),
            public_key=base64.b64decode(data["publicKey"]),
            signature=base64.b64decode(data["signature"]),
            id=data.get("id"),
            origin=str(data.get("origin", "on_demand")),
        )


def sign_checkpoint(
    key: Ed25519PrivateKey,
    tree_size: int,
    root_hash: bytes,
    last_position: int,
    signed_at: datetime,
    *,
    origin: str = "on_demand",
    requested_by: str | None = None,
) -> Checkpoint:
    """Sign a tree head with ``key``; ``signed_at`` is truncated to microseconds in UTC."""
    public = raw_public_key(key.public_key())
    kid = key_id(public)
    at = signed_at.astimezone(UTC)
    signature = key.sign(checkpoint_text(tree_size, root_hash, last_position, at, kid).encode())
    return Checkpoint(
        tree_size,
        root_hash,
        last_position,
        at,
        kid,
        public,
        signature,
        origin=origin,
        requested_by=requested_by,
    )


def hex_list(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]
