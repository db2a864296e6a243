-- Mobile members, dual reporting, volunteer hours and the yearly appraisal
-- (domain/members/mobile.py, reporting.py, volunteering.py, appraisal.py). New tables only:
-- before these events no member had a card, a report, an entry or a rating.

-- Every activity card (流动党员活动证) ever issued; a member holds at most one open card
-- (closed_on IS NULL). The number is unique for ever (the log's claim keeps it so; the
-- primary key here repeats it).
CREATE TABLE mobile_cards (
    number                  text        PRIMARY KEY,
    member_id               uuid        NOT NULL,
    issued_position         bigint      NOT NULL,
    issued_on               date        NOT NULL,
    outflow_organization_id uuid        NOT NULL,
    inflow_organization_id  uuid,
    inflow_name             text,
    inflow_province         text,
    inflow_city             text,
    inflow_code             text,
    last_reviewed_on        date,
    closed_on               date
);
CREATE INDEX mobile_cards_of_member ON mobile_cards (member_id, issued_position);
CREATE INDEX mobile_cards_open ON mobile_cards (member_id) WHERE closed_on IS NULL;

-- One report a year where the member lives (双报到), at the community named.
CREATE TABLE residence_reports (
    member_id            uuid    NOT NULL,
    year                 integer NOT NULL,
    community_id         uuid    NOT NULL,
    reported_on          date    NOT NULL,
    needs                text[]  NOT NULL,
    late                 boolean NOT NULL,
    home_organization_id uuid    NOT NULL,
    PRIMARY KEY (member_id, year)
);
CREATE INDEX residence_reports_at ON residence_reports (community_id, year);

-- Every volunteer entry: pending (the member's own), confirmed (counts) or rejected.
CREATE TABLE volunteer_entries (
    entry_id     uuid         PRIMARY KEY,
    member_id    uuid         NOT NULL,
    year         integer      NOT NULL,
    activity     text         NOT NULL,
    on_date      date         NOT NULL,
    hours        numeric(4,1) NOT NULL,
    state        text         NOT NULL,
    source       text,
    reference    text,
    logged_by    text         NOT NULL,
    logged_at    timestamptz  NOT NULL,
    decided_by   text,
    decided_at   timestamptz,
    reject_reason text
);
CREATE INDEX volunteer_entries_of_member ON volunteer_entries (member_id, year, on_date);

-- One rating a year (民主评议党员), with the figures the rules were checked against.
CREATE TABLE appraisals (
    member_id          uuid         NOT NULL,
    year               integer      NOT NULL,
    rating             text         NOT NULL,
    appraised_on       date         NOT NULL,
    organization_id    uuid         NOT NULL,
    volunteer_hours    numeric(6,1) NOT NULL,
    volunteer_projects integer      NOT NULL,
    reported           boolean      NOT NULL,
    in_service         boolean      NOT NULL,
    appraised_by       text         NOT NULL,
    PRIMARY KEY (member_id, year)
);

-- One report a year of a resident unit (驻区单位, an organization of the tree) to the
-- community where it lies (domain/members/unit_reports.py).
CREATE TABLE unit_reports (
    organization_id uuid    NOT NULL,
    year            integer NOT NULL,
    community_id    uuid    NOT NULL,
    reported_on     date    NOT NULL,
    needs           text[]  NOT NULL,
    late            boolean NOT NULL,
    PRIMARY KEY (organization_id, year)
);
CREATE INDEX unit_reports_at ON unit_reports (community_id, year);
