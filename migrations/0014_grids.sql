-- Read models of unit grids (网格) and their staff (一长两员).
-- A point lookup filters on the bounding-box columns in SQL (PostGIS is not in the
-- embedded server) and then tests the boundary exactly (shapely, api/graphql/grids).

CREATE TABLE grids (
    id               uuid PRIMARY KEY,
    organization_id  uuid             NOT NULL,   -- the community
    code             text             NOT NULL UNIQUE,
    name             text             NOT NULL,
    kind             text             NOT NULL,
    households       integer,
    population       integer,
    buildings        text[]           NOT NULL DEFAULT '{}',
    boundary         jsonb,
    west             double precision,
    south            double precision,
    east             double precision,
    north            double precision,
    started_on       date             NOT NULL,
    ended_on         date,
    status           text             NOT NULL DEFAULT 'ACTIVE',
    predecessor_ids  uuid[]           NOT NULL DEFAULT '{}',
    successor_ids    uuid[]           NOT NULL DEFAULT '{}',
    leaders          integer          NOT NULL DEFAULT 0,
    workers          integer          NOT NULL DEFAULT 0,
    instructors      integer          NOT NULL DEFAULT 0,
    branch_id        uuid,                        -- the grid Party branch that covers it
    understaffed     boolean          GENERATED ALWAYS AS (status = 'ACTIVE' AND (leaders = 0 OR workers = 0)) STORED,
    version          integer          NOT NULL,
    registered_by    text             NOT NULL,
    created_at       timestamptz      NOT NULL,
    updated_at       timestamptz      NOT NULL,
    last_position    bigint           NOT NULL
);
CREATE INDEX grids_community ON grids (organization_id, code);
CREATE INDEX grids_branch ON grids (branch_id) WHERE branch_id IS NOT NULL;
CREATE INDEX grids_box ON grids (west, east, south, north) WHERE boundary IS NOT NULL;

CREATE TABLE grid_staff (
    id               uuid PRIMARY KEY,            -- the assignment
    grid_id          uuid             NOT NULL,
    organization_id  uuid             NOT NULL,   -- the grid's community
    role             text             NOT NULL,
    person           text             NOT NULL,   -- member:<id> or phone:<digest>
    member_id        uuid,
    name             text             NOT NULL,
    phone            text,
    employment       text,
    started_on       date             NOT NULL,
    appointed_by     text             NOT NULL,
    appointed_reason text,
    ended_on         date,
    ended_by         text,
    ended_reason     text,
    position         bigint           NOT NULL
);
CREATE INDEX grid_staff_grid ON grid_staff (grid_id, position);
CREATE INDEX grid_staff_person ON grid_staff (person, position);
