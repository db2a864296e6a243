"""Webhook subscriptions: an outside system asks for matching events by signed HTTP POST.

The subscription is an aggregate like any other, so who registered, paused, resumed
or removed it (and why) is in the log. Its signing secret is not: the log is read by
auditors and relayed to NATS, so the secret lives in a table of its own (see
``domain.webhooks.handlers.WebhookSecrets``).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, InvalidInput

MAX_URL = 2000
MAX_DESCRIPTION = 300
MAX_FILTER_ITEMS = 50
MAX_TYPE_NAME = 100
"""Longest stream or event type name a filter may hold (``Member.TransferRequested``)."""
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?", re.ASCII)


class WebhookStatus(enum.Enum):
    """Where a subscription stands."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    REMOVED = "REMOVED"


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""One label of a host name (RFC 1123: letters, digits and inner hyphens, 1–63 characters)."""
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")
"""A label that URL parsers read as a number: a host ending in one is an IPv4 address."""
_PORT = re.compile(r"[0-9]{1,5}")
_ASCII = "".join(map(chr, range(0x21, 0x7F)))
"""Printable ASCII: kept as it is in a path or query (the rest is percent-encoded)."""
MAX_HOST = 253


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="url")


def _check_host(host: str) -> str:
    """The host, lower-cased: an IPv4 address in dotted-quad form, a bracketed IPv6 address
    or an ASCII host name; anything a client library might read another way is refused."""
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner:
            raise _refuse("a webhook URL's IPv6 address has no zone (%…)")
        try:
            return f"[{ipaddress.IPv6Address(inner).compressed}]"
        except ValueError:
            raise _refuse(f"{host} is not an IPv6 address") from None
    if not host:
        raise _refuse("a webhook URL needs a host")
    if not host.isascii():
        raise _refuse("write the webhook URL's host in ASCII: letters a–z, digits 0–9, '-' and"
                      " '.' (an internationalised domain name in its xn-- form)")
    name = host.lower()
    labels = name.removesuffix(".").split(".")
    if _NUMBER.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise _refuse(f"{host} is neither a host name nor an IPv4 address in dotted-quad"
                          " form (four numbers 0–255)") from None
    if len(name) > MAX_HOST or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refuse(f"{host} is not a host name (labels of letters, digits and inner hyphens,"
                      f" at most 63 characters each and {MAX_HOST} in all)")
    return name


def _check_port(port: str) -> str:
    if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise _refuse(f"a webhook URL's port is a number from 1 to 65535, not {port!r}")
    return str(int(port))


def check_url(url: str) -> str:
    """The URL a webhook POSTs to, checked whole and written one way.

    Only absolute ``http``/``https`` URLs without credentials or fragment, whose host is
    an ASCII host name, an IPv4 address in dotted-quad form (no ``0x7f.1``, ``2130706433``
    or fullwidth digits) or a bracketed IPv6 address without zone, and whose port, if
    given, is 1–65535. No spaces or control characters; other non-ASCII characters of the
    path and query are percent-encoded (UTF-8). So every URL registered is one that the
    deliverer can request exactly as checked: a refusal here is an ``InvalidInput`` on
    ``url``, never a delivery that cannot start. Which addresses the host may resolve to
    is the deliverer's check (``projections.integrations.webhooks``).
    """
    cleaned = url.strip()
    if not cleaned or len(cleaned) > MAX_URL:
        raise _refuse(f"a webhook URL has 1–{MAX_URL} characters")
    if any(c.isspace() or not c.isprintable() for c in cleaned):  # lone surrogates too
        raise _refuse("a webhook URL has no spaces, control or unassigned characters"
                      " (percent-encode them)")
    try:
        parts = urlsplit(cleaned)
    except ValueError as exc:
        raise _refuse(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not cleaned.lower().startswith(parts.scheme + "://"):
        raise _refuse("a webhook URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise _refuse("put no credentials in a webhook URL; requests are signed")
    if parts.fragment or "#" in cleaned:
        raise _refuse("a webhook URL has no #fragment")
    if "\\" in parts.netloc:
        raise _refuse("a webhook URL's host has no backslash")
    host, port = parts.netloc, None
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            raise _refuse("a webhook URL's IPv6 address needs its closing ]")
        host, rest = host[:close + 1], host[close + 1:]
        if rest:
            if not rest.startswith(":"):
                raise _refuse(f"unexpected {rest!r} after the IPv6 address")
            port = rest[1:]
    elif ":" in host:
        host, _, port = host.partition(":")
    netloc = _check_host(host)
    if port is not None:
        netloc += ":" + _check_port(port)
    path, query = quote(parts.path, safe=_ASCII), quote(parts.query, safe=_ASCII)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def check_type_names(names: list[str] | None, field: str) -> list[str] | None:
    """Stream types (``Member``) or event types (``Member.TransferRequested``); None = all."""
    if names is None:
        return None
    # Bounded as given, before anything is stripped or de-duplicated: a list of a million
    # copies of one name, or one name of 10 KB, is refused without being looked at further.
    if not names or len(names) > MAX_FILTER_ITEMS:
        raise InvalidInput(f"give 1–{MAX_FILTER_ITEMS} names, or leave the filter out",
                           field=field)
    for name in names:
        if len(name) > MAX_TYPE_NAME:
            raise InvalidInput(f"a type name has at most {MAX_TYPE_NAME} characters", field=field)
    cleaned = sorted({n.strip() for n in names})
    for name in cleaned:
        if not _TYPE_NAME.fullmatch(name):
            raise InvalidInput(f"{name!r} is not a type name", field=field)
    return cleaned


def check_description(text: str | None) -> str | None:
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description has at most {MAX_DESCRIPTION} characters",
                           field="description")
    return cleaned


class Webhook(Aggregate):
    """A subscription: where to POST, which events, and whether deliveries run."""

    class Registered(Aggregate.Created):
        organization_id: UUID | None
        """The scope the subscription reads within (the owner's organization); None = all."""
        url: str
        stream_types: list[str] | None
        event_types: list[str] | None
        description: str | None
        start_after: int
        """Deliver events after this log position."""

    @event(Registered)
    def __init__(
        self,
        organization_id: UUID | None,
        url: str,
        stream_types: list[str] | None,
        event_types: list[str] | None,
        description: str | None,
        start_after: int,
    ) -> None:
        self.organization_id = organization_id
        self.url = url
        self.stream_types = stream_types
        self.event_types = event_types
        self.description = description
        self.start_after = start_after
        self.status = WebhookStatus.ACTIVE
        self.paused_reason: str | None = None

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    def _ensure_not_removed(self) -> None:
        if self.status is WebhookStatus.REMOVED:
            raise WebhookNotAllowed("the webhook was removed")

    def pause(self, reason: str, automatic: bool = False) -> None:
        """Stop deliveries; the cursor stays where it is, so nothing is skipped."""
        self._ensure_not_removed()
        if self.status is WebhookStatus.PAUSED:
            raise WebhookNotAllowed("the webhook is already paused")
        self._paused(reason=reason, automatic=automatic)

    @event("Paused")
    def _paused(self, reason: str, automatic: bool) -> None:
        self.status = WebhookStatus.PAUSED
        self.paused_reason = reason

    def resume(self) -> None:
        """Deliver again, starting with the event the subscription stopped at."""
        self._ensure_not_removed()
        if self.status is WebhookStatus.ACTIVE:
            raise WebhookNotAllowed("the webhook is not paused")
        self._resumed()

    @event("Resumed")
    def _resumed(self) -> None:
        self.status = WebhookStatus.ACTIVE
        self.paused_reason = None

    def remove(self, reason: str | None) -> None:
        self._ensure_not_removed()
        self._removed(reason=reason)

    @event("Removed")
    def _removed(self, reason: str | None) -> None:
        self.status = WebhookStatus.REMOVED


class WebhookNotAllowed(DomainError):
    """The webhook's status does not allow this (already paused, not paused, removed)."""

    code = "WEBHOOK_NOT_ALLOWED"
