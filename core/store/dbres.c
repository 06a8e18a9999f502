/*
 * Reading a result: a value by row and column index or by column name, and
 * a row into JSON members by a spec of "key[=column][:type]" — parsed for
 * one row (hall_dbres_set) or compiled once for a list (hall_dbres_cols,
 * then hall_dbres_put per row).  docs/internals/store.md, "Reading a row
 * into JSON".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int
hall_dbres_rows(const struct hall_dbres *res)
{
    return PQntuples(res->res);
}

const char *
hall_dbres_get(const struct hall_dbres *res, int row, int col)
{
    if (row >= PQntuples(res->res) || col >= PQnfields(res->res))
        return NULL;
    if (PQgetisnull(res->res, row, col))
        return NULL;
    return PQgetvalue(res->res, row, col);
}

int
hall_dbres_isnull(const struct hall_dbres *res, int row, int col)
{
    return PQgetisnull(res->res, row, col);
}

int64_t
hall_dbres_i64(const struct hall_dbres *res, int row, int col)
{
    const char *v = hall_dbres_get(res, row, col);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int
hall_dbres_col(const struct hall_dbres *res, const char *name)
{
    int c = PQfnumber(res->res, name);

    if (c < 0)
        hall_log(HALL_LOG_ERR, NULL, "msg=\"no such column\" column=%s", name);
    return c;
}

const char *
hall_dbres_str(const struct hall_dbres *res, int row, const char *name)
{
    int c = hall_dbres_col(res, name);

    return c < 0 ? NULL : hall_dbres_get(res, row, c);
}

int64_t
hall_dbres_int(const struct hall_dbres *res, int row, const char *name)
{
    const char *v = hall_dbres_str(res, row, name);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int
hall_dbres_bool(const struct hall_dbres *res, int row, const char *name)
{
    const char *v = hall_dbres_str(res, row, name);

    return v != NULL && strcmp(v, "t") == 0;
}

/* one member of a compiled row-to-JSON list */
struct hall_dbcol {
    const char *key;
    int col;   /* -1: no such column, read as SQL NULL */
    char type; /* 's', 'i', 'b', 'n' */
};

struct hall_dbcols {
    int n;
    struct hall_dbcol c[];
};

struct hall_dbcols *
hall_dbres_cols(struct hall_pool *pool, const struct hall_dbres *res, const char *cols)
{
    struct hall_dbcols *dc;
    char col[64];
    const char *p = cols, *end, *eq, *colon;
    size_t kn, cn, max = 1;

    for (end = cols; *end != '\0'; end++)
        max += *end == ' ';
    dc = hall_palloc(pool, sizeof(*dc) + max * sizeof(dc->c[0]));
    dc->n = 0;
    while (*p != '\0') {
        struct hall_dbcol *d = &dc->c[dc->n];

        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        end = p + strcspn(p, " ");
        colon = memchr(p, ':', (size_t)(end - p));
        eq = memchr(p, '=', (size_t)((colon != NULL ? colon : end) - p));
        kn = (size_t)((eq != NULL ? eq : colon != NULL ? colon : end) - p);
        cn = eq != NULL ? (size_t)((colon != NULL ? colon : end) - eq - 1) : kn;
        if (kn == 0 || kn >= sizeof(col) || cn == 0 || cn >= sizeof(col))
            abort(); /* a mistake of the caller's literal */
        d->type = colon != NULL ? colon[1] : 's';
        if (colon != NULL && (end - colon != 2 || strchr("ibn", d->type) == NULL))
            abort();
        d->key = hall_pstrndup(pool, p, kn);
        memcpy(col, eq != NULL ? eq + 1 : p, cn);
        col[cn] = '\0';
        d->col = hall_dbres_col(res, col);
        dc->n++;
        p = end;
    }
    return dc;
}

/* replace: hall_val_set_* (a member of that key may exist; copies);
 * else hall_val_add_* (new members; the result's bytes when they live as
 * long as pool's tree) */
static void
put_row(struct hall_pool *pool, struct hall_val *obj, const struct hall_dbres *res, int row,
        const struct hall_dbcols *dc, int replace)
{
    const struct hall_dbcol *d;
    const char *v;
    int k;

    for (k = 0; k < dc->n; k++) {
        d = &dc->c[k];
        v = d->col >= 0 ? hall_dbres_get(res, row, d->col) : NULL;
        switch (d->type) {
        case 'i':
            if (replace)
                hall_val_set_int(pool, obj, d->key, v != NULL ? strtoll(v, NULL, 10) : 0);
            else
                hall_val_add_int(pool, obj, d->key, v != NULL ? strtoll(v, NULL, 10) : 0);
            break;
        case 'b':
            if (replace)
                hall_val_set_bool(pool, obj, d->key, v != NULL && strcmp(v, "t") == 0);
            else
                hall_val_add_bool(pool, obj, d->key, v != NULL && strcmp(v, "t") == 0);
            break;
        case 'n':
            if (v == NULL)
                break;
            /* fall through */
        default:
            if (replace)
                hall_val_set_str(pool, obj, d->key, v);
            else
                hall_val_add_str(pool, obj, d->key,
                                 v == NULL || pool == res->pool ? v : hall_pstrdup(pool, v));
            break;
        }
    }
}

void
hall_dbres_put(struct hall_pool *pool, struct hall_val *obj, const struct hall_dbres *res, int row,
               const struct hall_dbcols *c)
{
    put_row(pool, obj, res, row, c, 0);
}

void
hall_dbres_set(struct hall_pool *pool, struct hall_val *obj, const struct hall_dbres *res, int row,
               const char *cols)
{
    put_row(pool, obj, res, row, hall_dbres_cols(pool, res, cols), 1);
}
