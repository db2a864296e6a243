"""Witness targets: where a witness is, as ``GRASSROOTS_WITNESSES`` and ``verify --witness``
name it (the kinds: ``eventstore.integrity.witness``), parsed and checked.

Apart from the witnesses themselves so that the configuration can check its targets at
start-up without loading the NATS and HTTP clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from domain.shared.errors import InvalidInput
from domain.webhooks.aggregate import check_url

_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SUBJECT = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")

MAX_WITNESSES = 16
"""Witnesses one server publishes to (a bound for `integrityStatus`'s list and the config)."""


@dataclass(frozen=True)
class WitnessTarget:
    """Where a witness is: its kind, the address as given, and a name without credentials."""

    kind: Literal["dir", "nats", "http"]
    address: str
    """Directory path, NATS server URL (credentials included) or the HTTP URL."""
    name: str
    """Shown in status, metrics and reports, and the key of its progress row."""
    stream: str = ""
    subject: str = ""


def parse_target(text: str) -> WitnessTarget:
    """A witness target (module docstring), checked; ``ValueError`` saying what is wrong."""
    spec = text.strip()
    if not spec:
        raise ValueError("a witness target is empty")
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else ""
    if scheme in ("http", "https"):
        try:
            url = check_url(spec)
        except InvalidInput as exc:
            raise ValueError(f"witness URL {spec!r}: {exc}".replace("webhook URL", "witness URL")) from None
        parts = urlsplit(url)
        shown = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        return WitnessTarget("http", url, shown + ("?…" if parts.query else ""))
    if scheme == "nats":
        return _nats_target(spec)
    if scheme:
        raise ValueError(f"witness {spec!r}: use dir:/path, nats://host:port/STREAM or an http(s) URL")
    path = Path(spec.removeprefix("dir:")).expanduser()
    if not str(path) or str(path) == ".":
        raise ValueError(f"witness {spec!r} names no directory")
    absolute = path.resolve()
    return WitnessTarget("dir", str(absolute), f"dir:{absolute}")


def _nats_target(given: str) -> WitnessTarget:
    parts = urlsplit(given)
    spec = given.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)  # errors show no password
    if not parts.hostname:
        raise ValueError(f"witness {spec!r}: no host")
    try:
        port = parts.port or 4222
    except ValueError:
        raise ValueError(f"witness {spec!r}: bad port") from None
    segments = [s for s in parts.path.split("/") if s]
    if not 1 <= len(segments) <= 2 or parts.query or parts.fragment:
        raise ValueError(f"witness {spec!r}: expected nats://host:port/STREAM or .../STREAM/SUBJECT")
    stream = segments[0]
    subject = segments[1] if len(segments) == 2 else f"{stream}.checkpoints"
    if not _STREAM_NAME.fullmatch(stream):
        raise ValueError(f"witness {spec!r}: a stream name has 1-64 letters, digits, _ or -")
    if not _SUBJECT.fullmatch(subject):
        raise ValueError(f"witness {spec!r}: the subject must be literal tokens (no wildcards)")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    server = urlunsplit(("nats", parts.netloc, "", "", ""))
    return WitnessTarget("nats", server, f"nats://{host}:{port}/{stream}/{subject}", stream, subject)
