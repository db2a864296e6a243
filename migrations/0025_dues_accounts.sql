-- Dues passed up (上缴) and allocated to red funds (党费划拨): domain/funds/dues_account.py;
-- and the dues money each fund holds (domain/funds/dues_money.py). Additive.

-- Each organization's dues account of a year (its stream: uuid5 of organization and year).
CREATE TABLE dues_accounts (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL,
    year            integer     NOT NULL,
    opened_at       timestamptz NOT NULL,
    UNIQUE (organization_id, year)
);

-- One row per dues-account event that moves dues: a remittance on the sender's account
-- (REMITTED) and on the receiver's (RECEIVED), an allocation to a red fund (ALLOCATED).
CREATE TABLE dues_account_entries (
    account_id                  uuid          NOT NULL,
    version                     integer       NOT NULL,
    position                    bigint        NOT NULL,
    organization_id             uuid          NOT NULL,
    year                        integer       NOT NULL,
    entry                       text          NOT NULL,
    amount                      numeric(14,2) NOT NULL,
    business_date               date          NOT NULL,
    months                      integer[],
    counterpart_organization_id uuid,
    fund_id                     uuid,
    reference_id                uuid          NOT NULL,
    document_no                 text          NOT NULL,
    recorded_at                 timestamptz   NOT NULL,
    actor                       text          NOT NULL,
    PRIMARY KEY (account_id, version)
);
CREATE INDEX dues_account_entries_of ON dues_account_entries (organization_id, year, position);

-- The part of each fund's balance that is dues money (Fund.dues_available, before the
-- clamp to the balance). Until now no payment or grant drew on dues money by rule, so
-- the dues allocations are every existing fund's true value (a rebuild gives the same).
ALTER TABLE funds ADD COLUMN dues_balance numeric(14,2) NOT NULL DEFAULT 0;
UPDATE funds f SET dues_balance = d.amount
  FROM (SELECT fund_id, sum(amount) AS amount FROM fund_movements
         WHERE event_type = 'Fund.Allocated' AND source = 'DUES_ALLOCATION' GROUP BY fund_id) d
 WHERE f.id = d.fund_id;
