-- Members, part two (domain/members/exits.py): how a member left the Party, and a removal
-- that waits for the level above. Additive: existing rows keep every column; no member
-- had exited before these events existed, so NULL is every existing row's true value.

ALTER TABLE members
    ADD COLUMN exit_kind           text,
    ADD COLUMN exited_on           date,
    ADD COLUMN exit_reference      text,
    ADD COLUMN removal_proposed_on date,
    ADD COLUMN removal_reference   text;
-- Rosters and statistics count the members who have not exited.
CREATE INDEX members_in_rosters ON members (home_organization_id) WHERE exited_on IS NULL;

-- Transfers across the system's edge (domain/members/transfers.py): a transfer out of the
-- system names an external organization instead of one in the tree.
ALTER TABLE transfers
    ALTER COLUMN to_organization_id DROP NOT NULL,
    ADD COLUMN to_external_name     text,
    ADD COLUMN to_external_code     text,
    ADD COLUMN to_external_province text,
    ADD COLUMN to_external_city     text;

-- Re-issued letters (补转): the serials voided when a lost letter was re-issued.
ALTER TABLE transfers ADD COLUMN voided_serials text[] NOT NULL DEFAULT '{}';
