-- The event log, stream heads, set-rule claims and idempotency keys.

CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       uuid        NOT NULL,
    stream_type     text        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL DEFAULT 1,
    payload         jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor           text        NOT NULL,
    actor_roles     text[]      NOT NULL DEFAULT '{}',
    correlation_id  uuid,
    causation_id    uuid,
    command_id      text,
    reason          text,
    UNIQUE (stream_id, version)
);
CREATE INDEX events_type_position ON events (event_type, position);
CREATE INDEX events_correlation ON events (correlation_id);

COMMENT ON TABLE events IS 'Append-only event log; never updated or deleted.';
COMMENT ON COLUMN events.position IS 'Global order; assigned under a transaction lock so it increases in commit order.';

-- Events are never updated or deleted: refuse it even from plain SQL sessions that
-- forget. (A superuser can still drop the trigger; tamper evidence covers that.)
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

CREATE TABLE streams (
    stream_id   uuid    PRIMARY KEY,
    stream_type text    NOT NULL,
    version     integer NOT NULL
);

CREATE TABLE claims (
    scope      text NOT NULL,
    key        text NOT NULL,
    owner      uuid NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX claims_owner ON claims (owner, scope);

CREATE TABLE idempotency_keys (
    actor         text   NOT NULL,
    key           text   NOT NULL,
    fingerprint   text   NOT NULL,
    last_position bigint NOT NULL,
    result        jsonb  NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);

CREATE SEQUENCE transfer_letter_serial;
