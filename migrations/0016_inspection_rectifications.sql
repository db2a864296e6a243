-- Inspections with teeth (issue 15): a finding's category, its rectification deadline and
-- where its rectification stands (recorded, rejected, verified). The read model is
-- rebuildable from the log (projections/inspections.py); the defaults below are what the
-- log's older events mean (FindingRecorded v1: no category, no deadline).
ALTER TABLE inspection_findings
    ADD COLUMN category         text    NOT NULL DEFAULT 'OTHER',
    ADD COLUMN rectify_by       date,
    ADD COLUMN state            text    NOT NULL DEFAULT 'OPEN',
    ADD COLUMN rejections       integer NOT NULL DEFAULT 0,
    ADD COLUMN rejection_reason text,
    ADD COLUMN verified_on      date;
UPDATE inspection_findings SET state = 'RECTIFIED' WHERE rectified_on IS NOT NULL;
-- Closed inspections settled their findings under the old rule (rectified was enough).
UPDATE inspection_findings f SET state = 'VERIFIED'
  FROM inspections i WHERE i.id = f.inspection_id AND i.state = 'CLOSED';
-- open_findings now counts findings whose rectification is not verified.
UPDATE inspections i SET open_findings = (SELECT count(*) FROM inspection_findings f
                                            WHERE f.inspection_id = i.id AND f.state <> 'VERIFIED');
CREATE INDEX inspection_findings_due ON inspection_findings (rectify_by)
    WHERE state IN ('OPEN', 'REJECTED');
