-- Dues (domain/members/dues.py) and the six-month review's evidence. Additive: existing
-- rows keep every column; before these events no member had an assessment, a payment
-- through the system or a recorded activity, so NULL is every existing row's true value.

-- Each member's assessment per year, with the reduction decided or waiting. The declared
-- income is personal data: the log holds it sealed, this table as the store opens it (as
-- members holds ID numbers), and Member.PersonalDataErased clears it.
CREATE TABLE dues_assessments (
    member_id          uuid          NOT NULL,
    year               integer       NOT NULL,
    category           text          NOT NULL,
    declared_income    numeric(14,2),
    monthly_amount     numeric(14,2) NOT NULL,
    basis              text          NOT NULL,
    reduced_to         numeric(14,2),
    pending_amount     numeric(14,2),
    pending_decided_on date,
    pending_reference  text,
    assessed_at        timestamptz   NOT NULL,
    PRIMARY KEY (member_id, year)
);

-- Every payment, at the organization that collected it (the member's home then): the
-- collection totals per organization and month are sums over this table.
CREATE TABLE dues_payments (
    position        bigint        PRIMARY KEY,
    member_id       uuid          NOT NULL,
    organization_id uuid          NOT NULL,
    paid_on         date          NOT NULL,
    first_month     date          NOT NULL,
    through_month   date          NOT NULL,
    months          integer       NOT NULL,
    amount          numeric(14,2) NOT NULL,
    late_reason     text,
    recorded_at     timestamptz   NOT NULL
);
CREATE INDEX dues_payments_collected ON dues_payments (organization_id, paid_on);
CREATE INDEX dues_payments_of_member ON dues_payments (member_id, position);

-- The six-month review (自行脱党): the latest evidence of each kind, and the latest month
-- any of it (or joining) falls in: dates the events carry, never the time they were
-- recorded, so the review follows the domain's clock. A member is flagged when that month
-- lies six full months or more back (the dues paid-through month a member is registered
-- with counts as evidence).
ALTER TABLE members
    ADD COLUMN last_dues_paid_on     date,
    ADD COLUMN last_party_life_on    date,
    ADD COLUMN last_assigned_work_on date;
ALTER TABLE members ADD COLUMN last_active_month date GENERATED ALWAYS AS (greatest(
    date_trunc('month', joined_on::timestamp)::date,
    dues_paid_through,
    date_trunc('month', last_dues_paid_on::timestamp)::date,
    date_trunc('month', last_party_life_on::timestamp)::date,
    date_trunc('month', last_assigned_work_on::timestamp)::date)) STORED;
CREATE INDEX members_for_review ON members (last_active_month) WHERE exited_on IS NULL;
