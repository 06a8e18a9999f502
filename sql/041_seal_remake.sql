-- 041_seal_remake: a seal follows the certificate that signs it (issue 22 §7).
--
-- When the certificate a seal lists is replaced (介质遗失补办 today), the
-- production of the new certificate re-makes the seal on it
-- (core/sealprod.c, hall_sealprod_remake_*): a new seseals row for the same
-- seal_items row, and the old one 'replaced' with when and by which seal.
-- seseals_live_item still allows one valid seal per seal_items row; the
-- new row is inserted after the old one left 'valid' in the same
-- transaction, so replaced_by is checked at COMMIT.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE seseals DROP CONSTRAINT seseals_state_check;
ALTER TABLE seseals
    ADD CONSTRAINT seseals_state_check CHECK (state IN ('valid', 'revoked', 'replaced')),
    ADD COLUMN replaced_at timestamptz NULL,
    ADD COLUMN replaced_by text NULL REFERENCES seseals(es_id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT seseals_replaced_whole
        CHECK ((state = 'replaced') = (replaced_at IS NOT NULL)
           AND (state = 'replaced') = (replaced_by IS NOT NULL));

-- the seals a certificate signs (the re-make looks them up by the old serial)
CREATE INDEX seseals_cert_idx ON seseals (cert_serial);
