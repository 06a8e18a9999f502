-- 062_change.sql: 证书变更 (modules/change) sold where the seeds' menu has it.
--
-- Seed 002's partner menu (CA证书办理 · CA证书补办 · CA证书变更 · …) and the
-- agreement's clause 7 (report changed data) ask for it; the seeds give no
-- price.  Chosen (docs/partners.md): 变更费 100元 for every certificate type,
-- one period (the new certificate keeps the old one's end of validity, so
-- no year choice), the PIN as the partner's new certificates carry it, made
-- automatically once approved like 介质遗失补办's (sql/022).  Sold by the
-- generic hall, Jieyang (seed 000: 揭阳公共资源) and Hunan (seed 002's menu),
-- for each type each sells new; a partner added later sells it only with
-- rows of its own.

INSERT INTO products (partner_code, business_type, cert_type, name, price_per_year_fen,
                      fixed_fee_fen, seal_fee_per_year_fen, breakdown, min_years, max_years,
                      max_count, pin_by_memo, sort_order, auto_issue)
SELECT n.partner_code, 'change', n.cert_type, n.name || '变更', 0, 10000, 0,
       '{"变更费": 10000}', 1, 1, NULL, n.pin_by_memo, n.sort_order, true
  FROM products n
 WHERE n.business_type = 'new' AND n.active
   AND n.partner_code IN ('hall', 'jieyang', 'hunan')
   AND NOT EXISTS (SELECT 1 FROM products c
                    WHERE c.partner_code = n.partner_code AND c.business_type = 'change'
                      AND c.cert_type = n.cert_type);

-- its agreements: those of 介质遗失补办, the other flow that replaces a
-- certificate of the applicant's (《电子认证服务协议》《敏感个人信息授权书》)
UPDATE agreements SET business_types = business_types || '{change}'
 WHERE business_types @> '{reissue}' AND NOT business_types @> '{change}';
