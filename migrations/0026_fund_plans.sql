-- A fund's yearly plan and its reporting cycle (issue 15, gap 5). Rebuildable from the log:
-- fund_plans, fund_plan_versions, fund_plan_lines and fund_plan_links from the FundPlan
-- streams (projections/fund_plans.py), fund_reports from the FundReports streams
-- (projections/fund_reports.py). Money is numeric(14,2), as in 0004.

CREATE TABLE fund_plans (
    id               uuid PRIMARY KEY,
    fund_id          uuid          NOT NULL UNIQUE,
    organization_id  uuid          NOT NULL,
    year             integer       NOT NULL,
    latest_version   integer       NOT NULL DEFAULT 0,
    state            text,
    approved_version integer,
    version          integer       NOT NULL,
    started_at       timestamptz   NOT NULL,
    updated_at       timestamptz   NOT NULL,
    last_position    bigint        NOT NULL
);
CREATE INDEX ON fund_plans (organization_id);
COMMENT ON TABLE fund_plans IS 'One yearly plan per fund: its latest version''s state and the version in force.';

CREATE TABLE fund_plan_versions (
    plan_id          uuid          NOT NULL,
    number           integer       NOT NULL,
    state            text          NOT NULL,
    total            numeric(14,2) NOT NULL,
    expected         numeric(14,2) NOT NULL,
    proposed_by      text          NOT NULL,
    proposed_at      timestamptz   NOT NULL,
    steps            jsonb         NOT NULL DEFAULT '[]',
    position         bigint        NOT NULL,
    PRIMARY KEY (plan_id, number)
);
COMMENT ON COLUMN fund_plan_versions.steps IS
    'The version''s steps in order: {step, on, actor, recordedAt, position, attendees?, resolution?, reason?}.';

CREATE TABLE fund_plan_lines (
    plan_id          uuid          NOT NULL,
    number           integer       NOT NULL,
    line_id          uuid          NOT NULL,
    ordinal          integer       NOT NULL,
    title            text          NOT NULL,
    category         text          NOT NULL,
    amount           numeric(14,2) NOT NULL,
    PRIMARY KEY (plan_id, number, line_id)
);

CREATE TABLE fund_plan_links (
    project_id       uuid PRIMARY KEY,
    plan_id          uuid          NOT NULL,
    line_id          uuid          NOT NULL,
    linked_by        text          NOT NULL,
    linked_at        timestamptz   NOT NULL,
    last_position    bigint        NOT NULL
);
CREATE INDEX ON fund_plan_links (plan_id, line_id);

CREATE TABLE fund_report_streams (
    stream_id        uuid PRIMARY KEY,
    fund_id          uuid          NOT NULL UNIQUE,
    organization_id  uuid          NOT NULL,
    year             integer       NOT NULL
);

CREATE TABLE fund_reports (
    id               uuid PRIMARY KEY,
    stream_id        uuid          NOT NULL,
    fund_id          uuid          NOT NULL,
    organization_id  uuid          NOT NULL,
    year             integer       NOT NULL,
    kind             text          NOT NULL,
    period           text          NOT NULL,
    done_on          date          NOT NULL,
    rating           text,
    summary          text          NOT NULL,
    documents        jsonb         NOT NULL DEFAULT '[]',
    recorded_by      text          NOT NULL,
    recorded_at      timestamptz   NOT NULL,
    position         bigint        NOT NULL,
    UNIQUE (fund_id, kind, period)
);
CREATE INDEX ON fund_reports (organization_id);
COMMENT ON TABLE fund_reports IS 'The reporting cycle''s records (每月通报、半年检查、年度评估), one per fund, kind and period.';
