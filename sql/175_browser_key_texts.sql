-- 175_browser_key_texts: 《浏览器生成密钥须知》 2026.2 states the present
-- (issue 64 §5; docs/internals/reference-data.md, "Agreements").
--
-- 2026.1 (sql/151) told the holder of a file made in the browser that a
-- lost file or a forgotten PIN meant revoking the certificate and applying
-- again.  Since sql/160 and sql/170 a file made in the browser is replaced
-- in the browser: a lost file is 介质遗失补办, a forgotten PIN 证书解锁,
-- each a new key made in the holder's browser and a new certificate, no
-- USB key made or mailed, no 介质费.  2026.2 says so, with what 2026.1 said
-- of the key (born in the browser, never sent to the hall) and of the PIN
-- (the holder's own); and, for the holder who chose a USB key instead, how
-- that medium differs (the key born inside it; a forgotten PIN is reset on
-- the same key by the 证书助手, key and certificate kept).  A new version
-- beside the accepted one (acceptances name it), shown from its date.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
SELECT a.code, '2026.2', a.title,
$body$深圳市电子商务安全证书管理有限公司
浏览器生成密钥须知

版本：2026.2　　生效日期：2026年11月29日

本须知适用于网上营业厅“浏览器生成密钥”的证书产品（如“机构证书（浏览器生成密钥）”“自然人证书（浏览器生成密钥）”）及其补办、更新、变更和解锁。选择USB Key的，见本须知第7条。

1. 介质：申请成功受理后，您在业务单详情页点击“生成密钥并下载证书”，密钥在您的浏览器中生成，证书保存为您电脑上的证书文件（.p12）。我们不制作、不邮寄USB Key，不收取介质费，也无需填写邮寄信息。
2. 密钥：私钥只在您的浏览器中生成，并以您设定的PIN码加密保存在证书文件中，从不发送给我们。网上营业厅只收到证书请求（公钥和签名），从不持有、不备份您的私钥，也无法为您恢复。
3. PIN码：证书文件的PIN码由您自己设定，我们不知道该PIN码，也不通过转账交易附言或短信发送。请妥善保管证书文件、牢记PIN码，不得交给他人使用。
4. 证书文件丢失或损坏：请办理“介质遗失补办”。审核通过后，在业务单详情页由您的浏览器生成新的密钥并下载新的证书文件，原证书吊销。补办不制作、不邮寄USB Key，不收取介质费。
5. 忘记PIN码：证书文件无法解锁，我们也无法找回或重设PIN码。请办理“证书解锁”：您重新证明身份、审核通过后，在业务单详情页由您的浏览器生成新的密钥，签发新证书并设定新的PIN码（主题和有效期截止日期与原证书相同），原证书吊销。解锁不制作、不邮寄USB Key，不收取介质费。
6. 证书文件和PIN码可能被他人获知的，请立即申请撤销证书。证书文件（PKCS#12）可导入支持证书文件的应用，使用时输入您设定的PIN码。
7. USB Key：选择USB Key的，密钥对在USB Key内部生成，私钥不能导出，网上营业厅同样从不持有。USB Key遗失的，办理介质遗失补办，我们制作新的USB Key（收取介质费）；忘记PIN码的，办理证书解锁，审核通过后您用证书助手在原USB Key上重设PIN码，原密钥和证书保持不变，不寄送新介质，不收取介质费。$body$,
       a.partner_code, a.replaces, a.business_types, a.checkbox_group, a.sort_order,
       '2026-11-29 00:00:00+08'
  FROM agreements a
 WHERE a.code = 'browser_key' AND a.version = '2026.1';

DO $$
BEGIN
    IF (SELECT count(*) FROM agreements WHERE code = 'browser_key' AND version = '2026.2') <> 1 THEN
        RAISE EXCEPTION '175: 浏览器生成密钥须知 2026.1 not found';
    END IF;
END $$;
