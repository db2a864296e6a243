-- Residents' requests (诉求): the functional departments they are dispatched to, each request's
-- current state (with its deadline, for the overdue lists and the escalation sweep) and every
-- step taken on it (its history: who, when, why).

CREATE TABLE departments (
    id                   uuid PRIMARY KEY,
    organization_id      uuid        NOT NULL,   -- the street or district it belongs to
    name                 text        NOT NULL,
    code                 text        NOT NULL,
    categories           text[]      NOT NULL,
    status               text        NOT NULL DEFAULT 'ACTIVE',
    registered_at        timestamptz NOT NULL,
    registered_by        text        NOT NULL,
    retired_at           timestamptz,
    version              integer     NOT NULL,
    registered_position  bigint      NOT NULL,
    last_position        bigint      NOT NULL
);
CREATE INDEX departments_owner ON departments (organization_id, registered_position);

CREATE TABLE requests (
    id                       uuid PRIMARY KEY,
    organization_id          uuid        NOT NULL,   -- the grid's community
    grid_id                  uuid        NOT NULL,
    category                 text        NOT NULL,
    description              text        NOT NULL,
    urgency                  text        NOT NULL,
    source                   text        NOT NULL,
    longitude                double precision,
    latitude                 double precision,
    address                  text,
    attachments              jsonb       NOT NULL DEFAULT '[]',
    external_ref             text,
    state                    text        NOT NULL,
    level                    text        NOT NULL,
    department_id            uuid,                   -- the department it is with (dispatched or accepted)
    due_at                   timestamptz,            -- the current step's deadline
    due_step                 text,                   -- respond, handle, dispatch, accept, resolve
    swept_due                timestamptz,            -- the deadline the sweep escalated already
    escalations              integer     NOT NULL DEFAULT 0,
    reopen_count             integer     NOT NULL DEFAULT 0,
    rating                   text,
    result                   text,
    resolved_by              text,
    merged_into              uuid,
    contact_id               uuid,                   -- its RequestContact stream, if a resident was named
    resident_name            text,                   -- as the store opens it; masked by the API
    phone                    text,
    personal_data_erased_at  timestamptz,
    reported_at              timestamptz NOT NULL,
    reported_by              text        NOT NULL,
    resolved_at              timestamptz,
    closed_at                timestamptz,
    updated_at               timestamptz NOT NULL,
    version                  integer     NOT NULL,
    reported_position        bigint      NOT NULL,
    last_position            bigint      NOT NULL
);
CREATE INDEX requests_community ON requests (organization_id, reported_position);
CREATE INDEX requests_grid ON requests (grid_id, reported_position);
CREATE INDEX requests_department ON requests (department_id, reported_position) WHERE department_id IS NOT NULL;
CREATE INDEX requests_due ON requests (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE request_steps (
    request_id     uuid        NOT NULL,
    position       bigint      NOT NULL,
    type           text        NOT NULL,   -- the event type without "Request.": Reported, Escalated, ...
    at             timestamptz NOT NULL,
    actor          text        NOT NULL,
    actor_roles    text[]      NOT NULL,
    reason         text,
    department_id  uuid,
    detail         jsonb       NOT NULL,   -- the event's payload
    PRIMARY KEY (request_id, position)
);
