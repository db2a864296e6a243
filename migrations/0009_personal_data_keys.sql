-- Crypto-shredding (eventstore/personal_keys.py): the keys that open the personal data
-- sealed in the log, kept outside the log.
--
-- personal_keys is an ordinary table: not hashed by tamper evidence, not under the
-- log's append-only trigger, so a member's keys can be destroyed while every event,
-- leaf and checkpoint stays as it was. Each row is one data key (one key version) of a
-- subject (the stream whose personal data it seals), wrapped with the key-encryption
-- key from configuration; rows are written and deleted only by the event store's
-- append, in the same statement as the events.

CREATE TABLE personal_keys (
    key_id      uuid PRIMARY KEY,
    subject_id  uuid        NOT NULL,
    wrapped     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON personal_keys (subject_id);

-- Subjects whose personal data was erased: their keys are gone, and every personal
-- field of their streams reads as null, including values stored in plaintext before
-- sealing existed.
CREATE TABLE personal_data_erasures (
    subject_id  uuid PRIMARY KEY,
    erased_at   timestamptz NOT NULL DEFAULT now()
);

-- The members read model forgets an erased member's ID number and phone.
ALTER TABLE members ALTER COLUMN id_number DROP NOT NULL;
ALTER TABLE members ADD COLUMN personal_data_erased_at timestamptz;
