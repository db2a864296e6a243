-- Relays to outside systems (NATS JetStream) and webhook subscriptions.

-- How far each relay has published with every earlier event acknowledged.
CREATE TABLE relay_positions (
    name        text PRIMARY KEY,
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Signing secrets, kept out of the log: the log is read by auditors and relayed to
-- NATS, so Webhook.Registered carries no secret. Written by the register handler
-- before its event is appended; deleted when the webhook is removed.
CREATE TABLE webhook_secrets (
    webhook_id  uuid PRIMARY KEY,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Read model of the Webhook aggregate (projections/webhooks.py).
CREATE TABLE webhooks (
    id                  uuid PRIMARY KEY,
    organization_id     uuid,
    url                 text    NOT NULL,
    stream_types        text[],
    event_types         text[],
    description         text,
    start_after         bigint  NOT NULL,
    status              text    NOT NULL,
    paused_reason       text,
    paused_by           text,
    paused_automatically boolean NOT NULL DEFAULT false,
    registered_by       text    NOT NULL,
    version             integer NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_position       bigint  NOT NULL
);
CREATE INDEX ON webhooks (organization_id);
CREATE INDEX ON webhooks (created_at, id);

-- Delivery state, owned by the deliverer (projections/webhook_delivery.py): how far
-- each subscription got, and its run of consecutive failures.
CREATE TABLE webhook_cursors (
    webhook_id           uuid PRIMARY KEY,
    position             bigint  NOT NULL,
    consecutive_failures integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz,
    suspended_position   bigint,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Every delivery attempt, successful or not.
CREATE TABLE webhook_deliveries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id     uuid        NOT NULL,
    event_id       uuid        NOT NULL,
    position       bigint      NOT NULL,
    attempt        integer     NOT NULL,
    status         text        NOT NULL,
    response_code  integer,
    error          text,
    duration_ms    integer     NOT NULL,
    next_retry_at  timestamptz,
    attempted_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON webhook_deliveries (webhook_id, id);
CREATE INDEX ON webhook_deliveries (webhook_id, event_id);
