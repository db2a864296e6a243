-- Public disclosures per period (公示, issue 15 gaps 5 and 10): one row per Fund.PeriodDisclosed,
-- with the SHA-256 digest of the period's canonical table (domain/funds/disclosure.py). A period
-- disclosed again after a correction has a row per disclosure; the latest is the one in force.
-- Rebuildable from the log (projections/fund_disclosures.py); scoped through the fund's row (funds).
CREATE TABLE fund_disclosures (
    fund_id          uuid          NOT NULL,
    version          integer       NOT NULL,
    position         bigint        NOT NULL,
    period           text          NOT NULL,
    period_from      date          NOT NULL,
    period_to        date          NOT NULL,
    digest           text          NOT NULL,
    covers_version   integer       NOT NULL,
    published_on     date          NOT NULL,
    place            text          NOT NULL,
    opening_balance  numeric(14,2) NOT NULL,
    closing_balance  numeric(14,2) NOT NULL,
    recorded_at      timestamptz   NOT NULL,
    actor            text          NOT NULL,
    PRIMARY KEY (fund_id, version)
);
CREATE INDEX ON fund_disclosures (fund_id, period, version);
COMMENT ON TABLE fund_disclosures IS
    'One row per Fund.PeriodDisclosed: the digest of the period''s published table (grassroots-disclosure/1).';
