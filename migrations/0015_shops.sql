-- Read models of demonstration shops (党员示范店): shops, their selection rounds, plaque
-- tenures (one row per plaque awarded: the reconciliation's and overdue list's source),
-- objections filed in public notices, complaints and quarterly scores.

CREATE TABLE shops (
    id                     uuid PRIMARY KEY,
    organization_id        uuid        NOT NULL,   -- the business-district committee or community
    name                   text        NOT NULL,
    credit_code            text        NOT NULL,
    licence_valid_until    date        NOT NULL,
    address                text        NOT NULL,
    longitude              double precision,
    latitude               double precision,
    category               text        NOT NULL,
    owner_member_id        uuid,
    operator_name          text,
    responsible_member_id  uuid,
    operator_subject       text,                   -- the SHOP_OPERATOR account that reads it
    state                  text        NOT NULL,
    round_id               uuid,                   -- the round of its latest application
    application_id         uuid,                   -- its open application, if any
    notice_until           date,
    open_objections        integer     NOT NULL DEFAULT 0,
    plaque_serial          text,                   -- the plaque it holds now
    awarded_on             date,
    revoked_on             date,
    revoked_reason         text,
    stars                  integer,                -- the latest yearly review's 3 or 5
    refused_reason         text,                   -- why its latest application was refused
    version                integer     NOT NULL,
    registered_by          text        NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    registered_position    bigint      NOT NULL,
    last_position          bigint      NOT NULL
);
CREATE INDEX shops_organization ON shops (organization_id, registered_position);
CREATE INDEX shops_round ON shops (round_id);
CREATE INDEX shops_operator ON shops (operator_subject) WHERE operator_subject IS NOT NULL;

CREATE TABLE selection_rounds (
    id               uuid PRIMARY KEY,
    organization_id  uuid        NOT NULL,
    year             integer     NOT NULL,
    quota            integer     NOT NULL,
    notice_days      integer     NOT NULL,
    opened_on        date        NOT NULL,
    taken            integer     NOT NULL DEFAULT 0,   -- places held by approved shops
    opened_by        text        NOT NULL,
    opened_position  bigint      NOT NULL,
    last_position    bigint      NOT NULL,
    UNIQUE (organization_id, year)
);

CREATE TABLE shop_tenures (
    application_id   uuid PRIMARY KEY,             -- the application that won the plaque
    shop_id          uuid        NOT NULL,
    organization_id  uuid        NOT NULL,
    round_id         uuid        NOT NULL,
    year             integer     NOT NULL,
    plaque_serial    text        NOT NULL UNIQUE,
    awarded_on       date        NOT NULL,
    revoked_on       date,
    revoked_reason   text,
    complaint_id     uuid,                         -- the complaint that revoked it (一票否决)
    recovered_on     date,
    recovered_by     text,
    awarded_position bigint      NOT NULL
);
CREATE INDEX shop_tenures_shop ON shop_tenures (shop_id, awarded_position);
CREATE INDEX shop_tenures_organization ON shop_tenures (organization_id, awarded_on);

CREATE TABLE shop_objections (
    id               uuid PRIMARY KEY,
    shop_id          uuid        NOT NULL,
    application_id   uuid        NOT NULL,
    filed_on         date        NOT NULL,
    text             text        NOT NULL,
    filed_by         text        NOT NULL,
    upheld           boolean,
    resolution       text,
    resolved_on      date,
    position         bigint      NOT NULL
);
CREATE INDEX shop_objections_shop ON shop_objections (shop_id, position);

CREATE TABLE shop_complaints (
    id                uuid PRIMARY KEY,
    shop_id           uuid        NOT NULL,
    organization_id   uuid        NOT NULL,
    channel           text        NOT NULL,
    received_on       date        NOT NULL,
    summary           text        NOT NULL,
    complainant_name  text,
    phone             text,                        -- plaintext as the store opens it; masked by GraphQL
    state             text        NOT NULL DEFAULT 'RECEIVED',
    investigator      text,
    verified          boolean,
    serious           boolean,
    conclusion        text,
    concluded_on      date,
    recorded_by       text        NOT NULL,
    position          bigint      NOT NULL
);
CREATE INDEX shop_complaints_shop ON shop_complaints (shop_id, position);

CREATE TABLE shop_scores (
    shop_id          uuid        NOT NULL,
    year             integer     NOT NULL,
    quarter          integer     NOT NULL,
    scores           jsonb       NOT NULL,
    total            integer     NOT NULL,
    scored_on        date        NOT NULL,
    scored_by        text        NOT NULL,
    position         bigint      NOT NULL,
    PRIMARY KEY (shop_id, year, quarter)
);
