-- The forbidden-purpose screen's near misses, kept with each project for its approver
-- (domain/funds/screening.py; Fund.ProjectProposed v2 records them as review_flags).
-- Projects proposed before the screen flagged anything have none.

ALTER TABLE projects ADD COLUMN review_flags text[] NOT NULL DEFAULT '{}';
