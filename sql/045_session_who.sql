-- 045_session_who: the navigation greets the signed-in applicant as seed 004
-- shows it (欢迎您！138****1234).  The masked phone is kept on the session
-- row at login, so no page decrypts the phone to draw its header; three
-- digits and four digits of a phone are not personal data on their own.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE sessions
    ADD COLUMN who text NOT NULL DEFAULT ''
        CHECK (who ~ '^([0-9]{3}\*{4}[0-9]{4})?$');
