-- Service orders members grab (抢单), and the facts the command centre's statistics are computed
-- from: one row per request and one per step it went through (from the events, never typed in).

CREATE TABLE service_orders (
    id                  uuid PRIMARY KEY,
    request_id          uuid          NOT NULL,
    organization_id     uuid          NOT NULL,   -- the request's community
    grid_id             uuid          NOT NULL,
    title               text          NOT NULL,
    starts_at           timestamptz   NOT NULL,
    place               text          NOT NULL,
    hours_expected      numeric(3, 1) NOT NULL,
    state               text          NOT NULL,   -- OPEN, CLAIMED, COMPLETED, CONFIRMED, CANCELLED
    member_id           uuid,                     -- who claimed it
    claimed_at          timestamptz,
    hours               numeric(3, 1),            -- reported by the member
    completion_note     text,
    completed_at        timestamptz,
    confirmed_at        timestamptz,
    confirmed_by        text,
    entry_id            uuid,                     -- the member's volunteer entry
    cancelled_at        timestamptz,
    published_at        timestamptz   NOT NULL,
    published_by        text          NOT NULL,
    version             integer       NOT NULL,
    published_position  bigint        NOT NULL,
    last_position       bigint        NOT NULL
);
CREATE INDEX service_orders_community ON service_orders (organization_id, published_position);
CREATE INDEX service_orders_grid ON service_orders (grid_id, published_position);
CREATE INDEX service_orders_member ON service_orders (member_id) WHERE member_id IS NOT NULL;

CREATE TABLE request_facts (
    request_id       uuid PRIMARY KEY,
    organization_id  uuid        NOT NULL,   -- the community
    grid_id          uuid        NOT NULL,
    category         text        NOT NULL,
    reported_at      timestamptz NOT NULL,
    state            text        NOT NULL,
    due_at           timestamptz,            -- the current step's deadline (overdue now)
    department_id    uuid,                   -- the department it is with, or that resolved it
    resolved_at      timestamptz,            -- the last resolution
    resolutions      integer     NOT NULL DEFAULT 0,
    late_steps       integer     NOT NULL DEFAULT 0,   -- steps that ended after (or were escalated past) their deadline
    reopen_count     integer     NOT NULL DEFAULT 0,
    last_rating      text,
    merged           boolean     NOT NULL DEFAULT false,
    closed_at        timestamptz
);
CREATE INDEX request_facts_community ON request_facts (organization_id, reported_at);
CREATE INDEX request_facts_reported ON request_facts (reported_at);

CREATE TABLE request_segments (
    request_id     uuid        NOT NULL,
    position       bigint      NOT NULL,   -- of the event that began the step
    step           text        NOT NULL,   -- respond, handle, dispatch, accept, resolve, feedback
    department_id  uuid,                   -- the department whose step it is (accept, resolve)
    started_at     timestamptz NOT NULL,
    due_at         timestamptz,
    ended_at       timestamptz,
    late           boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (request_id, position)
);
CREATE INDEX request_segments_open ON request_segments (request_id) WHERE ended_at IS NULL;
