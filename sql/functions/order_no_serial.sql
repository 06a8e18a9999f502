CREATE OR REPLACE FUNCTION order_no_serial(p_n bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_n < 100000 THEN lpad(p_n::text, 6, '0') ELSE p_n::text END;
