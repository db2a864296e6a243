"""Local rules of residents' requests: the category catalogue and each step's deadline.

A deadline is a limit per step and urgency (``GRASSROOTS_REQUEST_DEADLINES``), counted from
the moment the step began:

- ``respond``: the community responds to a reported request (takes or escalates it);
- ``handle``: the community resolves a request it took;
- ``dispatch``: the street dispatches an escalated (or sent back) request;
- ``accept``: the department accepts (or sends back) a dispatched request;
- ``resolve``: the department resolves a request it accepted.

A limit is hours (``24h``), calendar days (``7d``) or working days (``1wd``). Working days
are Monday to Friday in China Standard Time (UTC+8): public holidays and the weekends
worked in their place (调休) are not known, so a holiday counts as a working day. A limit
in working days ends at the same time of day on the n-th working day after its start (a
request dispatched on Friday at 10:00 is due on Monday at 10:00).

Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from urllib.parse import urlsplit

from domain.shared.errors import InvalidInput
from domain.shared.text import clean

CHINA = timezone(timedelta(hours=8))
"""Where working days are counted (China Standard Time, no daylight saving)."""
DEFAULT_CATEGORIES = ("ENVIRONMENT", "ROADS", "NEIGHBOUR_DISPUTE", "ELDERLY_CARE", "SAFETY", "SANITATION",
                      "PROPERTY", "OTHER")
"""环境 environment, 道路 roads, 邻里纠纷 neighbour disputes, 养老 elderly care, 安全 safety, 环卫
sanitation, 物业 property management, 其他 other."""
STEPS = ("respond", "handle", "dispatch", "accept", "resolve")
MAX_ATTACHMENTS = 10
MAX_URL = 2000
_DIGEST = re.compile(r"[0-9a-f]{64}", re.ASCII)
_LIMIT = re.compile(r"([1-9][0-9]{0,3})(h|d|wd)", re.ASCII)
_PHONE = re.compile(r"\+?[0-9][0-9 -]*", re.ASCII)
MAX_PHONE, MIN_PHONE_DIGITS = 20, 5


class Urgency(enum.Enum):
    """How soon the request must be handled: each step's deadline depends on it."""

    NORMAL = "NORMAL"
    URGENT = "URGENT"


@dataclass(frozen=True)
class Limit:
    """How long a step may take: ``amount`` hours, days or working days."""

    amount: int
    unit: str
    """``h``, ``d`` or ``wd``."""

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, start: datetime) -> datetime:
        """When a step that began at ``start`` is due."""
        if self.unit == "h":
            return start + timedelta(hours=self.amount)
        if self.unit == "d":
            return start + timedelta(days=self.amount)
        local, left = start.astimezone(CHINA), self.amount
        while left:
            local += timedelta(days=1)
            if local.weekday() < 5:
                left -= 1
        return local.astimezone(start.tzinfo)

    @classmethod
    def parse(cls, text: str) -> Limit:
        found = _LIMIT.fullmatch(text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not a limit such as 24h, 7d or 1wd (1–9999)")
        return cls(int(found.group(1)), found.group(2))


def _limits(text: str) -> dict[str, Limit]:
    return {step: Limit.parse(limit) for step, limit in (part.split("=") for part in text.split(","))}


DEFAULT_DEADLINES: Mapping[Urgency, Mapping[str, Limit]] = MappingProxyType({
    Urgency.NORMAL: MappingProxyType(_limits("respond=24h,handle=5d,dispatch=24h,accept=1wd,resolve=7d")),
    Urgency.URGENT: MappingProxyType(_limits("respond=2h,handle=1d,dispatch=4h,accept=4h,resolve=2d")),
})


def parse_deadlines(text: str) -> dict[Urgency, dict[str, Limit]]:
    """``NORMAL:respond=24h,accept=1wd;URGENT:respond=2h``: steps left out keep their default."""
    found = {u: dict(limits) for u, limits in DEFAULT_DEADLINES.items()}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        name, _, limits = part.partition(":")
        try:
            urgency = Urgency(name.strip().upper())
        except ValueError:
            raise ValueError(f"{name!r} is not an urgency ({', '.join(u.value for u in Urgency)})") from None
        for item in (i.strip() for i in limits.split(",") if i.strip()):
            step, _, limit = item.partition("=")
            if step.strip() not in STEPS:
                raise ValueError(f"{step!r} is not a step ({', '.join(STEPS)})")
            found[urgency][step.strip()] = Limit.parse(limit)
    return found


@dataclass(frozen=True)
class RequestRules:
    """The category catalogue and the deadlines (configuration: ``api.config.RequestSettings``)."""

    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    deadlines: Mapping[Urgency, Mapping[str, Limit]] = field(default_factory=lambda: DEFAULT_DEADLINES)

    def due(self, urgency: Urgency, step: str, start: datetime) -> datetime:
        """When ``step`` of a request of ``urgency``, begun at ``start``, is due."""
        return self.deadlines[urgency][step].after(start)

    def rule(self, urgency: Urgency, step: str) -> str:
        """The rule an overdue step broke, as the escalation states it (its reason)."""
        return f"{urgency.value} requests: {step} within {self.deadlines[urgency][step]}"

    def check_category(self, category: str, field: str = "category") -> str:
        cleaned = clean(category).upper()
        if cleaned not in self.categories:
            raise InvalidInput(f"{field} is one of {', '.join(self.categories)}", field=field)
        return cleaned


@dataclass(frozen=True)
class Attachment:
    """A file kept in the caller's storage (a photo of a broken road), by reference."""

    url: str
    """Where it is: an http(s) URL of at most 2000 characters."""
    sha256: str
    """Its SHA-256 digest: 64 hexadecimal digits (stored lower case)."""


def check_attachments(attachments: tuple[Attachment, ...]) -> list[dict[str, str]]:
    """At most ten references, each an http(s) URL with a host and a SHA-256 digest, none twice."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(f"a request has at most {MAX_ATTACHMENTS} attachments", field="attachments")
    found: list[dict[str, str]] = []
    for a in attachments:
        url, digest = a.url.strip(), a.sha256.strip().lower()
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL
                or any(ch.isspace() or ord(ch) < 32 for ch in url)):
            raise InvalidInput(f"an attachment's url is an http(s) URL of at most {MAX_URL} characters",
                               field="attachments.url")
        if not _DIGEST.fullmatch(digest):
            raise InvalidInput("an attachment's sha256 is 64 hexadecimal digits", field="attachments.sha256")
        entry = {"url": url, "sha256": digest}
        if entry in found:
            raise InvalidInput("an attachment is listed twice", field="attachments")
        found.append(entry)
    return found


def check_point(latitude: float | None, longitude: float | None) -> list[float] | None:
    """A map point ``[longitude, latitude]`` (WGS-84, as GeoJSON has it) within China, or none."""
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise InvalidInput("a point has both latitude and longitude", field="latitude" if latitude is None
                           else "longitude")
    if not (3.0 <= latitude <= 54.0 and 73.0 <= longitude <= 136.0):
        raise InvalidInput("the point lies outside China (latitude 3–54, longitude 73–136)", field="latitude")
    return [float(longitude), float(latitude)]


def check_phone(value: str | None) -> str | None:
    """A resident's phone as members' phones are checked: digits, spaces, dashes and a leading +,
    at most 20 characters and at least five digits; empty means none."""
    phone = clean(value or "")
    if not phone:
        return None
    if len(phone) > MAX_PHONE or not _PHONE.fullmatch(phone) or sum(ch.isdigit() for ch in phone) < MIN_PHONE_DIGITS:
        raise InvalidInput(f"a phone has {MIN_PHONE_DIGITS}–{MAX_PHONE} characters: digits 0-9 (at least"
                           f" {MIN_PHONE_DIGITS}), spaces, dashes and a leading +", field="phone")
    return phone
