-- The event feed: which organizations each event concerns (its scope), so that
-- subscriptions, the HTTP feed and webhooks can show an actor only the events inside
-- its organization subtree. Owned by the ``event_scopes`` projection
-- (projections/event_scopes.py), which applies every event type.

-- One row per (event, organization it concerns). An event with no row concerns no
-- organization and is visible only to whole-system actors.
CREATE TABLE event_scopes (
    position        bigint NOT NULL,
    organization_id uuid   NOT NULL,
    PRIMARY KEY (position, organization_id)
);
CREATE INDEX ON event_scopes (organization_id, position);

-- The organization a stream currently belongs to: a member's home, or the
-- ``organization_id`` of the first event of any other kind of stream.
CREATE TABLE stream_organizations (
    stream_id       uuid PRIMARY KEY,
    organization_id uuid NOT NULL
);

-- Both sides of every transfer: its events concern the sending and the receiving
-- organization alike.
CREATE TABLE event_scope_transfers (
    transfer_id          uuid PRIMARY KEY,
    from_organization_id uuid NOT NULL,
    to_organization_id   uuid NOT NULL
);
