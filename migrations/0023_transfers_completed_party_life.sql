-- Transfers, completed (domain/members/incoming.py, revocation.py) and Party life
-- (domain/members/party_life.py). Additive: existing rows keep every column; before these
-- events no transfer came from outside the system, was approved, rejected or revoked, so
-- NULL is every existing row's true value.

-- Into the system: the sending organization is outside the tree (named instead).
ALTER TABLE transfers
    ALTER COLUMN from_organization_id DROP NOT NULL,
    ADD COLUMN from_external_name     text,
    ADD COLUMN from_external_code     text,
    ADD COLUMN from_external_province text,
    ADD COLUMN from_external_city     text;

-- The approval step (审批) before the letter, and its rejection.
ALTER TABLE transfers
    ADD COLUMN approved_on      date,
    ADD COLUMN rejection_reason text;

-- Revocation of a completed transfer: proposed by a side, then approved (REVOKED) or rejected.
ALTER TABLE transfers
    ADD COLUMN revocation_proposed_by uuid,
    ADD COLUMN revocation_proposed_on date,
    ADD COLUMN revocation_reason      text,
    ADD COLUMN revoked_on             date;

-- Letters waiting for the receiver, by issue date (transfers(filter: {waitingLongerThan})).
CREATE INDEX transfers_waiting ON transfers (issued_on) WHERE state IN ('LETTER_ISSUED', 'EXPIRED');

-- One row per meeting of Party life (三会一课, 主题党日), with its attendance.
CREATE TABLE party_life_meetings (
    id                   uuid        PRIMARY KEY,
    organization_id      uuid        NOT NULL,
    kind                 text        NOT NULL,
    held_on              date        NOT NULL,
    topic                text        NOT NULL,
    attended             uuid[]      NOT NULL,
    absent_with_leave    uuid[]      NOT NULL,
    absent_without_leave uuid[]      NOT NULL,
    recorded_at          timestamptz NOT NULL,
    position             bigint      NOT NULL
);
CREATE INDEX party_life_meetings_held ON party_life_meetings (organization_id, held_on);
-- A member's attendance (partyLifeMeetings(attendedBy:)).
CREATE INDEX party_life_meetings_attended ON party_life_meetings USING gin (attended);
