-- 023_pages_seeds.sql: what the pages need to say what the seeds say
-- (issue 7, items 17 and 18).
--
-- 1. identity_checks.opened_at: when the phone first opened the check's
--    link.  A refresh of the PC page voids the codes no phone has opened;
--    a link a phone is working on stays valid until its own 10 minutes end
--    (modules/new: identity_expire), so a refresh never cuts the phone off
--    mid-way.
-- 2. partners.payee_*: the receiving account of a corporate transfer
--    (对公转账), shown on the pay page with the amount and the memo.  No
--    seed prints the CA's account (seed 001's receipt has the payee's name
--    only), so the bank and account number below are placeholders chosen
--    for development: production sets its own (docs/operations.md).
-- 3. partners.guide_title / guide_body: a partner's own guide, to be read
--    before the agreements (seed 002: 「阅读《证书办理指南》并同意勾选
--    《电子认证服务协议》《敏感个人信息授权书》等内容」).  Hunan's is the
--    seed's 申请流程 and its two notes, as the seed words them.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE identity_checks ADD COLUMN opened_at timestamptz NULL;

ALTER TABLE partners
    ADD COLUMN payee_name text NOT NULL DEFAULT '深圳市电子商务安全证书管理有限公司'
        CHECK (length(payee_name) BETWEEN 2 AND 100),
    ADD COLUMN payee_bank text NOT NULL DEFAULT '中国工商银行深圳分行'
        CHECK (length(payee_bank) BETWEEN 2 AND 100),
    -- digits, spaces allowed for reading (4-digit groups)
    ADD COLUMN payee_account text NOT NULL DEFAULT '4000 0229 0920 0009 527'
        CHECK (payee_account ~ '^[0-9][0-9 ]{6,38}[0-9]$'),
    ADD COLUMN guide_title text NULL CHECK (guide_title IS NULL OR length(guide_title) BETWEEN 1 AND 40),
    ADD COLUMN guide_body text NULL,
    ADD CHECK ((guide_title IS NULL) = (guide_body IS NULL));

COMMENT ON COLUMN partners.payee_account IS
    'receiving account of corporate transfers (placeholder in development, set in production)';

UPDATE partners SET guide_title = '证书办理指南', guide_body = $guide$湖南省公共资源交易服务平台 数字证书网厅操作指南

适用范围：湖南省公共资源交易服务平台招投标客户
证书类型：机构证书、自然人证书

申请流程
1. 登录湖南省CA证书与电子签章资源共享平台（网址：https://casign.hnsggzy.com:7080/ca-hunanplatform/operation/main），选择“CA证书办理”-选择CA证书办理厂商：深圳市电子商务安全证书管理有限公司。
2. 请选择证书类型：企业证书、个人证书，输入对应单位信息/个人信息，点击“立即申请”。
3. 页面跳转至深圳CA登录界面，输入手机号及验证码进行登录，阅读《证书办理指南》并同意勾选《电子认证服务协议》《敏感个人信息授权书》等内容。
4. 根据提示填写相关申请信息并上传申请资料，经办人在线完成身份认证。
5. 认证通过后，使用微信/支付宝或者公对公汇款完成支付。
6. 提交申请订单后，等待深圳CA客服审核（一个工作日内审核）。
7. 审核通过后，数字证书将邮寄至客户填写的收件地址并开具电子发票。
8. 数字证书申请完成。

说明1：如付款方式选择支付宝/微信，则需要进行单位金融认证，证书PIN码将以转账交易附言方式发送至对公账户，请向贵司财务人员获取。
说明2：如付款方式选择公对公转账，需上传公对公转账凭证，机构证书PIN码将通过短信方式发至经办人手机号码，个人证书PIN码将通过短信方式发至申请人手机号码。

注：办理自然人证书时，无需填写单位信息、经办人等信息，由申请人完成身份认证。

上传资料
机构证书：申请表扫描件、营业执照扫描件、数字证书印章采集表（全部资料均需加盖申请单位公章）
自然人证书：申请表扫描件、数字证书印章采集表（无需加盖公章）

审核结果会短信通知经办人，也可在个人中心-我的业务单中跟踪查询证书办理情况。
深圳CA官方网址：www.szca.com　深圳CA客户服务热线：400-112-3838$guide$
 WHERE code = 'hunan';
