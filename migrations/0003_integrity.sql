-- Tamper evidence: an RFC 6962 Merkle tree over the event log, and signed checkpoints.
--
-- The background hasher (projections/hasher.py) follows the log and, per page, inserts
-- one leaf per event (leaf_index = ordinal in the hashed sequence, next to the event's
-- position), every complete subtree node that page finishes, and its own progress, in
-- one transaction. Checkpoints sign (tree size, root hash, last position, time) with
-- Ed25519. Nothing here is ever updated or deleted: the triggers refuse it, like the
-- log's own. The canonical leaf encoding is documented in eventstore/integrity.py.

CREATE TABLE event_leaves (
    leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
    position   bigint NOT NULL UNIQUE,
    hash       bytea  NOT NULL CHECK (length(hash) = 32)
);
COMMENT ON TABLE event_leaves IS
    'RFC 6962 leaf hash of each event, in log order: SHA-256(0x00 || canonical event bytes).';

-- Complete subtrees only: node (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
-- Every inclusion or consistency proof needs O(log n) of these rows (the incomplete right
-- edge of a tree is folded from the complete subtrees it consists of).
CREATE TABLE merkle_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE hasher_tracking (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position   bigint  NOT NULL DEFAULT 0,
    tree_size  bigint  NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hasher_tracking IS 'Last log position hashed and the number of leaves so far.';
INSERT INTO hasher_tracking DEFAULT VALUES;

CREATE TABLE checkpoints (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tree_size     bigint      NOT NULL CHECK (tree_size >= 0),
    root_hash     bytea       NOT NULL CHECK (length(root_hash) = 32),
    last_position bigint      NOT NULL,
    signed_at     timestamptz NOT NULL,
    key_id        text        NOT NULL,
    public_key    bytea       NOT NULL,
    signature     bytea       NOT NULL,
    origin        text        NOT NULL CHECK (origin IN ('periodic', 'on_demand')),
    requested_by  text
);
CREATE INDEX checkpoints_tree_size ON checkpoints (tree_size);
COMMENT ON TABLE checkpoints IS
    'Ed25519-signed tree heads; the signed text is eventstore.integrity.checkpoint_text().';

CREATE FUNCTION integrity_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER event_leaves_append_only BEFORE UPDATE OR DELETE ON event_leaves
    FOR EACH ROW EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER event_leaves_no_truncate BEFORE TRUNCATE ON event_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION integrity_append_only();
