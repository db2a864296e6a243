-- The whole append as one function, so that a command costs one round trip and the
-- log lock is held only inside the server.
--
-- The event store used to send each step as its own statement in one transaction
-- (about nine round trips for a registration). The lock that orders positions was then
-- held across three of them, and across the client's event loop between them: under
-- concurrent requests that wait, not the database, bounded the append rate. Called as
-- a single statement outside an explicit transaction, the function's transaction
-- commits as soon as it returns, and the lock (a transaction lock) goes with it.
--
-- Steps and order are those of eventstore/postgres.py before this migration:
-- idempotency key, stream versions (in stream id order), guards, releases, claims,
-- vacancy checks, then the ordered insert under the log lock and the notification.
-- Expected failures raise these SQLSTATEs, which the event store turns into typed errors:
--   GL001 version conflict (message says which stream)
--   GL002 claim conflict   (detail: the 1-based index of the claim)
--   GL003 owner not vacant (detail: the owner's uuid)

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
    p_log_lock bigint, p_channel text
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
        PERFORM pg_advisory_xact_lock(p_log_lock);
        WITH inserted AS (
            INSERT INTO events (stream_id, stream_type, version, event_id, event_type,
                                schema_version, payload, actor, actor_roles, correlation_id,
                                causation_id, command_id, reason)
            SELECT s, st, v, e, et, sv, p, p_actor, p_actor_roles, p_correlation_id,
                   p_causation_id, p_command_id, p_reason
              FROM unnest(p_e_stream_ids, p_e_stream_types, p_e_versions, p_e_event_ids,
                          p_e_types, p_e_schema_versions, p_e_payloads)
                   WITH ORDINALITY AS t(s, st, v, e, et, sv, p, n)
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
    'One append of the event store, in one round trip; see migrations/0007_append_function.sql.';
