"""The configured witnesses, built once with the server's outbound policy.

An HTTP witness is an outbound request to an address taken from configuration, which
makes it the same kind of surface as a webhook: it POSTs through the webhooks' screening
(``projections.integrations.webhooks.post_checked``: the URL checked whole, the host
resolved once and pinned, redirects never followed, and, with
``GRASSROOTS_WITNESS_ALLOW_PRIVATE=0`` (the production default), no address that is not
globally routable), so a refused address fails the attempt before any connection.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import httpx

from api.config import Settings
from eventstore.integrity.witness import DirectoryWitness, HttpWitness, NatsWitness, Witness
from eventstore.integrity.witness_targets import parse_target
from projections.integrations.webhooks import Resolver, post_checked, system_resolver


def build_witness(target: str, settings: Settings, *, resolver: Resolver = system_resolver,
                  transport: httpx.AsyncBaseTransport | None = None) -> Witness:
    """One witness from its target string (``ValueError`` if malformed)."""
    i = settings.integrity
    found = parse_target(target)
    if found.kind == "dir":
        return DirectoryWitness(found, i.witness_timeout)
    if found.kind == "nats":
        return NatsWitness(found, i.witness_timeout)
    post = functools.partial(post_checked, allow_private=i.witness_allow_private, resolver=resolver,
                             resolve_within=i.witness_timeout)
    return HttpWitness(found, i.witness_timeout, post, transport)


def configured_witnesses(settings: Settings, targets: Sequence[str] | None = None) -> list[Witness]:
    """``targets`` (default ``GRASSROOTS_WITNESSES``), built."""
    return [build_witness(t, settings) for t in (settings.integrity.witnesses if targets is None else targets)]


def witness_names(settings: Settings) -> list[str]:
    """The configured witnesses' names (no credentials): keys of their progress and status."""
    return [parse_target(t).name for t in settings.integrity.witnesses]
