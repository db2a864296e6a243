-- Read models of earmarked funds, their projects and ledgers, and inspections.
-- Money is numeric(14,2): exact yuan and fen.

CREATE TABLE funds (
    id               uuid PRIMARY KEY,
    organization_id  uuid          NOT NULL,
    year             integer       NOT NULL,
    kind             text          NOT NULL,
    status           text          NOT NULL DEFAULT 'OPEN',
    allocated        numeric(14,2) NOT NULL DEFAULT 0,
    paid             numeric(14,2) NOT NULL DEFAULT 0,
    moved_out        numeric(14,2) NOT NULL DEFAULT 0,
    committed        numeric(14,2) NOT NULL DEFAULT 0,
    balance          numeric(14,2) GENERATED ALWAYS AS (allocated - paid - moved_out) STORED,
    available        numeric(14,2) GENERATED ALWAYS AS (allocated - paid - moved_out - committed) STORED,
    year_end         text,
    closed_on        date,
    next_fund_id     uuid,
    version          integer       NOT NULL,
    opened_at        timestamptz   NOT NULL,
    updated_at       timestamptz   NOT NULL,
    last_position    bigint        NOT NULL,
    UNIQUE (organization_id, year, kind)
);
CREATE INDEX ON funds (year, kind);

CREATE TABLE projects (
    id               uuid PRIMARY KEY,
    fund_id          uuid          NOT NULL,
    organization_id  uuid          NOT NULL,
    year             integer       NOT NULL,
    category         text          NOT NULL,
    title            text          NOT NULL,
    purpose          text          NOT NULL,
    beneficiaries    text          NOT NULL,
    amount           numeric(14,2) NOT NULL,
    approved_amount  numeric(14,2),
    paid             numeric(14,2) NOT NULL DEFAULT 0,
    state            text          NOT NULL,
    proposed_by      text          NOT NULL,
    proposed_at      timestamptz   NOT NULL,
    meeting_on       date,
    attendees        text[],
    resolution       text,
    approved_by      text,
    approved_at      timestamptz,
    accepted_on      date,
    disclosed_on     date,
    disclosure       text,
    updated_at       timestamptz   NOT NULL,
    proposed_position bigint       NOT NULL,
    last_position    bigint        NOT NULL
);
CREATE INDEX ON projects (fund_id);
CREATE INDEX ON projects (organization_id);
CREATE INDEX ON projects (state, accepted_on);

CREATE TABLE fund_movements (
    fund_id          uuid          NOT NULL,
    version          integer       NOT NULL,
    position         bigint        NOT NULL,
    event_type       text          NOT NULL,
    movement         text,
    amount           numeric(14,2) NOT NULL DEFAULT 0,
    balance_after    numeric(14,2) NOT NULL,
    business_date    date,
    source           text,
    reference        text,
    project_id       uuid,
    payment_id       uuid,
    recorded_at      timestamptz   NOT NULL,
    actor            text          NOT NULL,
    reason           text,
    PRIMARY KEY (fund_id, version)
);
CREATE INDEX ON fund_movements (fund_id, business_date);
COMMENT ON TABLE fund_movements IS 'One row per fund event; amount is its effect on the balance (0 for non-money events).';

CREATE TABLE inspections (
    id               uuid PRIMARY KEY,
    organization_id  uuid        NOT NULL,
    fund_id          uuid,
    title            text        NOT NULL,
    state            text        NOT NULL DEFAULT 'OPEN',
    opened_on        date        NOT NULL,
    opened_by        text        NOT NULL,
    closed_on        date,
    conclusion       text,
    findings         integer     NOT NULL DEFAULT 0,
    open_findings    integer     NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL,
    opened_position  bigint      NOT NULL,
    last_position    bigint      NOT NULL
);
CREATE INDEX ON inspections (organization_id);
CREATE INDEX ON inspections (fund_id);

CREATE TABLE inspection_findings (
    id               uuid PRIMARY KEY,
    inspection_id    uuid        NOT NULL,
    description      text        NOT NULL,
    severity         text        NOT NULL,
    project_ids      uuid[]      NOT NULL,
    payment_ids      uuid[]      NOT NULL,
    recorded_at      timestamptz NOT NULL,
    recorded_by      text        NOT NULL,
    rectified_on     date,
    rectification    text,
    position         bigint      NOT NULL
);
CREATE INDEX ON inspection_findings (inspection_id, position);
