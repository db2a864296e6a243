-- Grants from a red fund (issue 15): a grant moves money out of one ledger and into another
-- in one append (Fund.GrantMade on the red fund, Fund.GrantReceived on the receiving fund);
-- each ledger line names the other fund, so both histories show where the money went or
-- came from. Rebuildable from the log (projections/fund_movements.py); the column is NULL for
-- every older line, which is what those events mean (carry-overs keep naming the next or
-- previous fund in "reference", as before).
ALTER TABLE fund_movements ADD COLUMN counterpart_fund_id uuid;
COMMENT ON COLUMN fund_movements.counterpart_fund_id IS
    'The other fund of a grant (GRANT_OUT: the receiving fund; GRANT_IN: the red fund).';
