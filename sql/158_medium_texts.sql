-- 158_medium_texts: what a customer reads about the medium (issue 64 §5),
-- as new versions of the agreements, the accepted ones left as they are
-- (acceptances name them; docs/internals/reference-data.md, "Agreements").
--
-- 《电子认证服务协议》 2026.2: 2024.1's clauses, and a second part 二、证书介质与
-- 密钥: the medium is a USB key whose key pair is born inside it, or for the
-- browser-key products a file made in the holder's browser; the hall never
-- holds the private key; a lost medium is 介质遗失补办 (a new USB key, the old
-- certificate revoked); a forgotten PIN is 证书解锁 by the 证书助手 on the same
-- USB key (key and certificate kept), while a browser file cannot be
-- unlocked (a new certificate, its key made again in the browser); the
-- tools of 驱动和盖章工具下载, with their SHA-256 and the CA's signature.
-- Shown in every flow the 2024.1 row is (新办, 电子签章, 补办, 更新, 变更, 解锁).
--
-- 《个人信息保护政策》 2026.2: 2026.1 with the collection form under its one
-- name, 电子签章采集表 (seed 001; 2026.1 said 数字证书印章采集表), and a
-- sentence that the hall does not collect the holder's private key.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
SELECT a.code, '2026.2', a.title,
       replace(a.body,
               '（沙箱版本说明：以上条款为办理指引中保留下来的部分，协议其余条款未随指引保留。',
               $medium$二、证书介质与密钥

1. 证书介质：SZCA制作的数字证书写入USB Key，交付给用户：密钥对在USB Key内部生成，私钥不能从USB Key中导出；USB Key由SZCA邮寄给经办人，证书PIN码另行通过转账交易附言或短信发送。用户选择“浏览器生成密钥”产品的，密钥对在用户本人的浏览器中生成，证书保存为用户电脑上的证书文件（PKCS#12），PIN码由用户本人设定，SZCA不邮寄USB Key。
2. SZCA不持有用户的私钥：私钥只在用户的USB Key或浏览器中生成和保存，SZCA只接收证书请求（公钥及其签名），不保存、不备份用户的私钥，也无法为用户恢复私钥。
3. 介质遗失：USB Key遗失、损坏或被盗的，用户应立即通知SZCA申请撤销证书，并可办理介质遗失补办：SZCA为用户制作新的USB Key，在其中生成新的密钥对并签发新证书，原证书吊销。
4. 忘记PIN码：USB Key的PIN码遗忘或因输错被锁定的，用户可办理证书解锁：用户重新证明身份、SZCA审核通过后，用户在本人电脑上使用证书助手，以SZCA提供的一次性解锁码在原USB Key上重设PIN码，原密钥和证书保持不变，无需寄送新介质。浏览器生成的证书文件无法解锁：证书文件丢失或忘记PIN码的，只能为用户签发新证书，新的密钥在用户的浏览器中重新生成。
5. 证书助手（USB Key的驱动程序）和盖章工具在网上营业厅“驱动和盖章工具下载”页面提供，每个安装包附有SHA-256摘要和SZCA的签名，用户安装前应予核对。

（沙箱版本说明：第一部分条款为办理指引中保留下来的部分，第二部分按网上营业厅的实际做法写成，协议其余条款未随指引保留。$medium$),
       a.partner_code, a.replaces, a.business_types, a.checkbox_group, a.sort_order,
       '2026-11-28 00:00:00+08'
  FROM agreements a
 WHERE a.code = 'cert_service' AND a.version = '2024.1';

INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
SELECT a.code, '2026.2', a.title,
       replace(replace(replace(a.body,
               '版本：2026.1　　生效日期：2026年11月1日', '版本：2026.2　　生效日期：2026年11月28日'),
               '数字证书印章采集表', '电子签章采集表'),
               '我们不会收集与上述业务无关的个人信息。',
               '我们不会收集与上述业务无关的个人信息。我们不收集您的证书私钥：USB Key的密钥对在USB Key内部生成，“浏览器生成密钥”的密钥对在您的浏览器中生成，私钥从不发送给我们。'),
       a.partner_code, a.replaces, a.business_types, a.checkbox_group, a.sort_order,
       '2026-11-28 00:00:00+08'
  FROM agreements a
 WHERE a.code = 'privacy_policy' AND a.version = '2026.1';

-- each replacement found its text: a 2026.2 the same as the row it came from
-- would say nothing new
DO $$
BEGIN
    IF (SELECT count(*) FROM agreements
         WHERE version = '2026.2'
           AND ((code = 'cert_service' AND body LIKE '%二、证书介质与密钥%'
                 AND body LIKE '%第二部分按网上营业厅的实际做法写成%')
                OR (code = 'privacy_policy' AND body LIKE '%版本：2026.2%'
                    AND body LIKE '%电子签章采集表%' AND body NOT LIKE '%印章采集表%'
                    AND body LIKE '%我们不收集您的证书私钥%'))) <> 2 THEN
        RAISE EXCEPTION '158_medium_texts: a text to replace was not found';
    END IF;
END
$$;
