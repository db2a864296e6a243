"""The request limits' parts without a server: their settings, the uvicorn configuration
``grassroots serve`` runs, the rate limiter, the trusted-document manifests, the CSP;
and the uvicorn and strawberry internals they rely on (pyproject bounds uvicorn)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import uvicorn
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from api.config import ConfigError, Settings
from api.graphql.feed.subscriptions import TransportHandler
from api.headers import CSP, HTML_POLICY, secured
from api.persisted import Documents, OperationRefused, digest, introspection_allowed, load_manifests
from api.ratelimit import RateLimiter
from api.schema import schema
from api.server import GuardedHttpToolsProtocol, uvicorn_config
from api.wsgate import OperationGate

# -- settings ---------------------------------------------------------------------------


def test_the_server_settings_come_from_their_variables() -> None:
    s = Settings.from_env({
        "GRASSROOTS_MAX_HEADER_BYTES": "8192", "GRASSROOTS_HEADER_TIMEOUT": "2.5",
        "GRASSROOTS_BODY_TIMEOUT": "7", "GRASSROOTS_KEEP_ALIVE": "3",
        "GRASSROOTS_WS_MAX_MESSAGE": "65536", "GRASSROOTS_RATE_LIMIT": "5/second; 100/minute",
        "GRASSROOTS_INTROSPECTION": "1", "GRASSROOTS_TRUSTED_DOCUMENTS": "/a/ops.json, /b",
    }).server
    assert (s.max_header_bytes, s.header_timeout, s.body_timeout, s.keep_alive, s.ws_max_message) \
        == (8192, 2.5, 7.0, 3.0, 65536)
    assert s.rate_limit == "5/second; 100/minute" and s.introspection is True
    assert s.trusted_documents == (Path("/a/ops.json"), Path("/b"))
    assert Settings.from_env({"GRASSROOTS_RATE_LIMIT": "off"}).server.rate_limit == "0"


@pytest.mark.parametrize(("var", "value"), [
    ("GRASSROOTS_RATE_LIMIT", "lots"), ("GRASSROOTS_RATE_LIMIT", "10/fortnight"),
    ("GRASSROOTS_MAX_HEADER_BYTES", "10"), ("GRASSROOTS_HEADER_TIMEOUT", "0"),
    ("GRASSROOTS_WS_MAX_MESSAGE", "-1"),
])
def test_a_bad_server_setting_is_refused_naming_its_variable(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        Settings.from_env({var: value})


def test_introspection_is_on_in_development_and_off_in_production_unless_set() -> None:
    assert introspection_allowed(Settings.from_env({}))
    production = {"GRASSROOTS_ENV": "production"}
    assert not introspection_allowed(Settings.from_env(production))
    assert introspection_allowed(Settings.from_env({**production, "GRASSROOTS_INTROSPECTION": "1"}))
    assert not introspection_allowed(Settings.from_env({"GRASSROOTS_INTROSPECTION": "0"}))


def test_serve_runs_uvicorn_with_every_limit_of_the_settings() -> None:
    settings = Settings.from_env({"GRASSROOTS_MAX_HEADER_BYTES": "4096", "GRASSROOTS_HEADER_TIMEOUT": "2",
                                  "GRASSROOTS_BODY_TIMEOUT": "3", "GRASSROOTS_KEEP_ALIVE": "4",
                                  "GRASSROOTS_WS_MAX_MESSAGE": "2048"})
    config = uvicorn_config(object(), settings, host="127.0.0.1", port=0)
    assert config.ws_max_size == 2048 and config.timeout_keep_alive == 4
    assert issubclass(config.http, GuardedHttpToolsProtocol)  # type: ignore[arg-type]
    limits = config.http.limits  # type: ignore[union-attr]
    assert (limits.max_header_bytes, limits.header_timeout, limits.body_timeout) == (4096, 2, 3)


# -- the rate limiter -------------------------------------------------------------------


async def test_the_limiter_admits_the_limit_then_says_when_to_retry() -> None:
    limiter = RateLimiter("3/hour")
    assert [await limiter.hit("a") for _ in range(3)] == [None, None, None]
    retry = await limiter.hit("a")
    assert retry is not None and 1 <= retry <= 3600
    assert await limiter.hit("b") is None  # another key, another allowance


async def test_every_limit_of_several_counts() -> None:
    limiter = RateLimiter("2/second;3/hour")
    assert await limiter.hit("a") is None and await limiter.hit("a") is None
    assert await limiter.hit("a") is not None


async def test_a_limit_of_0_admits_everything() -> None:
    limiter = RateLimiter("0")
    assert not limiter.enabled
    assert all([await limiter.hit("a") is None for _ in range(100)])


# -- trusted documents ------------------------------------------------------------------

ME = "query Me { me { subject } }"


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_manifests_in_both_formats_load_by_hash(tmp_path: Path) -> None:
    other = "{ me { name } }"
    flat = _write(tmp_path / "relay.json", {digest(ME): ME})
    apollo = _write(tmp_path / "apollo.json", {"format": "apollo-persisted-query-manifest", "version": 1,
                                               "operations": [{"id": digest(other), "name": None,
                                                               "type": "query", "body": other}]})
    assert load_manifests([flat, apollo]) == {digest(ME): ME, digest(other): other}
    assert load_manifests([tmp_path]) == {digest(ME): ME, digest(other): other}  # a folder


@pytest.mark.parametrize(("content", "says"), [
    ({"0" * 64: ME}, "is not the sha256"),
    ({digest("{ me"): "{ me"}, "Expected Name"),
    ({}, "lists no operation"),
    ([ME], "expected a JSON object"),
    ({"format": "apollo-persisted-query-manifest", "operations": [{"id": 1}]}, "needs an id and a body"),
])
def test_a_bad_manifest_stops_the_start_naming_the_file(tmp_path: Path, content: object, says: str) -> None:
    path = _write(tmp_path / "ops.json", content)
    with pytest.raises(ConfigError, match=says) as refused:
        load_manifests([path])
    assert str(path) in str(refused.value)


def test_a_missing_or_unreadable_manifest_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GRASSROOTS_TRUSTED_DOCUMENTS"):
        load_manifests([tmp_path / "nothing.json"])
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match=r"broken\.json"):
        load_manifests([tmp_path / "broken.json"])


def _documents(tmp_path: Path, production: bool) -> Documents:
    path = _write(tmp_path / "ops.json", {digest(ME): ME})
    env = {"GRASSROOTS_TRUSTED_DOCUMENTS": str(path)}
    if production:
        env["GRASSROOTS_ENV"] = "production"
    return Documents(Settings.from_env(env), schema._schema)


def test_in_development_listed_hashes_resolve_and_other_documents_still_run(tmp_path: Path) -> None:
    documents = _documents(tmp_path, production=False)
    assert documents.admit({"documentId": digest(ME)}) == ME
    assert documents.admit({"query": "{ me { name } }"}) == "{ me { name } }"


def test_in_production_an_unlisted_document_is_refused(tmp_path: Path) -> None:
    documents = _documents(tmp_path, production=True)
    assert documents.admit({"query": ME}) == ME
    with pytest.raises(OperationRefused) as refused:
        documents.admit({"query": "{ me { name } }"})
    assert (refused.value.code, refused.value.status) == ("PERSISTED_QUERY_NOT_IN_LIST", 403)


def test_the_apq_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.persisted.APQ_ENTRIES", 3)
    documents = Documents(Settings.from_env({}), schema._schema)
    queries = [f"{{ me {{ subject }} }} # {i}" for i in range(5)]
    for q in queries:
        documents.admit({"query": q, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(q)}}})
    with pytest.raises(OperationRefused, match="PersistedQueryNotFound"):
        documents.admit({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(queries[0])}}})
    last = {"persistedQuery": {"version": 1, "sha256Hash": digest(queries[-1])}}
    assert documents.admit({"extensions": last}) == queries[-1]


# -- security headers ---------------------------------------------------------------------


def test_responses_get_the_security_headers_and_personal_ones_no_store() -> None:
    json_ = [(b"content-type", b"application/json"), (b"cache-control", b"max-age=60")]
    personal = dict(secured(json_, personal=True))
    assert personal[b"cache-control"] == b"no-store" and personal[b"x-content-type-options"] == b"nosniff"
    assert personal[b"referrer-policy"] == b"no-referrer" and CSP not in personal
    assert dict(secured(json_, personal=False))[b"cache-control"] == b"max-age=60"
    page = dict(secured([(b"content-type", b"text/html; charset=utf-8")], personal=False))
    assert page[CSP] == HTML_POLICY
    own = [(b"content-type", b"text/html"), (CSP, b"script-src 'self'")]
    assert [v for n, v in secured(own, personal=False) if n == CSP] == [b"script-src 'self'"]


# -- the internals we build on ------------------------------------------------------------


def test_uvicorns_httptools_protocol_has_the_hooks_we_extend() -> None:
    for name, params in (("data_received", ["self", "data"]), ("on_message_begin", ["self"]),
                         ("on_headers_complete", ["self"]), ("on_message_complete", ["self"]),
                         ("connection_made", ["self", "transport"]), ("connection_lost", ["self", "exc"]),
                         ("handle_websocket_upgrade", ["self"]), ("timeout_keep_alive_handler", ["self"]),
                         ("_should_upgrade", ["self"])):
        assert list(inspect.signature(getattr(HttpToolsProtocol, name)).parameters) == params, name
    cycle = inspect.getsource(RequestResponseCycle.__init__)
    for attribute in ("self.disconnected", "self.response_started", "self.response_complete",
                      "self.message_event"):
        assert attribute in cycle, attribute
    assert "self.cycle" in inspect.getsource(HttpToolsProtocol.__init__)
    assert "http" in inspect.signature(uvicorn.Config).parameters


def test_the_transport_handler_runs_every_subscribe_through_the_gate() -> None:
    assert TransportHandler.__mro__.index(OperationGate) < TransportHandler.__mro__.index(
        BaseGraphQLTransportWSHandler)
    source = inspect.getsource(BaseGraphQLTransportWSHandler)
    for used in ("self.connection_acknowledged", "self.operations", "self.view", "await self.handle_subscribe("):
        assert used in source, used
