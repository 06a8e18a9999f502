-- 061_lifecycle_agreements.sql: the orders that replace a certificate
-- (证书更新 renew, 证书变更 change, 证书解锁 unlock) are read and accepted
-- under the same agreements as 介质遗失补办: 《电子认证服务协议》 and
-- 《敏感个人信息授权书》 (each row whose business_types names 'reissue').
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

UPDATE agreements
   SET business_types = ARRAY(SELECT DISTINCT t FROM unnest(business_types || '{renew,change,unlock}'::text[]) AS t
                               ORDER BY t)
 WHERE 'reissue' = ANY (business_types);
