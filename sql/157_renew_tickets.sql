-- 157_renew_tickets: 在线更新 of a certificate on a USB key, by the 证书助手
-- (hall-assist renew; docs/modules/assist.md; issue 64 §3).
--
-- A 证书更新 order of a certificate made onto a medium (sql/145) is not made
-- by the production station: once the order is 成功受理 the holder takes a
-- one-time code for that medium (POST /renew/assist/ticket), and the tool,
-- with the medium plugged in and the user PIN, generates a new key pair on
-- the same medium, has it sign a certificate request, signs that request
-- again with the OLD key (proof that the old certificate's medium asks) and
-- posts both with the code (POST /renew/assist/issue).  The hall checks the
-- code, the old key's signature against the old certificate, and the
-- request's own signature (proof of possession of the new key), then
-- issues with the order's subject and validity.  The tool writes the new
-- certificate onto the medium and says so (POST /renew/assist/written):
-- only then is the order 已签收 and the old certificate and key removed
-- from the medium.  A write that fails is said too (POST
-- /renew/assist/failed): the new certificate is revoked, the ticket open
-- again for a new code.
--
-- renew_tickets: one per 证书更新 order of a medium's certificate
--   code_hash    SHA-256 (hex) of the code the holder took; a new code
--                replaces it while the ticket is open.  The code itself is
--                shown once to its holder and never stored.
--   state        open -> issued (the new certificate signed and stored,
--                new_serial) -> written (on the medium; the order
--                delivered); issued -> open (the tool could not write it:
--                the new certificate revoked, a new code needed);
--                open -> void (too many wrong codes)
--   wrong_tries  wrong codes sent for this medium; the fifth voids it
--   failed_serial  the last new certificate revoked because the tool could
--                not write it: the old certificate's seals were re-made on
--                it at its issue, so the next issue re-makes them from it
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE renew_tickets (
    order_id bigint PRIMARY KEY REFERENCES orders (id),
    cert_serial text NOT NULL REFERENCES certificates (serial),
    medium_serial text NOT NULL REFERENCES media (serial),
    code_hash text NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'issued', 'written', 'void')),
    wrong_tries integer NOT NULL DEFAULT 0 CHECK (wrong_tries >= 0),
    new_serial text NULL REFERENCES certificates (serial),
    failed_serial text NULL REFERENCES certificates (serial),
    created_at timestamptz NOT NULL DEFAULT now(),
    code_at timestamptz NULL,
    issued_at timestamptz NULL,
    written_at timestamptz NULL,
    CHECK (state NOT IN ('issued', 'written') OR (new_serial IS NOT NULL AND code_hash IS NOT NULL))
);
-- one live ticket per medium
CREATE UNIQUE INDEX renew_tickets_medium ON renew_tickets (medium_serial)
    WHERE state IN ('open', 'issued');
