-- 152_unlock_tickets: 证书解锁 of a certificate on a USB key, online, by the
-- 证书助手 (hall-assist unlock; docs/modules/assist.md; issue 64 §3).
--
-- A certificate made onto a medium (sql/145) keeps its key there: a
-- forgotten or locked user PIN is reset on the medium itself with its SO PIN,
-- which the hall keeps encrypted (media.so_pin_enc).  The holder proves
-- itself again through 证书解锁's order as for a file (the SMS code to the
-- certificate's phone, the identity check on the phone, staff's review);
-- once the order is 成功受理 the holder takes a one-time code for that
-- medium (POST /unlock/assist/ticket), and the tool sends the medium serial
-- and the code (POST /unlock/assist/release) and receives the SO PIN once,
-- with the new SO PIN it sets on the medium at the same time
-- (POST /unlock/assist/rotated confirms it).
--
-- unlock_tickets: one per 证书解锁 order of a medium's certificate
--   code_hash    SHA-256 (hex) of the code the holder took; a new code
--                replaces it while the ticket is open.  The code itself is
--                shown once to its holder and never stored.
--   state        open -> released (the SO PIN went to the tool, once)
--                     -> rotated (the tool set the new SO PIN and said so);
--                open -> void (too many wrong codes)
--   wrong_tries  wrong codes sent for this medium; the fifth voids it
--   new_so_pin_enc  the SO PIN the tool was told to set (encrypted as
--                media.so_pin_enc); in force once the tool confirmed it
--                (rotated).  The SO PIN in force for a medium is the last
--                rotated ticket's, else media.so_pin_enc (production's).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE unlock_tickets (
    order_id bigint PRIMARY KEY REFERENCES orders (id),
    cert_serial text NOT NULL REFERENCES certificates (serial),
    medium_serial text NOT NULL REFERENCES media (serial),
    code_hash text NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'released', 'rotated', 'void')),
    wrong_tries integer NOT NULL DEFAULT 0 CHECK (wrong_tries >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    code_at timestamptz NULL,
    released_at timestamptz NULL,
    rotated_at timestamptz NULL,
    new_so_pin_enc bytea NULL,
    CHECK (state = 'open' OR state = 'void' OR (code_hash IS NOT NULL AND released_at IS NOT NULL
        AND new_so_pin_enc IS NOT NULL))
);
-- one live ticket per medium
CREATE UNIQUE INDEX unlock_tickets_medium ON unlock_tickets (medium_serial) WHERE state = 'open';
