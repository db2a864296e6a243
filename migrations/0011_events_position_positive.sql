-- Positions start at 1: the identity column (0001) and grassroots_append (0007) never
-- assign anything else, and `grassroots verify` walks every row there is. A row forged
-- at position 0 or below (OVERRIDING SYSTEM VALUE, by a superuser) would sort before the
-- hashed log; the schema now refuses it outright.
ALTER TABLE events ADD CONSTRAINT events_position_positive CHECK (position > 0);
