-- 003_seed.sql: seed rows for the reference tables of 002_reference.sql.
--
-- Where each row comes from (seed file or our own choice) is listed in
-- docs/internals/reference-data.md.  Divisions are not seeded here: they
-- come from script/lib/load-divisions.js.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- ---------------------------------------------------------------------------
-- Partners

INSERT INTO partners (code, name, short_name, entry_path, requires_project_id,
                      review_sla_days, seal_offered, seal_default,
                      legal_person_auth_allowed, link_secret, sms_business_name,
                      shipping_prepaid, shipping_collect_carriers, promotion)
VALUES
    -- seed 001 (seal) and 004 (reissue): 3 working days, 京东寄付 13 元 or 到付
    ('hall', '深圳CA网上营业厅', '网上营业厅', '/', false,
     3, false, false, true, NULL, '', true, '{SF,EMS}', NULL),
    -- seed 000: two working days, 顺丰/EMS到付
    ('jieyang', '揭阳公共资源', '揭阳公共资源', '/jieyang/', false,
     2, false, false, true, NULL, '揭阳公共资源', false, '{SF,EMS}', NULL),
    -- seed 002: one working day, 顺丰到付, partner name in the SMS texts;
    -- redirects in with signed links: its dev secret is never written here
    -- in clear (it was, before 140): hall-pkitool partner-secrets sets it
    -- encrypted at the first start (sql/140_partner_secrets_enc.sql)
    ('hunan', '湖南省公共资源交易服务平台', '湖南公共资源', '/hunan/', false,
     1, false, false, true, NULL,
     '湖南省公共资源交易服务平台', false, '{SF}', NULL),
    -- seed 003: projectId link, seal offered (default 是), promotion popup,
    -- one working day, 邮费到付; its SMS texts carry no partner name
    ('szjsgws', '深圳市建筑工务署政府工程承包商资信管理系统', '建筑工务署', '/szjsgws/', true,
     1, true, true, true, NULL, '', false, '{SF,EMS}',
     '{"title": "办理深圳CA数字证书，送好礼",
       "business_types": ["new"],
       "gifts": [
         {"years": 1, "requires_seal": true,  "gift": "品牌充电宝10000毫安"},
         {"years": 3, "requires_seal": false, "gift": "联想无线蓝牙耳机"},
         {"years": 5, "requires_seal": false, "gift": "小度音箱"}
       ],
       "text": "即日起，办理深圳CA数字证书，送好礼啦！办理一年期数字证书（含电子签章）赠送品牌充电宝10000毫安。办理三年期数字证书赠送联想无线蓝牙耳机。办理五年期数字证书赠送小度音箱。",
       "note": "注：此活动仅针对新办理用户，促销礼品以收到实物为准，数量有限，送完即止。"}'),
    -- seed 003: "内蒙古政采、广州梅谷科技和光大环境请勿进入法人认证"
    ('nmgzc', '内蒙古政采', '内蒙古政采', '/nmgzc/', false,
     3, false, false, false, NULL, '内蒙古政采', false, '{SF,EMS}', NULL),
    ('gzmg', '广州梅谷科技', '广州梅谷科技', '/gzmg/', false,
     3, false, false, false, NULL, '广州梅谷科技', false, '{SF,EMS}', NULL),
    ('gdhj', '光大环境', '光大环境', '/gdhj/', false,
     3, false, false, false, NULL, '光大环境', false, '{SF,EMS}', NULL);

INSERT INTO partner_projects (partner_code, project_id, name) VALUES
    ('szjsgws', '0535cc2aee346b5dc3f9e5b852f00369', '深圳市建筑工务署政府工程承包商资信管理系统');

-- ---------------------------------------------------------------------------
-- Products (prices in fen).  Rows marked "chosen" have no price in the seeds.

INSERT INTO products (partner_code, business_type, cert_type, name, price_per_year_fen,
                      fixed_fee_fen, seal_fee_per_year_fen, breakdown, min_years, max_years,
                      max_count, pin_by_memo, sort_order)
VALUES
    -- hall, new: 480/year seen for 证书新办 in seed 004's order list; person chosen
    ('hall', 'new', 'org',        '机构证书',     48000, 0, 0,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 1),
    ('hall', 'new', 'org_person', '机构个人证书', 48000, 0, 0,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 2),
    ('hall', 'new', 'person',     '自然人证书',   24000, 0, 0,
     '{"证书费": 14000, "介质费": 10000}', 1, 5, NULL, true, 3),
    -- hall, seal (seed 001): 机构章 at most 1, 机构业务章 at most 8 online,
    -- 机构个人章 any number; random code in the memo, PIN by SMS; prices chosen
    ('hall', 'seal', 'org',          '机构章',     50000, 0, 0,
     '{"证书费": 30000, "介质费": 10000, "签章费": 10000}', 1, 5, 1, false, 1),
    ('hall', 'seal', 'org_business', '机构业务章', 40000, 0, 0,
     '{"证书费": 20000, "介质费": 10000, "签章费": 10000}', 1, 5, 8, false, 2),
    ('hall', 'seal', 'org_person',   '机构个人章', 20000, 0, 0,
     '{"证书费": 10000, "介质费": 5000, "签章费": 5000}', 1, 5, NULL, false, 3),
    -- hall, reissue (seed 004): 补办费用 0.00 + 介质费用 (100 chosen); the new
    -- certificate keeps the old validity, so no year choice; PIN in the memo
    ('hall', 'reissue', 'org',        '机构证书介质遗失补办',     0, 10000, 0,
     '{"补办费": 0, "介质费": 10000}', 1, 1, NULL, true, 1),
    ('hall', 'reissue', 'org_person', '机构个人证书介质遗失补办', 0, 10000, 0,
     '{"补办费": 0, "介质费": 10000}', 1, 1, NULL, true, 2),
    ('hall', 'reissue', 'person',     '自然人证书介质遗失补办',   0, 10000, 0,
     '{"补办费": 0, "介质费": 10000}', 1, 1, NULL, true, 3),
    -- jieyang (seed 000): 600元/1年; the seed gives no split, same price for all types
    ('jieyang', 'new', 'org',        '机构证书',     60000, 0, 0, '{}', 1, 5, NULL, true, 1),
    ('jieyang', 'new', 'org_person', '机构个人证书', 60000, 0, 0, '{}', 1, 5, NULL, true, 2),
    ('jieyang', 'new', 'person',     '自然人证书',   60000, 0, 0, '{}', 1, 5, NULL, true, 3),
    -- hunan (seed 002): 350元/1年 = 证书费200 + 介质费100 + 签章费50; 机构证书, 个人证书
    ('hunan', 'new', 'org',    '机构证书', 35000, 0, 0,
     '{"证书费": 20000, "介质费": 10000, "签章费": 5000}', 1, 5, NULL, true, 1),
    ('hunan', 'new', 'person', '个人证书', 35000, 0, 0,
     '{"证书费": 20000, "介质费": 10000, "签章费": 5000}', 1, 5, NULL, true, 2),
    -- szjsgws (seed 003): organisation certificate with the seal option; prices chosen
    ('szjsgws', 'new', 'org', '机构证书', 48000, 0, 10000,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 1),
    -- the three partners named in seed 003: organisation certificate, price chosen
    ('nmgzc', 'new', 'org', '机构证书', 48000, 0, 0,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 1),
    ('gzmg',  'new', 'org', '机构证书', 48000, 0, 0,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 1),
    ('gdhj',  'new', 'org', '机构证书', 48000, 0, 0,
     '{"证书费": 38000, "介质费": 10000}', 1, 5, NULL, true, 1);

-- ---------------------------------------------------------------------------
-- Agreements, version 2024.1.  Only the service agreement has surviving text
-- (seed 001 clauses 1-6, seed 002 clauses 7-9, obvious OCR errors fixed);
-- the others are labelled sandbox placeholders.

INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
VALUES
    ('cert_service', '2024.1', '电子认证服务协议',
$body$深圳市电子商务安全证书管理有限公司
电子认证服务协议

深圳市电子商务安全证书管理有限公司（以下简称SZCA）作为权威、可信、公正的第三方信任机构，根据国家相关法律法规，为用户提供合法的数字证书申请、审核、签发和管理等电子认证服务，为保障数字证书申请人和SZCA各方的合法权益，双方本着平等、自愿的原则达成本协议。本协议内容源自《深圳CA电子认证业务规则》，如出现内容抵触，以《深圳CA电子认证业务规则》（简称 SZCA OPS）为准。有关详情请浏览 https://www.szca.com。

一、用户的权利与责任

1. 用户在申请数字证书时，须按照SZCA的有关规定办理申请，提供真实、完整、准确的信息及证明材料；如同时申请电子签章的，应提供与申请人在工商注册机构、公安机关处备案的印章章模或手写签名尺寸、样式、规格完全相同的签章图片信息；否则，由此造成责任和法律后果，由用户承担。
2. 用户在获得数字证书时应及时检查确认数字证书的内容和功能，如无异议则视为接受证书。
3. 用户如不同意SZCA发布数字证书至OCSP等信息库的，应在申请时提出，如无异议的视为同意发布。
4. 用户应在数字证书有效期内使用证书，证书到期如需续用的，须在证书期满前一个月内向SZCA申请证书续期、更新。
5. 用户应妥善保管、使用SZCA签发的数字证书私钥及其激活、使用相关的数据、设备、凭据，如Ukey、账户密码、PIN码、OTP短信验证码、保护口令等，不得出租、出借、转让给他人使用，如因用户保管不善、泄露或交付他人造成的私钥泄露，损坏、遗失、被篡改、伪造、冒用、盗用的，造成的损失由用户自行承担。
6. 如遇数字证书密钥或其使用介质、数据丢失、被盗等任何私钥泄露失密情形的，用户应立即通知SZCA、申请撤销证书。
7. 证书所含的用户信息，或证书签发依据的相关的申请信息（含证明文件）发生变更的，应及时通知SZCA。
8. 用户知悉并同意授权：（1）SZCA在为用户身份认证，并签发数字证书及提供证书服务的目的和范围内，依法适当且必要地收集、使用、保存您的信息，包括姓名、身份证号、手机号、联系地址、身份证件、人脸图片影印材料、营业执照等；（2）SZCA通过第三方机构查询、验证由第三方合作机构合法收集、加工、整理产生且核实您提交的个人信息所必需的信息；（3）SZCA通过第三方合作机构向其他具备合法资质或合法数据来源的第三方收集、查询、整理本人信息，并同意上述合法资质的第三方向SZCA、第三方合作机构提供核实和验证本人信息的服务。
9. 有下列情况之一的，由用户承担责任：（1）用户故意或过失未提供真实、准确、完整的申请资料，造成相关各方损失的；（2）因用户转让、出借或出租证书而产生的一切损失的；（3）用户丢失介质，或不慎将证书密钥泄露造成证书被盗用、冒用、伪造或者篡改造成相关各方损失的；（4）因用户信息发生变化且未及时通知SZCA更新证书信息而造成损失的；（5）用户违反约定超越范围、用途、条件及期限不当使用或滥用数字证书。

（沙箱版本说明：以上条款为办理指引中保留下来的部分，协议其余条款未随指引保留。本版本仅用于开发与测试环境，正式文本以深圳CA发布的《电子认证服务协议》及《深圳CA电子认证业务规则》为准。）$body$,
     NULL, NULL, '{new,reissue,seal}', 1, 1, '2024-01-01 00:00:00+08'),

    ('privacy_policy', '2024.1', '个人信息保护政策',
$body$本页为《个人信息保护政策》的沙箱版本，仅用于开发与测试环境，不具有法律效力。正式版本将说明深圳市电子商务安全证书管理有限公司在提供电子认证服务过程中收集、使用、存储、共享和删除个人信息的规则，以及您依法享有的权利和联系方式。上线前须替换为经审定的正式文本。$body$,
     NULL, NULL, '{new,seal}', 1, 2, '2024-01-01 00:00:00+08'),

    ('pi_authorization', '2024.1', '个人信息授权书',
$body$本页为《个人信息授权书》的沙箱版本，仅用于开发与测试环境，不具有法律效力。正式版本将列明为办理数字证书所需授权处理的个人信息（如姓名、身份证号码、手机号码、联系地址）及其处理目的、方式和期限。上线前须替换为经审定的正式文本。$body$,
     NULL, NULL, '{new,seal}', 1, 3, '2024-01-01 00:00:00+08'),

    ('sensitive_pi_authorization', '2024.1', '敏感个人信息授权书',
$body$本页为《敏感个人信息授权书》的沙箱版本，仅用于开发与测试环境，不具有法律效力。正式版本将单独说明为身份核验所需处理的敏感个人信息（如身份证件影像、人脸图像）及其处理的必要性和对个人权益的影响，并取得您的单独同意。上线前须替换为经审定的正式文本。$body$,
     NULL, NULL, '{new,reissue,seal}', 2, 1, '2024-01-01 00:00:00+08'),

    ('szjsgws_privacy', '2024.1', '隐私保护',
$body$本页为深圳市建筑工务署政府工程承包商资信管理系统入口所示《隐私保护》的沙箱版本，仅用于开发与测试环境，不具有法律效力。正式版本将说明通过该入口办理数字证书时个人信息的处理规则。上线前须替换为经审定的正式文本。$body$,
     'szjsgws', 'privacy_policy', '{new}', 1, 2, '2024-01-01 00:00:00+08');

-- ---------------------------------------------------------------------------
-- Banks and branches: an illustrative sample following the real naming
-- pattern, not an authoritative branch list; no CNAPS codes.

INSERT INTO banks (name, short_name, aliases) VALUES
    ('中国工商银行',         '工商银行', '{工商,工行,ICBC}'),
    ('中国农业银行',         '农业银行', '{农业,农行,ABC}'),
    ('中国银行',             '中国银行', '{中行,BOC}'),
    ('中国建设银行',         '建设银行', '{建设,建行,CCB}'),
    ('交通银行',             '交通银行', '{交通,交行,BOCOM}'),
    ('中国邮政储蓄银行',     '邮储银行', '{邮储,邮政,PSBC}'),
    ('招商银行',             '招商银行', '{招商,招行,CMB}'),
    ('平安银行',             '平安银行', '{平安,PAB}'),
    ('中信银行',             '中信银行', '{中信,CITIC}'),
    ('中国光大银行',         '光大银行', '{光大,CEB}'),
    ('华夏银行',             '华夏银行', '{华夏,HXB}'),
    ('中国民生银行',         '民生银行', '{民生,CMBC}'),
    ('广发银行',             '广发银行', '{广发,CGB}'),
    ('兴业银行',             '兴业银行', '{兴业,CIB}'),
    ('上海浦东发展银行',     '浦发银行', '{浦发,浦东发展,SPDB}'),
    ('北京银行',             '北京银行', '{北京银行,BOB}'),
    ('长沙银行',             '长沙银行', '{长沙银行}'),
    ('广州银行',             '广州银行', '{广州银行}'),
    ('深圳农村商业银行',     '深圳农商银行', '{深圳农商,深农商,农商}');

-- The six state-owned banks: the same set of cities.
INSERT INTO bank_branches (bank_id, name, city)
SELECT b.id, b.name || v.suffix, v.city
  FROM banks b
 CROSS JOIN (VALUES
    ('深圳分行',     '深圳'),
    ('深圳福田支行', '深圳'),
    ('深圳罗湖支行', '深圳'),
    ('深圳南山支行', '深圳'),
    ('广州天河支行', '广州'),
    ('广州越秀支行', '广州'),
    ('揭阳分行',     '揭阳'),
    ('揭阳榕城支行', '揭阳'),
    ('长沙芙蓉支行', '长沙'),
    ('北京海淀支行', '北京')) AS v(suffix, city)
 WHERE b.name IN ('中国工商银行', '中国农业银行', '中国银行', '中国建设银行',
                  '交通银行', '中国邮政储蓄银行');

-- Joint-stock banks: branches in the large cities.
INSERT INTO bank_branches (bank_id, name, city)
SELECT b.id, b.name || v.suffix, v.city
  FROM banks b
 CROSS JOIN (VALUES
    ('深圳分行',     '深圳'),
    ('深圳福田支行', '深圳'),
    ('深圳南山支行', '深圳'),
    ('广州分行',     '广州'),
    ('广州天河支行', '广州'),
    ('长沙分行',     '长沙'),
    ('北京分行',     '北京')) AS v(suffix, city)
 WHERE b.name IN ('招商银行', '平安银行', '中信银行', '中国光大银行', '华夏银行',
                  '中国民生银行', '广发银行', '兴业银行', '上海浦东发展银行');

-- City and rural commercial banks.
INSERT INTO bank_branches (bank_id, name, city)
SELECT b.id, b.name || v.suffix, v.city
  FROM banks b
  JOIN (VALUES
    ('北京银行', '中关村分行',   '北京'),
    ('北京银行', '海淀支行',     '北京'),
    ('北京银行', '朝阳支行',     '北京'),
    ('北京银行', '深圳分行',     '深圳'),
    ('北京银行', '长沙分行',     '长沙'),
    ('长沙银行', '岳麓支行',     '长沙'),
    ('长沙银行', '芙蓉支行',     '长沙'),
    ('长沙银行', '天心支行',     '长沙'),
    ('长沙银行', '开福支行',     '长沙'),
    ('长沙银行', '雨花支行',     '长沙'),
    ('广州银行', '天河支行',     '广州'),
    ('广州银行', '越秀支行',     '广州'),
    ('广州银行', '海珠支行',     '广州'),
    ('广州银行', '番禺支行',     '广州'),
    ('广州银行', '深圳分行',     '深圳'),
    ('深圳农村商业银行', '福田支行', '深圳'),
    ('深圳农村商业银行', '罗湖支行', '深圳'),
    ('深圳农村商业银行', '南山支行', '深圳'),
    ('深圳农村商业银行', '宝安支行', '深圳'),
    ('深圳农村商业银行', '龙岗支行', '深圳')) AS v(bank, suffix, city)
    ON b.name = v.bank;

-- ---------------------------------------------------------------------------
-- Holidays: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号,
-- 2024-11-12) and 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
-- Rest days are every day of each 放假 span; 上班 days are the 调休 weekends.

INSERT INTO holidays (day, is_workday, name)
SELECT d::date, false, v.name
  FROM (VALUES
    (date '2025-01-01', date '2025-01-01', '元旦'),
    (date '2025-01-28', date '2025-02-04', '春节'),
    (date '2025-04-04', date '2025-04-06', '清明节'),
    (date '2025-05-01', date '2025-05-05', '劳动节'),
    (date '2025-05-31', date '2025-06-02', '端午节'),
    (date '2025-10-01', date '2025-10-08', '国庆节、中秋节'),
    (date '2026-01-01', date '2026-01-03', '元旦'),
    (date '2026-02-15', date '2026-02-23', '春节'),
    (date '2026-04-04', date '2026-04-06', '清明节'),
    (date '2026-05-01', date '2026-05-05', '劳动节'),
    (date '2026-06-19', date '2026-06-21', '端午节'),
    (date '2026-09-25', date '2026-09-27', '中秋节'),
    (date '2026-10-01', date '2026-10-07', '国庆节')) AS v(first_day, last_day, name)
 CROSS JOIN LATERAL generate_series(v.first_day, v.last_day, interval '1 day') AS g(d);

INSERT INTO holidays (day, is_workday, name) VALUES
    ('2025-01-26', true, '春节调休上班'),
    ('2025-02-08', true, '春节调休上班'),
    ('2025-04-27', true, '劳动节调休上班'),
    ('2025-09-28', true, '国庆节、中秋节调休上班'),
    ('2025-10-11', true, '国庆节、中秋节调休上班'),
    ('2026-01-04', true, '元旦调休上班'),
    ('2026-02-14', true, '春节调休上班'),
    ('2026-02-28', true, '春节调休上班'),
    ('2026-05-09', true, '劳动节调休上班'),
    ('2026-09-20', true, '国庆节调休上班'),
    ('2026-10-10', true, '国庆节调休上班');
