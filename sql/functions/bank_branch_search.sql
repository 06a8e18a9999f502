-- The 开户行 search (core/flow/flow.c, flow_bank_search;
-- docs/internals/reference-data.md): every whitespace-separated term (at most
-- 5) must occur in the branch's name, its bank's name or aliases; the grams'
-- GIN index (bank_branches.grams) finds the candidates, the terms' ILIKE
-- decides; optionally within one bank.
CREATE OR REPLACE FUNCTION bank_branch_search(p_query text, p_limit integer DEFAULT 20,
                                              p_bank integer DEFAULT NULL)
RETURNS TABLE (branch_id integer, branch_name text, bank_id integer, bank_name text,
               city text, cnaps text)
LANGUAGE sql STABLE AS $$
    WITH terms AS (
        SELECT t, replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') AS esc
          FROM regexp_split_to_table(btrim(coalesce(p_query, '')), '\s+') AS t
         WHERE t <> ''
         LIMIT 5
    ), need AS (
        SELECT coalesce(array_agg(DISTINCT g), '{}') AS grams
          FROM terms CROSS JOIN LATERAL unnest(bank_term_grams(terms.t)) AS g
    ), cand AS (
        SELECT br.id, br.name, br.bank_id, br.city, br.cnaps
          FROM bank_branches br, need
         WHERE br.active
           AND br.grams @> need.grams
           AND (p_bank IS NULL OR br.bank_id = p_bank)
           AND EXISTS (SELECT 1 FROM terms)
         LIMIT 2000
    )
    SELECT c.id, c.name, b.id, b.name, c.city, c.cnaps
      FROM cand c
      JOIN banks b ON b.id = c.bank_id
     WHERE NOT EXISTS (
           SELECT 1 FROM terms
            WHERE NOT (c.name ILIKE '%' || terms.esc || '%'
                    OR b.name ILIKE '%' || terms.esc || '%'
                    OR EXISTS (SELECT 1 FROM unnest(b.aliases) AS al
                                WHERE al ILIKE terms.esc || '%')))
     ORDER BY similarity(c.name, btrim(p_query)) DESC, length(c.name), c.name
     LIMIT least(greatest(coalesce(p_limit, 20), 1), 50)
$$;
