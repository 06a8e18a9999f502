-- The milestones a status implies (cumulative: a paid order was submitted).
CREATE OR REPLACE FUNCTION order_reached_bits(p_status text)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE
        WHEN p_status IN ('unpaid', 'transfer_review') THEN 1
        WHEN p_status IN ('finauth_pending', 'finauth_ok', 'finauth_failed', 'review',
                          'rejected', 'refund_requested', 'refunded') THEN 3
        WHEN p_status = 'accepted' THEN 7
        WHEN p_status IN ('issued', 'shipped') THEN 15
        WHEN p_status = 'delivered' THEN 31
        ELSE 0 END)::smallint
$$;
