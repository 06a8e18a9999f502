-- 181_cert_service_2026_3: 《电子认证服务协议》 2026.3, the whole agreement
-- (issue 72 §4; docs/internals/reference-data.md, "Agreements").
--
-- 2024.1 (sql/003) kept only the clauses the applicant guides printed
-- (seed 001: the preamble and 一、用户的权利与责任 1-6; seed 002: 7-9) and
-- said it was a sandbox text; 2026.2 (sql/158) added 二、证书介质与密钥 and
-- still said so, and told the holder of a browser file that it cannot be
-- unlocked, which sql/160 and sql/170 ended.  2026.3 is the agreement
-- whole: the seeds' preamble and clauses 1-9 exactly as 2024.1 has them
-- (taken from that row, not typed again), then what a CA's service
-- agreement covers, as the hall does it: application and review, issuance
-- and acceptance, use, the key's custody on a USB key or in the browser,
-- renewal, change, reissue and unlock, revocation and the status services,
-- fees and refunds, SZCA's duties, liability and its limits, personal data,
-- force majeure, the agreement's changes and end, law and disputes.  No
-- sandbox note.  A new version beside the accepted ones (acceptances name
-- them), in the flows 2026.2 is shown in, from its date: an applicant who
-- accepted 2026.2 accepts 2026.3 anew where a flow asks (core/flow/agree.c).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
SELECT n.code, '2026.3', n.title,
       -- the seeds' preamble, as 2024.1 has it, then this version's line
       substring(o.body FROM 1 FOR position('一、用户的权利与责任' IN o.body) - 1)
       || $ver$版本：2026.3　　生效日期：2026年11月29日

$ver$
       -- 一、用户的权利与责任 1-9, as 2024.1 has them
       || rtrim(substring(o.body FROM position('一、用户的权利与责任' IN o.body)
                          FOR position('（沙箱版本说明' IN o.body)
                              - position('一、用户的权利与责任' IN o.body)), E'\n')
       || $rest$
10. 用户应按照证书的类型和用途使用证书：机构证书代表机构本身，机构个人证书代表机构授权的个人，自然人证书代表个人本人；不得将证书用于违反法律法规、损害国家利益、社会公共利益或他人合法权益的活动。
11. 用户委托经办人办理的，应出具授权委托书；经办人在授权范围内的申请、确认、缴费、下载、领取等行为，视为用户本人的行为。

二、证书的申请与审核

1. 用户通过SZCA网上营业厅或SZCA授权的合作平台提交申请，如实填写申请信息，上传证明材料，并按页面提示完成经办人（自然人证书为申请人本人）的身份核验；机构用户还须通过单位对公账户的金融认证或公对公转账完成单位身份的确认。
2. SZCA依据《深圳CA电子认证业务规则》对申请信息和证明材料进行审核，可通过第三方机构核验身份信息。审核不通过的，SZCA告知理由，用户可修改后重新提交，或申请退费。
3. SZCA审核通过后，申请为“成功受理”。在证书签发之前，用户可撤回申请并申请退还已支付的费用。

三、证书的签发与接受

1. 审核通过后，SZCA按申请所选的介质签发证书：USB Key产品由SZCA在USB Key内部生成密钥对并签发证书；“浏览器生成密钥”产品和国密SM2证书由用户在业务单详情页于本人浏览器中生成密钥对，SZCA依据用户提交的证书请求签发证书。
2. 证书包含用户的名称、证件号码等信息、证书的有效期和SZCA的签名。证书的有效期为用户申请并付费的年限（证书变更、证书解锁签发的新证书，有效期截止日期与原证书相同）。
3. 用户获得证书后，应按本协议第一部分第2条检查确认证书的内容；内容有误的，应在获得证书后及时告知SZCA，由SZCA核实后撤销并重新签发。
4. 除用户按第一部分第3条提出不同意外，SZCA在证书签发后将证书的状态发布于证书撤销列表（CRL）和在线证书状态查询服务（OCSP），供依赖方查验。

四、证书的使用

1. 用户使用证书所作的电子签名，依照《中华人民共和国电子签名法》确定其效力；用户应在证书有效期内、在证书载明的用途范围内使用证书。
2. 用户签署前应确认所签署的内容；经证书私钥签署的数据，视为用户的签署，但用户能够证明私钥已按本协议通知SZCA撤销证书后被他人使用的除外。
3. 证书过期、被撤销后，用户应立即停止使用该证书签署。依赖方应在信赖电子签名前通过CRL或OCSP查验证书状态。
4. 同时办理电子签章的，电子印章与签发其印章证书的证书一同有效：证书被撤销、过期或电子印章被注销后，不能再以该电子印章盖章，此前已加盖的电子签章仍可依据盖章时的证书状态和可信时间戳查验。

五、证书介质与密钥的保管

1. USB Key：密钥对在USB Key内部生成，私钥不能从USB Key中导出。USB Key由SZCA邮寄至用户填写的邮寄地址。USB Key的PIN码是使用私钥的凭据，用户应在首次使用时修改初始PIN码并妥善保管。
2. 浏览器生成密钥：密钥对在用户本人的浏览器中生成，私钥以用户本人设定的PIN码加密保存在用户电脑上的证书文件（PKCS#12）中，从不发送给SZCA；SZCA不知道该PIN码，不制作、不邮寄介质。用户应妥善保存证书文件并做好备份，不得将证书文件和PIN码交给他人。
3. SZCA不持有、不备份用户的私钥，也无法为用户恢复私钥或找回PIN码；网上营业厅只接收证书请求（公钥及其签名）。
4. SZCA提供的证书助手（USB Key的驱动程序）和盖章工具，在网上营业厅“驱动和盖章工具下载”页面提供，每个安装包附有SHA-256摘要和SZCA的签名，用户安装前应予核对，不应使用其他来源的安装包。

六、证书的更新、变更、补办与解锁

1. 证书更新：证书到期前，用户可按第一部分第4条申请证书更新，审核通过后签发新的证书；在原证书到期前更新的，新证书的有效期自原证书到期时起算。USB Key的证书更新由用户使用证书助手在原USB Key上完成，不寄送新介质；浏览器生成的证书在用户的浏览器中生成新的密钥。
2. 证书变更：证书所载信息发生变更的，用户应按第一部分第7条申请证书变更，提交证明变更的材料；审核通过后签发载有新信息的证书，原证书在新证书写入后撤销。机构证件号码、身份证号码不能变更，须重新申请证书。USB Key的证书变更由用户使用证书助手在原USB Key上完成，不寄送新介质。
3. 介质遗失补办：USB Key或证书文件遗失、损坏的，用户应按第一部分第6条立即申请撤销或办理介质遗失补办：USB Key的，SZCA制作新的USB Key，在其中生成新的密钥对，签发新证书并邮寄，收取介质费；浏览器生成的证书，新的密钥在用户的浏览器中生成，不制作、不邮寄介质，不收取介质费。新证书签发时原证书撤销。
4. 证书解锁：忘记PIN码或PIN码因输错被锁定的，用户可申请证书解锁，重新核验身份：USB Key的，审核通过后用户使用证书助手，以SZCA提供的一次性解锁码在原USB Key上重设PIN码，原密钥和证书保持不变；浏览器生成的证书文件无法解开，审核通过后由用户在浏览器中生成新的密钥，签发主题和有效期截止日期与原证书相同的新证书，原证书撤销。

七、证书的撤销

1. 有下列情形之一的，用户应立即申请撤销证书：私钥或其介质、证书文件、PIN码遗失、被盗、泄露或可能泄露的；证书所载信息不再真实的；用户不再需要该证书或机构已注销的。用户可在网上营业厅“我的证书”中申请撤销，或联系SZCA客服。
2. 有下列情形之一的，SZCA可以撤销证书，并告知用户：用户提供的信息不真实、不完整或不准确的；用户违反本协议或将证书用于违法活动的；用户未按约定缴纳费用的；SZCA的签发密钥可能泄露的；法律法规规定或有权机关依法要求的。
3. 证书撤销后即不能恢复，SZCA将其状态发布于CRL和OCSP。撤销前以该证书所作的电子签名，其效力依照法律和签署时的证书状态判断。

八、SZCA的权利与责任

1. SZCA依照《中华人民共和国电子签名法》《电子认证服务管理办法》和《深圳CA电子认证业务规则》提供电子认证服务，对用户的申请进行审核，保证其签发的证书内容与审核通过的申请信息一致。
2. SZCA妥善保管其签发密钥，及时、准确地发布证书状态信息，保证CRL和OCSP服务的持续可用（计划内维护除外）。
3. SZCA对在提供服务中知悉的用户信息负有保密义务，依照本站在办理业务前展示的个人信息保护规则和用户的授权处理个人信息，身份证号码、银行账号、手机号码、身份证件照片等敏感个人信息加密保存，仅在办理业务所必需的范围内使用。
4. SZCA有权拒绝不符合条件的申请；有权在法律法规、《深圳CA电子认证业务规则》变化时修改本协议，并依照第十二部分告知用户。

九、费用

1. 用户按网上营业厅或合作平台页面公示的价格缴纳证书费、介质费（只在制作USB Key时收取）、签章费、补办费、变更费等费用；快递寄付的，运费按收件地址计算并计入订单金额，到付的由收件人签收时支付。
2. 证书签发前，用户可申请退费，SZCA核实后原路退还已支付的费用；证书签发后，除SZCA的原因导致证书不能使用外，已支付的费用不予退还。
3. 用户需要发票的，SZCA依照申请时填写的发票信息开具电子发票。

十、责任的限制与免责

1. 因SZCA的过错导致证书内容错误、未按约定签发或撤销证书、证书状态信息错误，给用户或依赖方造成损失的，SZCA依法承担赔偿责任；SZCA不能证明自己无过错的，依照《中华人民共和国电子签名法》承担赔偿责任。
2. 有下列情形之一的，SZCA不承担责任：用户有第一部分第9条所列情形的；用户或依赖方未按本协议或《深圳CA电子认证业务规则》查验证书状态而信赖电子签名的；非因SZCA的原因导致的通信、网络或第三方系统故障；不可抗力。
3. 因地震、洪水、战争、政府行为、公共卫生事件等不能预见、不能避免且不能克服的情况，致使一方不能履行本协议的，该方不承担责任，但应及时通知另一方，并在影响消除后继续履行。

十一、个人信息

SZCA收集、使用、保存、提供用户个人信息的规则，见本站在办理业务前展示的个人信息保护规则（合作平台的用户以该平台页面展示的为准）及用户签署的个人信息授权文件。用户可依照上述文件查阅、复制、更正、删除其个人信息或撤回同意，撤回同意不影响撤回前基于同意已进行的处理。

十二、协议的生效、变更与终止

1. 用户在网上营业厅勾选同意本协议后，本协议生效；用户委托经办人办理的，经办人的同意视为用户的同意。
2. SZCA修改本协议的，在网上营业厅公布新版本并注明生效日期；用户此后办理业务时须阅读并同意新版本。用户不同意的，可申请撤销证书并停止使用。
3. 证书有效期届满且未更新，或证书被撤销后，本协议对该证书终止；终止前已发生的权利义务不受影响。

十三、法律适用与争议解决

1. 本协议的订立、效力、解释、履行和争议解决，适用中华人民共和国法律（不含香港、澳门特别行政区和台湾地区的法律）。
2. 因本协议发生的争议，双方应友好协商解决；协商不成的，任何一方可向SZCA住所地（深圳市）有管辖权的人民法院提起诉讼。
3. 本协议未尽事宜，以《深圳CA电子认证业务规则》为准。用户咨询、投诉请致电SZCA客服 400-112-3838。$rest$,
       n.partner_code, n.replaces, n.business_types, n.checkbox_group, n.sort_order,
       '2026-11-29 00:00:00+08'
  FROM agreements n
  JOIN agreements o ON o.code = n.code AND o.version = '2024.1'
 WHERE n.code = 'cert_service' AND n.version = '2026.2';

-- the seeds' preamble and clauses found and kept, no sandbox note left
DO $$
BEGIN
    IF (SELECT count(*) FROM agreements n JOIN agreements o ON o.code = n.code AND o.version = '2024.1'
         WHERE n.code = 'cert_service' AND n.version = '2026.3'
           AND position('（沙箱版本说明' IN o.body) > 0
           AND position(rtrim(substring(o.body FROM position('一、用户的权利与责任' IN o.body)
                                        FOR position('（沙箱版本说明' IN o.body)
                                            - position('一、用户的权利与责任' IN o.body)), E'\n')
                        IN n.body) > 0
           AND n.body LIKE '深圳市电子商务安全证书管理有限公司%'
           AND n.body NOT LIKE '%沙箱%' AND n.body NOT LIKE '%开发与测试%') <> 1 THEN
        RAISE EXCEPTION '181_cert_service_2026_3: 2024.1''s clauses or 2026.2 not found';
    END IF;
END
$$;
