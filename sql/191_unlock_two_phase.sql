-- 191_unlock_two_phase: 证书解锁 of a USB key ends only when the medium
-- confirmed the new PIN (issue 70 §4; docs/modules/unlock.md, "Two
-- phases"; core/biz/medium_unlock.c).
--
-- sql/152 spent the code and made the order 已签收 when the SO PIN went to
-- the 证书助手, before the medium was touched: a lost answer or a medium
-- refusing the SO PIN left a holder with a spent code, a 解锁 refused, and
-- a page saying the new PIN was in force.  Now:
--   open      a code taken (or none yet, or voided by staff: code_hash NULL)
--   released  the SO PIN and the new one went to the tool; the same code
--             releases the same two again within its 2 hours; the order
--             stays 成功受理
--   rotated   the tool confirmed: the order 已签收, the code spent
--   void      five wrong codes locked that code; a new code opens the
--             ticket again (wrong_tries from 0)
--   cancelled the holder cancelled the order, or it ended otherwise and
--             another order of the medium took a code
-- A ticket keeps new_so_pin_enc through a new code: the medium may hold it.
-- One live ticket (open, released, void) per medium.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE unlock_tickets DROP CONSTRAINT unlock_tickets_state_check;
ALTER TABLE unlock_tickets ADD CONSTRAINT unlock_tickets_state_check
    CHECK (state IN ('open', 'released', 'rotated', 'void', 'cancelled'));
ALTER TABLE unlock_tickets DROP CONSTRAINT unlock_tickets_check;
ALTER TABLE unlock_tickets ADD CONSTRAINT unlock_tickets_released_check
    CHECK (state IN ('open', 'void', 'cancelled')
           OR (code_hash IS NOT NULL AND released_at IS NOT NULL AND new_so_pin_enc IS NOT NULL));

DROP INDEX unlock_tickets_medium;
CREATE UNIQUE INDEX unlock_tickets_medium ON unlock_tickets (medium_serial)
    WHERE state IN ('open', 'released', 'void');
