-- 169_media_states: the states a medium that failed halfway is left in
-- (docs/internals/pki.md, "Production onto a medium", "A medium left
-- initialising"; issue 64 §1).
--
-- core/biz/produce.c has always recorded a failed medium as 'wiped'
-- (C_InitToken again), 'void' (never touched) or 'spoilt' (could not be
-- wiped), but sql/145 allowed 'wiped' only: the two others broke the
-- failure's transaction, and the row stayed 'initialising'.  A medium a
-- killed producer left 'initialising' is now reconciled to the same states
-- (core/biz/medium_reconcile.c: the next 制作证书 onto a USB key, or
-- hall-pkitool media-reconcile).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE media DROP CONSTRAINT media_state_check;
ALTER TABLE media ADD CONSTRAINT media_state_check
    CHECK (state IN ('initialising', 'issued', 'wiped', 'void', 'spoilt'));
-- the stale ones a reconciler looks for
CREATE INDEX media_initialising ON media (created_at) WHERE state = 'initialising';
