-- Grids, part two: a member's residence grid (居住地网格, for in-service members reporting where
-- they live), one row per period. Owned by the ``member_residences`` projection.

CREATE TABLE member_residences (
    position         bigint       PRIMARY KEY,   -- the event that began the period
    member_id        uuid         NOT NULL,
    residence_id     uuid         NOT NULL,      -- the Residence stream (uuid5 of the member)
    grid_id          uuid         NOT NULL,
    organization_id  uuid         NOT NULL,      -- the grid's community
    started_on       date         NOT NULL,
    ended_on         date,                       -- null while current
    assigned_by      text         NOT NULL,
    reason           text,
    recorded_at      timestamptz  NOT NULL
);
CREATE UNIQUE INDEX member_residences_current ON member_residences (member_id) WHERE ended_on IS NULL;
CREATE INDEX member_residences_grid ON member_residences (grid_id, member_id) WHERE ended_on IS NULL;
CREATE INDEX member_residences_member ON member_residences (member_id, position);

-- A building Party group's grid and the buildings it covers (one row per group, the current link).
-- Owned by the ``building_group_grids`` projection.
CREATE TABLE building_group_grids (
    organization_id  uuid         PRIMARY KEY,   -- the BUILDING_GROUP organization
    link_id          uuid         NOT NULL UNIQUE,  -- the BuildingGroupGrid stream (uuid5 of the group)
    grid_id          uuid         NOT NULL,
    buildings        text[]       NOT NULL,
    started_on       date         NOT NULL,
    assigned_by      text         NOT NULL,
    reason           text,
    version          integer      NOT NULL,
    last_position    bigint       NOT NULL
);
CREATE INDEX building_group_grids_grid ON building_group_grids (grid_id);

-- Member central households (党员中心户) as designations of members. Owned by the
-- ``central_households`` projection. Door numbers only: no neighbour's personal data.
CREATE TABLE central_households (
    id                 uuid         PRIMARY KEY,  -- the designation's stream
    organization_id    uuid         NOT NULL,     -- the grid's community
    grid_id            uuid         NOT NULL,
    member_id          uuid         NOT NULL,
    building_group_id  uuid,
    building           text         NOT NULL,
    doors              text[]       NOT NULL DEFAULT '{}',
    households         integer      NOT NULL,
    started_on         date         NOT NULL,
    ended_on           date,
    designated_by      text         NOT NULL,
    reason             text,
    ended_by           text,
    ended_reason       text,
    version            integer      NOT NULL,
    position           bigint       NOT NULL      -- the designation's event
);
CREATE INDEX central_households_grid ON central_households (grid_id, position);
CREATE INDEX central_households_community ON central_households (organization_id, position);
