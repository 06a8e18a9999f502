-- A seal's 印章名称 as 我的电子印章, 电子印章管理 and 我的证书 show it: the
-- name the applicant gave (seal_items.seal_name), else, for the 机构章 of a
-- 证书新办 with its seal bundled (建筑工务署's 是否办理电子签章, 湖南's
-- 签章费), which asks for none, the unit's name and the seal's kind as seed
-- 001 names it: 深圳市某某有限公司机构章.  The SESeal itself is made from
-- the unit's name and seal_name (core/biz/sealprod.c), not from this.
CREATE OR REPLACE FUNCTION seal_shown_name(p_kind text, p_seal_name text, p_order_id bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(p_seal_name, ''),
                    CASE WHEN p_kind = 'org' THEN
                        (SELECT nullif(o.subject, '') || '机构章' FROM orders o WHERE o.id = p_order_id)
                    END, '')
$$;
