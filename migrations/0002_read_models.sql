-- Projection tracking and the read models of organizations, members and transfers.

CREATE TABLE projection_tracking (
    name            text PRIMARY KEY,
    position        bigint NOT NULL DEFAULT 0,
    status          text   NOT NULL DEFAULT 'RUNNING',
    last_error      text,
    failed_position bigint,
    failed_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id              uuid PRIMARY KEY,
    kind            text   NOT NULL,
    name            text   NOT NULL,
    code            text,
    parent_id       uuid,
    path            uuid[] NOT NULL,
    status          text   NOT NULL DEFAULT 'ACTIVE',
    established_on  date   NOT NULL,
    dissolved_on    date,
    version         integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_position   bigint NOT NULL
);
CREATE INDEX ON organizations USING gin (path);
CREATE INDEX ON organizations (parent_id);
CREATE INDEX ON organizations (name, id);

CREATE TABLE members (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    gender               text NOT NULL,
    birth_date           date NOT NULL,
    ethnicity            text NOT NULL,
    id_number            text NOT NULL,
    phone                text,
    standing             text NOT NULL,
    joined_on            date NOT NULL,
    converted_on         date,
    home_organization_id uuid NOT NULL,
    dues_paid_through    date,
    version              integer NOT NULL,
    registered_at        timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    last_position        bigint NOT NULL
);
CREATE INDEX ON members (home_organization_id, name, id);
CREATE INDEX ON members (name, id);

CREATE TABLE transfers (
    id                   uuid PRIMARY KEY,
    member_id            uuid NOT NULL,
    from_organization_id uuid NOT NULL,
    to_organization_id   uuid NOT NULL,
    scope                text NOT NULL,
    state                text NOT NULL,
    reason               text,
    letter_serial        text,
    issued_on            date,
    valid_until          date,
    accepted_on          date,
    receipt_due_on       date,
    receipt_confirmed_on date,
    late_justification   text,
    return_reason        text,
    requested_at         timestamptz NOT NULL,
    requested_position   bigint NOT NULL,
    updated_at           timestamptz NOT NULL,
    last_position        bigint NOT NULL
);
CREATE INDEX ON transfers (member_id);
CREATE INDEX ON transfers (from_organization_id);
CREATE INDEX ON transfers (to_organization_id);
CREATE INDEX ON transfers (state, valid_until);
CREATE INDEX ON transfers (requested_position);
