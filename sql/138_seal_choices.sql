-- 138_seal_choices: 建筑工务署's 是否办理电子签章 as its own step (seed 003:
-- 3. 选择"是否办理电子签章",点击"下一步"; (默认为"是") — before 录入信息).
--
-- The applicant's choice is kept here by the step (core/flow/sealstep.c)
-- and read by 录入信息's page and submit: the server prices the order and
-- asks for the 印模采集表 from this row, never from the form's fields.
-- order_id 0: the application not saved yet (one per applicant and
-- partner, the latest choice); otherwise the saved order the applicant
-- went back from (its choice changed on the step, used by the next submit).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE seal_choices (
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    partner_code text NOT NULL REFERENCES partners(code),
    order_id     bigint NOT NULL DEFAULT 0 CHECK (order_id >= 0),
    seal         boolean NOT NULL,
    chosen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, partner_code, order_id));

COMMENT ON TABLE seal_choices IS
    'the 是否办理电子签章 step''s choice (seed 003), before 录入信息; order_id 0: not saved yet';
