"""Which operations run: trusted documents, automatic persisted queries, introspection.

**Trusted documents** (``GRASSROOTS_TRUSTED_DOCUMENTS``): the frontend build lists every
operation it may send, and the server loads those lists at start-up. A manifest is a
JSON file in either of the formats the usual tools write:

- a flat map of the document's SHA-256 (lowercase hex of its UTF-8 text) to the
  document, as Relay's ``persistConfig`` writes it (with ``algorithm: "SHA256"``) and
  ``graphql-codegen``'s persisted-documents preset::

      {"5f0e…c3a1": "query Me { me { subject name } }"}

- Apollo's persisted-query manifest (``generate-persisted-query-manifest``)::

      {"format": "apollo-persisted-query-manifest", "version": 1,
       "operations": [{"id": "5f0e…c3a1", "name": "Me", "type": "query",
                       "body": "query Me { me { subject name } }"}]}

Every hash must be the SHA-256 of its document (a mismatch, a document that does not
parse or an empty manifest stops the server at start-up, naming the file). A client
then sends the hash instead of the text: Apollo's ``extensions.persistedQuery.sha256Hash``
or the GraphQL-over-HTTP draft's ``documentId`` (``"sha256:<hash>"`` or the bare hash).
In production, with manifests configured, *only* these operations run: a hash that is
not listed answers ``PersistedQueryNotFound`` and a full document that is not listed is
refused (403, ``PERSISTED_QUERY_NOT_IN_LIST``). Over WebSocket (``api.wsgate``) the same
allow-list applies to each ``subscribe``, which carries the document itself (the
message's validation asks for a ``query``). In development, listed hashes resolve and
any other document runs as usual.

**Automatic persisted queries** (the protocol Apollo clients speak): a client sends
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": H}}}`` without the
query; if the server knows ``H`` it runs that document, otherwise it answers (HTTP 200,
as Apollo Server does, so that the client retries rather than turning the feature off)
``{"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code":
"PERSISTED_QUERY_NOT_FOUND"}}]}``, and the client sends the query again with the
hash. The server checks the hash (``PERSISTED_QUERY_HASH_MISMATCH``, 400, if it is not
the document's), remembers the document (an LRU of ``APQ_ENTRIES`` documents, at most
``APQ_CHARACTERS`` characters in all, per process) and runs it. In production with
trusted documents, only listed documents can be registered this way.

**Introspection** (``GRASSROOTS_INTROSPECTION``; off in production unless set): an
operation that selects ``__schema`` or ``__type`` is refused with code
``INTROSPECTION_DISABLED`` before it runs (graphql-core's
``NoSchemaIntrospectionCustomRule``); ``__typename`` stays allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from api.config import ConfigError, Settings

APQ_ENTRIES = 2048
APQ_CHARACTERS = 8_000_000
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
BAD_REQUEST = "BAD_REQUEST"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
_HEX = re.compile(r"[0-9a-f]{64}")
_INTROSPECTION_WORDS = re.compile(r"__(schema|type)\b")


class OperationRefused(Exception):
    """The request names no document this server runs. ``status`` is the HTTP status;
    ``validation`` refusals follow the GraphQL-over-HTTP rule for documents that fail
    validation (400 for ``application/graphql-response+json``, else 200)."""

    def __init__(self, message: str, code: str, status: int, *, validation: bool = False) -> None:
        super().__init__(message)
        self.message, self.code, self.status, self.validation = message, code, status, validation

    def error(self) -> dict[str, Any]:
        """The refusal as one GraphQL error (``errors[0]`` of the response)."""
        return {"message": self.message, "extensions": {"code": self.code}}


def digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _manifest_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*.json")))
        else:
            found.append(path)
    return found


def _entries(data: Any, name: str) -> list[tuple[str, str]]:
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list) or not all(
                isinstance(op, dict) and isinstance(op.get("id"), str)
                and isinstance(op.get("body"), str) for op in operations):
            raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: every operation needs an"
                              " id and a body (strings)")
        return [(op["id"], op["body"]) for op in operations]
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return list(data.items())
    raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: expected a JSON object of sha256"
                      " hash → document, or an Apollo persisted-query manifest")


def load_manifests(paths: Iterable[Path]) -> dict[str, str]:
    """Every trusted document of the manifests at ``paths``, by SHA-256 (ConfigError if any
    file is missing, malformed, empty, or lists a document under another hash)."""
    documents: dict[str, str] = {}
    for path in _manifest_files(paths):
        name = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: {exc}") from exc
        entries = _entries(data, name)
        if not entries:
            raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: lists no operation")
        for key, document in entries:
            hashed = key.lower().removeprefix("sha256:")
            if hashed != digest(document):
                raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: {key} is not the"
                                  " sha256 of its document")
            try:
                parse(document)
            except GraphQLError as exc:
                raise ConfigError(f"GRASSROOTS_TRUSTED_DOCUMENTS: {name}: {key}: {exc.message}") from exc
            documents[hashed] = document
    return documents


def introspection_allowed(settings: Settings) -> bool:
    given = settings.server.introspection
    return (not settings.production) if given is None else given


class Documents:
    """The operation policy of one server process (HTTP and WebSocket ask the same)."""

    def __init__(self, settings: Settings, schema: GraphQLSchema, max_tokens: int | None = None) -> None:
        self.trusted = load_manifests(settings.server.trusted_documents)
        self.max_tokens = max_tokens
        self.only_trusted = settings.production and bool(settings.server.trusted_documents)
        self.introspection = introspection_allowed(settings)
        self.schema = schema
        self._apq: OrderedDict[str, str] = OrderedDict()
        self._apq_characters = 0
        self._introspects: OrderedDict[str, bool] = OrderedDict()

    # -- the one entry point ----------------------------------------------------------

    def admit(self, params: dict[str, Any]) -> Any:
        """The document to run for a request's ``params`` (``query``, ``extensions``,
        ``documentId``): the query as given, or the one its hash names. Raises
        ``OperationRefused``; returns a non-string ``query`` unchanged (the caller's
        own checks refuse it)."""
        query = params.get("query")
        hashed = self._requested_hash(params)
        if hashed is not None:
            query = self._by_hash(hashed, query)
        elif isinstance(query, str) and self.only_trusted and digest(query) not in self.trusted:
            raise OperationRefused("only trusted documents run here, and this operation is not"
                                   " one of them", NOT_IN_LIST, 403)
        if isinstance(query, str) and not self.introspection:
            self._check_introspection(query)
        return query

    # -- persisted queries ------------------------------------------------------------

    @staticmethod
    def _requested_hash(params: dict[str, Any]) -> str | None:
        extensions = params.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise OperationRefused("extensions must be an object", BAD_REQUEST, 400)
        persisted = (extensions or {}).get("persistedQuery")
        document_id = params.get("documentId")
        if persisted is not None:
            if (not isinstance(persisted, dict) or persisted.get("version") != 1
                    or not isinstance(persisted.get("sha256Hash"), str)):
                raise OperationRefused("extensions.persistedQuery needs version 1 and a"
                                       " sha256Hash", BAD_REQUEST, 400)
            given: str = persisted["sha256Hash"]
        elif document_id is not None:
            if not isinstance(document_id, str):
                raise OperationRefused("documentId must be a string", BAD_REQUEST, 400)
            given = document_id.removeprefix("sha256:")
        else:
            return None
        hashed = given.lower()
        if not _HEX.fullmatch(hashed):
            raise OperationRefused("a persisted query's hash is 64 hexadecimal digits (sha256)",
                                   BAD_REQUEST, 400)
        return hashed

    def _by_hash(self, hashed: str, query: Any) -> str:
        if isinstance(query, str) and query:
            if digest(query) != hashed:
                raise OperationRefused("provided sha does not match query", HASH_MISMATCH, 400)
            if hashed not in self.trusted:
                if self.only_trusted:
                    raise OperationRefused("only trusted documents run here, and this operation"
                                           " is not one of them", NOT_IN_LIST, 403)
                self._remember(hashed, query)
            return query
        found = self.trusted.get(hashed)
        if found is None and not self.only_trusted:
            found = self._apq.get(hashed)
            if found is not None:
                self._apq.move_to_end(hashed)
        if found is None:
            raise OperationRefused("PersistedQueryNotFound", NOT_FOUND, 200)
        return found

    def _remember(self, hashed: str, query: str) -> None:
        if hashed in self._apq:
            self._apq.move_to_end(hashed)
            return
        self._apq[hashed] = query
        self._apq_characters += len(query)
        while len(self._apq) > APQ_ENTRIES or self._apq_characters > APQ_CHARACTERS:
            _, old = self._apq.popitem(last=False)
            self._apq_characters -= len(old)

    # -- introspection ----------------------------------------------------------------

    def _check_introspection(self, query: str) -> None:
        if not _INTROSPECTION_WORDS.search(query):
            return  # the common case: no parse needed
        found = self._introspects.get(query)
        if found is None:
            try:
                document = parse(query, max_tokens=self.max_tokens)
                errors = validate(self.schema, document, [NoSchemaIntrospectionCustomRule])
            except GraphQLError:
                errors = []  # a syntax error, or too many tokens: the execution reports it
            found = bool(errors)
            self._introspects[query] = found
            if len(self._introspects) > 256:
                self._introspects.popitem(last=False)
        if found:
            raise OperationRefused("GraphQL introspection is disabled on this server"
                                   " (GRASSROOTS_INTROSPECTION)", INTROSPECTION_DISABLED, 400,
                                   validation=True)
