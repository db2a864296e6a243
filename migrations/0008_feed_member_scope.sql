-- The feed judges a member's events by the member's current home and open transfers
-- (the members and transfers read models), as the queries do, instead of the home at
-- the time of each event (projections/feed/reading.py). The event_scopes projection
-- therefore records nothing for Member streams any more: its old rows for them, the
-- members' entries in stream_organizations and the table of transfer sides go.
DELETE FROM event_scopes s USING events e
 WHERE e.position = s.position AND e.stream_type = 'Member';
DELETE FROM stream_organizations o USING streams st
 WHERE st.stream_id = o.stream_id AND st.stream_type = 'Member';
DROP TABLE event_scope_transfers;
