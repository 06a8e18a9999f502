-- 125_person_seal: the 电子签章 a 湖南 个人证书 pays for (its 350 元 holds
-- 签章费 50) is the person's own seal: a seal_items row of kind 'person'
-- (个人印章), position 0, listing the order's certificate — the person's —
-- as a 机构章 lists its order's 机构证书 (docs/modules/seal.md, "The 电子签章
-- of a certificate order").  Its name is the certificate's subject
-- (orders.subject, in clear as ever); no holder row: the person is the
-- applicant.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DO $$
DECLARE
    c record;
    n integer := 0;
BEGIN
    -- 021's checks on the kind and on position 0 of the 机构章, by what they
    -- say (the second one has a generated name)
    FOR c IN SELECT conname FROM pg_constraint
        WHERE conrelid = 'seal_items'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) IN (
              'CHECK ((kind = ANY (ARRAY[''org''::text, ''org_business''::text, ''org_person''::text])))',
              'CHECK (((kind = ''org''::text) = ("position" = 0)))')
    LOOP
        EXECUTE format('ALTER TABLE seal_items DROP CONSTRAINT %I', c.conname);
        n := n + 1;
    END LOOP;
    IF n <> 2 THEN
        RAISE EXCEPTION '125_person_seal: found % of the two checks of 021 to replace', n;
    END IF;
END $$;

ALTER TABLE seal_items ADD CONSTRAINT seal_items_kind_known
    CHECK (kind IN ('org', 'org_business', 'org_person', 'person'));
ALTER TABLE seal_items ADD CONSTRAINT seal_items_position_zero
    CHECK ((kind IN ('org', 'person')) = (position = 0));
