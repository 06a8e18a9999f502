-- each audit row chained and hashed as it is written: sql/functions/audit_log_chain.sql
CREATE OR REPLACE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
