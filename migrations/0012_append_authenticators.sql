-- Append authenticators (issue 10, item 6): the application's mark on every event.
--
-- The hasher used to seal whatever it found in `events`, so a row a superuser INSERTed
-- was hashed and signed into the next checkpoint like a real one. Now the application
-- authenticates every append with a key the database never holds
-- (eventstore/integrity/authenticators.py: HMAC-SHA256 over the SHA-256 of the event's
-- append encoding, with the id of the key that made it), and the hasher seals a row only
-- if its authenticator verifies. This migration adds the two columns, makes
-- grassroots_append (0007) store them (and refuse an append without them), and records
-- where the log stood when authenticators began.
--
-- Rows already in the log carry no authenticator: they are legacy events, every one up to
-- the log's head when this migration runs (append_authentication.legacy_position), sealed
-- or not. Those the hasher had not sealed yet are sealed without one after the upgrade;
-- their number is recorded (unsealed_at_upgrade) and `grassroots verify` reports it, since
-- they are only as trustworthy as the log was before authenticators existed. Refusing the
-- upgrade instead would strand a data directory whose events were never hashed (a
-- `grassroots demo` load never served) behind a version it no longer has.

ALTER TABLE events
    ADD COLUMN append_key_id text,
    ADD COLUMN append_mac bytea,
    ADD CONSTRAINT events_append_authenticator CHECK (
        (append_key_id IS NULL) = (append_mac IS NULL)
        AND (append_mac IS NULL OR length(append_mac) = 32));
COMMENT ON COLUMN events.append_key_id IS
    'Id of the application key that authenticated this append (null: a legacy event, 0012).';
COMMENT ON COLUMN events.append_mac IS
    'HMAC-SHA256 by that key over SHA-256 of the append encoding; the hasher seals only rows it verifies.';

CREATE TABLE append_authentication (
    only_row        boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    legacy_position bigint      NOT NULL,
    legacy_leaves   bigint      NOT NULL,
    unsealed_at_upgrade bigint  NOT NULL DEFAULT 0,
    since           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE append_authentication IS
    'Where the log stood when append authenticators began: events up to legacy_position carry none'
    ' (legacy_leaves of them; unsealed_at_upgrade were not hashed yet and are sealed without one).';
INSERT INTO append_authentication (legacy_position, legacy_leaves, unsealed_at_upgrade)
SELECT greatest(h.position, coalesce(e.last, 0)), coalesce(e.n, 0), coalesce(e.unsealed, 0)
  FROM hasher_tracking h,
       LATERAL (SELECT max(position) AS last, count(*) AS n,
                       count(*) FILTER (WHERE position > h.position) AS unsealed
                  FROM events) e;
CREATE TRIGGER append_authentication_append_only BEFORE UPDATE OR DELETE ON append_authentication
    FOR EACH ROW EXECUTE FUNCTION integrity_append_only();
CREATE TRIGGER append_authentication_no_truncate BEFORE TRUNCATE ON append_authentication
    FOR EACH STATEMENT EXECUTE FUNCTION integrity_append_only();

-- The function of 0007 with two more parameters: the signing key's id and one
-- authenticator per event, stored with the events in the same insert (no round trip more).
DROP FUNCTION grassroots_append(
    text, text[], uuid, uuid, text, text, text, text, jsonb,
    uuid[], text[], integer[], integer[], uuid[], integer[], text[], text[],
    text[], text[], uuid[], boolean[], uuid[], text[],
    uuid[], text[], integer[], uuid[], text[], integer[], jsonb[], bigint, text);

CREATE FUNCTION grassroots_append(
    p_actor text, p_actor_roles text[], p_correlation_id uuid, p_causation_id uuid,
    p_command_id text, p_reason text,
    p_idem_key text, p_fingerprint text, p_result jsonb,
    p_stream_ids uuid[], p_stream_types text[], p_firsts integer[], p_lasts integer[],
    p_guard_ids uuid[], p_guard_versions integer[],
    p_release_scopes text[], p_release_keys text[],
    p_claim_scopes text[], p_claim_keys text[], p_claim_owners uuid[], p_claim_replace boolean[],
    p_vacant_owners uuid[], p_vacant_scopes text[],
    p_e_stream_ids uuid[], p_e_stream_types text[], p_e_versions integer[], p_e_event_ids uuid[],
    p_e_types text[], p_e_schema_versions integer[], p_e_payloads jsonb[],
    p_log_lock bigint, p_channel text,
    p_append_key_id text, p_e_macs bytea[]
) RETURNS TABLE (out_replayed boolean, out_position bigint, out_result jsonb, out_fingerprint text)
LANGUAGE plpgsql AS $$
DECLARE
    v_owner uuid;
    v_stream uuid;
    v_last bigint;
BEGIN
    IF p_idem_key IS NOT NULL THEN
        -- Taking the key first makes a concurrent repeat wait for this transaction and
        -- then find the key taken.
        INSERT INTO idempotency_keys (actor, key, fingerprint, last_position, result)
        VALUES (p_actor, p_idem_key, p_fingerprint, 0, '{}') ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN QUERY SELECT true, k.last_position, k.result, k.fingerprint
                           FROM idempotency_keys k WHERE k.actor = p_actor AND k.key = p_idem_key;
            RETURN;
        END IF;
    END IF;

    FOR i IN 1 .. coalesce(array_length(p_stream_ids, 1), 0) LOOP
        IF p_firsts[i] = 1 THEN
            INSERT INTO streams (stream_id, stream_type, version)
            VALUES (p_stream_ids[i], p_stream_types[i], p_lasts[i]) ON CONFLICT DO NOTHING;
        ELSE
            UPDATE streams SET version = p_lasts[i]
             WHERE stream_id = p_stream_ids[i] AND version = p_firsts[i] - 1;
        END IF;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'GL001', MESSAGE = format(
                'stream %s is no longer at version %s', p_stream_ids[i], p_firsts[i] - 1);
        END IF;
    END LOOP;

    IF coalesce(array_length(p_guard_ids, 1), 0) > 0 THEN
        PERFORM 1 FROM streams WHERE stream_id = ANY(p_guard_ids) ORDER BY stream_id FOR SHARE;
        SELECT g.id INTO v_stream
          FROM unnest(p_guard_ids, p_guard_versions) AS g(id, version)
          LEFT JOIN streams s ON s.stream_id = g.id
         WHERE s.version IS DISTINCT FROM g.version
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'GL001', MESSAGE = format(
                'stream %s changed while the command ran', v_stream);
        END IF;
    END IF;

    FOR i IN 1 .. coalesce(array_length(p_release_scopes, 1), 0) LOOP
        DELETE FROM claims WHERE scope = p_release_scopes[i] AND key = p_release_keys[i];
    END LOOP;

    FOR i IN 1 .. coalesce(array_length(p_claim_scopes, 1), 0) LOOP
        IF p_claim_replace[i] THEN
            INSERT INTO claims (scope, key, owner) VALUES (p_claim_scopes[i], p_claim_keys[i], p_claim_owners[i])
            ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner, claimed_at = now();
        ELSE
            -- DO UPDATE (a no-op) rather than DO NOTHING: it waits for a concurrent
            -- claimer, then returns the committed owner.
            INSERT INTO claims (scope, key, owner) VALUES (p_claim_scopes[i], p_claim_keys[i], p_claim_owners[i])
            ON CONFLICT (scope, key) DO UPDATE SET owner = claims.owner
            RETURNING owner INTO v_owner;
            IF v_owner <> p_claim_owners[i] THEN
                RAISE EXCEPTION USING ERRCODE = 'GL002', DETAIL = i::text, MESSAGE = format(
                    '%s %s is already claimed', p_claim_scopes[i], p_claim_keys[i]);
            END IF;
        END IF;
    END LOOP;

    IF coalesce(array_length(p_vacant_owners, 1), 0) > 0 THEN
        SELECT v.owner INTO v_owner
          FROM unnest(p_vacant_owners, p_vacant_scopes) WITH ORDINALITY AS v(owner, scope, n)
         WHERE EXISTS (SELECT 1 FROM claims c WHERE c.owner = v.owner AND c.scope = v.scope)
         ORDER BY v.n LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'GL003', DETAIL = v_owner::text, MESSAGE = format(
                '%s still holds claims', v_owner);
        END IF;
    END IF;

    IF coalesce(array_length(p_e_event_ids, 1), 0) > 0 THEN
        IF p_append_key_id IS NULL
           OR array_length(p_e_macs, 1) IS DISTINCT FROM array_length(p_e_event_ids, 1)
           OR array_position(p_e_macs, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'grassroots_append: every event needs its append authenticator';
        END IF;
        PERFORM pg_advisory_xact_lock(p_log_lock);
        WITH inserted AS (
            INSERT INTO events (stream_id, stream_type, version, event_id, event_type,
                                schema_version, payload, actor, actor_roles, correlation_id,
                                causation_id, command_id, reason, append_key_id, append_mac)
            SELECT s, st, v, e, et, sv, p, p_actor, p_actor_roles, p_correlation_id,
                   p_causation_id, p_command_id, p_reason, p_append_key_id, m
              FROM unnest(p_e_stream_ids, p_e_stream_types, p_e_versions, p_e_event_ids,
                          p_e_types, p_e_schema_versions, p_e_payloads, p_e_macs)
                   WITH ORDINALITY AS t(s, st, v, e, et, sv, p, m, n)
             ORDER BY n
            RETURNING position
        )
        SELECT max(position) INTO v_last FROM inserted;
        PERFORM pg_notify(p_channel, v_last::text);
    ELSE
        SELECT coalesce(max(position), 0) INTO v_last FROM events;
    END IF;

    IF p_idem_key IS NOT NULL THEN
        UPDATE idempotency_keys SET last_position = v_last, result = p_result
         WHERE actor = p_actor AND key = p_idem_key;
    END IF;
    RETURN QUERY SELECT false, v_last, NULL::jsonb, NULL::text;
END $$;

COMMENT ON FUNCTION grassroots_append IS
    'One append of the event store, in one round trip, with its append authenticators;'
    ' see migrations/0007_append_function.sql and 0012_append_authenticators.sql.';
