"""Append authenticators: the application's mark on every event it appends.

The Merkle tree and the signed checkpoints prove that the log was not changed *after*
the hasher sealed it; they cannot tell an event the application appended from one a
database superuser INSERTed: the hasher would seal either. So the application
authenticates every append with a key the database never holds, and the hasher seals
only rows whose authenticator verifies (``eventstore.integrity.store.hash_page``); a row
it refuses stops sealing at its position and is reported (``integrityStatus``,
``/readyz``, metrics, logs, ``grassroots verify``).

- **What is authenticated**: the append encoding of the event (every column the
  application supplies: stream, version, event id and type, schema version, the payload
  as stored, actor, roles, correlation, causation, command id, reason; see
  ``encoding.append_event_text``). ``position`` and ``recorded_at`` are assigned by
  PostgreSQL inside the append, so they are covered once sealed, by the tree.
- **The authenticator**: ``HMAC-SHA256(key, SHA-256(UTF-8 of the append encoding))``,
  stored beside the row with the id of the key that made it (``append_key_id``,
  ``append_mac``; migrations/0012). Hashing first lets PostgreSQL compute the digest next
  to the data (``store.APPEND_DIGEST_SQL``), so the hasher and ``verify`` fetch 32 bytes per
  row and only the HMAC, which needs the key, is computed here; ``verify --engine python``
  recomputes the digest from the row's values too. Security rests on HMAC-SHA256 and on
  SHA-256's collision resistance, which the Merkle tree relies on already.
- **Keys**: 32 or more random bytes each (``GRASSROOTS_APPEND_KEY``, newest first): the
  first signs, every one listed verifies, so keys rotate without re-authenticating the
  log. A key's id is ``HMAC-SHA256(key, "grassroots-ledger append key id")``'s first 8
  bytes in hex: it names the key without revealing it.

HMAC is symmetric: whoever can check authenticators can make them. The append key
belongs to the application (and to an operator's ``verify``), never to the database, its
backups or its administrators; an auditor without it still has the tree and checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from eventstore.integrity.encoding import EncodingError

KEY_BYTES = 32
_KEY_ID_MESSAGE = b"grassroots-ledger append key id"


class AppendKeyError(ValueError):
    """No append key, or one that is malformed or too short."""


@dataclass(frozen=True)
class Refusal:
    """An event the hasher will not seal: its authenticator is missing or does not verify."""

    position: int
    event_id: str
    event_type: str
    reason: str

    def describe(self) -> str:
        return f"event at position {self.position} ({self.event_type} {self.event_id}) {self.reason}"


def append_digest(text: str) -> bytes:
    """SHA-256 of an append encoding (``encoding.append_event_text``)."""
    try:
        return hashlib.sha256(text.encode("utf-8")).digest()
    except UnicodeEncodeError as exc:  # a lone surrogate: jsonb could not hold it either
        raise EncodingError(str(exc)) from exc


def append_key_id(key: bytes) -> str:
    """The public name of an append key (it reveals nothing about the key)."""
    return hmac.new(key, _KEY_ID_MESSAGE, hashlib.sha256).digest()[:8].hex()


def _decode_key(text: str) -> bytes:
    text = text.strip()
    candidates: list[bytes] = []
    if len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text):
        candidates.append(bytes.fromhex(text))
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            candidates.append(decode(padded.encode("ascii")))
        except (ValueError, binascii.Error):
            continue
    for raw in candidates:
        if len(raw) >= KEY_BYTES:
            return raw
    raise AppendKeyError(
        f"an append key is {KEY_BYTES} or more random bytes in base64 or hex"
        " (e.g. `openssl rand -base64 32`)"
    )


class AppendKeys:
    """The application's append keys: the first signs, every one verifies."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise AppendKeyError("no append key given")
        for key in keys:
            if len(key) < KEY_BYTES:
                raise AppendKeyError(f"an append key has at least {KEY_BYTES} bytes")
        self._signing = bytes(keys[0])
        self.signing_key_id = append_key_id(self._signing)
        self._verifying = {append_key_id(k): bytes(k) for k in keys}

    @classmethod
    def parse(cls, text: str) -> AppendKeys:
        """Keys from configuration text: base64 or hex, comma- or line-separated, newest first."""
        return cls([_decode_key(k) for k in text.replace("\n", ",").split(",") if k.strip()])

    @staticmethod
    def new_key() -> str:
        """A fresh key, base64 (URL-safe alphabet)."""
        return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key that verifies, the signing key's first."""
        return tuple(self._verifying)

    def sign(self, digest: bytes) -> bytes:
        """The authenticator of an event whose append encoding hashes to ``digest``."""
        return hmac.new(self._signing, digest, hashlib.sha256).digest()

    def problem(self, digest: bytes | None, key_id: str | None, mac: bytes | None) -> str | None:
        """Why a row's authenticator does not verify (a sentence to follow "event at
        position N"), or None if it does."""
        if key_id is None or mac is None:
            return (
                "carries no append authenticator: it was not appended by the application"
                " (written with SQL?)"
            )
        key = self._verifying.get(key_id)
        if key is None:
            return (
                f"is authenticated by key {key_id}, which is not one of the configured append"
                f" keys ({', '.join(self._verifying)}): a forged authenticator, or a key"
                " missing from GRASSROOTS_APPEND_KEY"
            )
        if digest is None or not hmac.compare_digest(
            hmac.new(key, digest, hashlib.sha256).digest(), bytes(mac)
        ):
            return (
                "does not match its append authenticator: it was changed after it was"
                " appended, or the authenticator was copied from another event"
            )
        return None


_installed: AppendKeys | None = None


def install(keys: AppendKeys) -> None:
    """Make ``keys`` the process's (start-up: ``api.append_keys``, the command line, tests)."""
    global _installed
    _installed = keys


def installed() -> AppendKeys:
    """The process's append keys; ``AppendKeyError`` if none were installed."""
    if _installed is None:
        raise AppendKeyError(
            "no append key is configured in this process"
            " (api.append_keys.install_append_keys at start-up)"
        )
    return _installed
