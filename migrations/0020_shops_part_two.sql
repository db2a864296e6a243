-- Shops, part two: a complainant's personal data lives in the complaint's own stream
-- (ShopComplainant.*) and can be erased; a selection round closes once nothing is pending.
-- Additive: no complainant was erased and no round closed before these events existed, so
-- NULL (and 0 pending) is every existing row's true value until a rebuild recounts it.

ALTER TABLE shop_complaints
    ADD COLUMN personal_data_erased_at timestamptz;

ALTER TABLE selection_rounds
    ADD COLUMN pending    integer NOT NULL DEFAULT 0,
    ADD COLUMN closed_on  date,
    ADD COLUMN closed_by  text;
