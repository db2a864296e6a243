-- Witnesses: every signed checkpoint is published to witnesses outside the database
-- (GRASSROOTS_WITNESSES: a directory, a NATS JetStream stream, an HTTP endpoint), so a
-- checkpoint deleted here, or a history rewritten under one, is still caught by
-- `grassroots verify --witness` (eventstore/integrity/witness*.py).
--
-- The publisher follows `checkpoints` by id, per witness, at least once: a witness's
-- cursor moves only after the witness acknowledged the checkpoint, so one that was down
-- gets every checkpoint it missed when it is back. The rows are progress, not evidence:
-- the evidence is the witness's own copy, which this database cannot change.

CREATE TABLE witness_progress (
    witness         text        PRIMARY KEY,
    checkpoint_id   bigint      NOT NULL DEFAULT 0 CHECK (checkpoint_id >= 0),
    published       bigint      NOT NULL DEFAULT 0 CHECK (published >= 0),
    published_at    timestamptz,
    failures        integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_error      text,
    last_attempt_at timestamptz
);
COMMENT ON TABLE witness_progress IS
    'Per witness (its target, without credentials): every checkpoint with id <= checkpoint_id was'
    ' acknowledged by it; failures counts consecutive failed attempts since the last success.';

-- Wakes the publisher as soon as a checkpoint is signed (it polls as a fallback): the
-- shorter the time a checkpoint lives only here, the less a deletion can hide.
CREATE FUNCTION checkpoints_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('grassroots_checkpoints', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER checkpoints_notify AFTER INSERT ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION checkpoints_notify();
