/*
 * HTML templates: a mustache subset compiled once at start-up.
 *   {{name}} escaped   {{{name}}} raw   {{a.b}} dotted   {{.}} current item
 *   {{#x}}...{{/x}} list / truthy      {{^x}}...{{/x}} falsy
 *   {{>name}} another template        {{! comment }}
 * Escaping is the default; raw output is for HTML the core produced itself.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "web/web.h"

enum node_type { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL };

struct node {
    enum node_type type;
    char *text; /* text, or the name */
    size_t len;
    const char *dot;    /* a name's first '.', found once here, not per lookup */
    struct node *child; /* sections */
    struct node *next;
};

struct tmpl {
    char *name;
    char *source;
    struct node *root;
    struct tmpl *next;
};

struct hall_tmpl_set {
    struct tmpl *list;
};

#define MAX_TEMPLATE (256 * 1024)
#define MAX_DEPTH    16

static void
nodes_free(struct node *n)
{
    struct node *next;

    for (; n != NULL; n = next) {
        next = n->next;
        nodes_free(n->child);
        if (n->type != N_TEXT)
            free(n->text);
        free(n);
    }
}

static struct node *
node_new(enum node_type t, char *text, size_t len)
{
    struct node *n = calloc(1, sizeof(*n));

    if (n == NULL)
        abort();
    n->type = t;
    n->text = text;
    n->len = len;
    if (t != N_TEXT)
        n->dot = strchr(text, '.');
    return n;
}

static char *
tag_name(const char *s, size_t n)
{
    char *r;

    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    r = strndup(s, n);
    if (r == NULL)
        abort();
    return r;
}

/* Parses from *pp until {{/closing}} (or end when closing is NULL). */
static struct node *
parse(const char **pp, const char *end, const char *closing, char *err, size_t errlen, int depth)
{
    struct node *head = NULL, **tail = &head;
    const char *p = *pp;

    if (depth > MAX_DEPTH) {
        snprintf(err, errlen, "sections nested too deeply");
        return NULL;
    }
    while (p < end) {
        const char *open = memmem(p, (size_t)(end - p), "{{", 2);
        const char *close;
        struct node *n;

        if (open == NULL)
            open = end;
        if (open > p) {
            *tail = node_new(N_TEXT, (char *)p, (size_t)(open - p));
            tail = &(*tail)->next;
        }
        if (open == end) {
            p = end;
            break;
        }
        if (open + 2 < end && open[2] == '{') {
            close = memmem(open + 3, (size_t)(end - open - 3), "}}}", 3);
            if (close == NULL)
                goto unclosed;
            *tail = node_new(N_RAW, tag_name(open + 3, (size_t)(close - open - 3)), 0);
            tail = &(*tail)->next;
            p = close + 3;
            continue;
        }
        close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
        if (close == NULL)
            goto unclosed;
        p = close + 2;
        switch (open[2]) {
        case '!': continue;
        case '/': {
            char *name = tag_name(open + 3, (size_t)(close - open - 3));
            int ok = closing != NULL && strcmp(name, closing) == 0;

            if (!ok)
                snprintf(err, errlen, "unexpected {{/%s}}", name);
            free(name);
            if (!ok)
                goto fail;
            *pp = p;
            return head != NULL ? head : node_new(N_TEXT, (char *)"", 0);
        }
        case '#':
        case '^':
            n = node_new(open[2] == '#' ? N_SECTION : N_INVERTED,
                         tag_name(open + 3, (size_t)(close - open - 3)), 0);
            *tail = n;
            tail = &n->next;
            n->child = parse(&p, end, n->text, err, errlen, depth + 1);
            if (n->child == NULL)
                goto fail;
            continue;
        case '>':
            *tail = node_new(N_PARTIAL, tag_name(open + 3, (size_t)(close - open - 3)), 0);
            tail = &(*tail)->next;
            continue;
        default:
            *tail = node_new(N_VAR, tag_name(open + 2, (size_t)(close - open - 2)), 0);
            tail = &(*tail)->next;
            continue;
        }
    }
    if (closing != NULL) {
        snprintf(err, errlen, "missing {{/%s}}", closing);
        goto fail;
    }
    *pp = p;
    return head != NULL ? head : node_new(N_TEXT, (char *)"", 0);
unclosed:
    snprintf(err, errlen, "unclosed tag");
fail:
    nodes_free(head);
    return NULL;
}

struct hall_tmpl_set *
hall_tmpl_load(const char *dir, char *err, size_t errlen)
{
    struct hall_tmpl_set *set = calloc(1, sizeof(*set));
    struct dirent *de;
    DIR *d;

    if (set == NULL)
        abort();
    d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "cannot open template_dir %s: %s", dir, strerror(errno));
        free(set);
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name), len;
        char path[4096], perr[200];
        const char *p;
        struct tmpl *t;

        if (nl < 6 || strcmp(de->d_name + nl - 5, ".html") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        t = calloc(1, sizeof(*t));
        if (t == NULL)
            abort();
        t->name = strndup(de->d_name, nl - 5);
        t->source = (char *)hall_whole_file(path, MAX_TEMPLATE, &len);
        t->next = set->list;
        set->list = t;
        if (t->source == NULL) {
            snprintf(err, errlen, "cannot read template %s", path);
            goto fail;
        }
        p = t->source;
        perr[0] = '\0';
        t->root = parse(&p, t->source + len, NULL, perr, sizeof(perr), 0);
        if (t->root == NULL) {
            snprintf(err, errlen, "template %s: %s", de->d_name, perr);
            goto fail;
        }
    }
    closedir(d);
    return set;
fail:
    closedir(d);
    hall_tmpl_free(set);
    return NULL;
}

void
hall_tmpl_free(struct hall_tmpl_set *set)
{
    struct tmpl *t, *next;

    if (set == NULL)
        return;
    for (t = set->list; t != NULL; t = next) {
        next = t->next;
        nodes_free(t->root);
        free(t->source);
        free(t->name);
        free(t);
    }
    free(set);
}

static const struct tmpl *
tmpl_find(const struct hall_tmpl_set *set, const char *name)
{
    const struct tmpl *t;

    for (t = set->list; t != NULL; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

void
hall_html_escape(struct hall_buf *out, const char *s)
{
    for (;;) {
        /* the run up to the next byte to escape, copied at once */
        size_t n = strcspn(s, "&<>\"'");
        const char *rep;

        hall_buf_add(out, s, n);
        s += n;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: return;
        }
        hall_buf_addstr(out, rep);
        s++;
    }
}

struct ctx {
    const struct hall_val *stack[MAX_DEPTH * 2 + 2];
    int top;
};

/* the value of name; dot is its first '.' (NULL: none) */
static const struct hall_val *
lookup(const struct ctx *c, const char *name, const char *dot)
{
    char part[128];
    const struct hall_val *v = NULL;
    int i;

    if (name[0] == '.' && name[1] == '\0')
        return c->stack[c->top];
    if (dot == NULL) {
        /* a plain name, the usual case: no copy */
        for (i = c->top; i >= 0 && v == NULL; i--)
            v = hall_val_get(c->stack[i], name);
        return v;
    }
    {
        size_t n = dot != NULL ? (size_t)(dot - name) : strlen(name);

        if (n >= sizeof(part))
            return NULL;
        memcpy(part, name, n);
        part[n] = '\0';
    }
    for (i = c->top; i >= 0 && v == NULL; i--)
        v = hall_val_get(c->stack[i], part);
    while (v != NULL && dot != NULL) {
        const char *next = strchr(dot + 1, '.');
        size_t n = next != NULL ? (size_t)(next - dot - 1) : strlen(dot + 1);

        if (n >= sizeof(part))
            return NULL;
        memcpy(part, dot + 1, n);
        part[n] = '\0';
        v = hall_val_get(v, part);
        dot = next;
    }
    return v;
}

static int
truthy(const struct hall_val *v)
{
    if (v == NULL)
        return 0;
    switch (v->type) {
    case HALL_V_NULL: return 0;
    case HALL_V_STR: return v->str[0] != '\0';
    case HALL_V_INT:
    case HALL_V_BOOL: return v->i != 0;
    case HALL_V_LIST: return v->first != NULL;
    case HALL_V_OBJ: return 1;
    }
    return 0;
}

static void
emit_scalar(struct hall_buf *out, const struct hall_val *v, int escape)
{
    char num[32];

    if (v == NULL)
        return;
    switch (v->type) {
    case HALL_V_STR:
        if (escape)
            hall_html_escape(out, v->str);
        else
            hall_buf_addstr(out, v->str);
        break;
    case HALL_V_INT: {
        /* by hand: snprintf's format parsing cost more than the digits */
        char *p = num + sizeof(num);
        uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;

        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (v->i < 0)
            *--p = '-';
        hall_buf_add(out, p, (size_t)(num + sizeof(num) - p));
        break;
    }
    case HALL_V_BOOL: hall_buf_addstr(out, v->i ? "true" : "false"); break;
    default: break;
    }
}

static int render_nodes(const struct hall_tmpl_set *set, const struct node *n, struct ctx *c,
                        struct hall_buf *out, int depth);

static int
render_nodes(const struct hall_tmpl_set *set, const struct node *n, struct ctx *c,
             struct hall_buf *out, int depth)
{
    if (depth > MAX_DEPTH)
        return HALL_ERR;
    for (; n != NULL; n = n->next) {
        const struct hall_val *v;

        switch (n->type) {
        case N_TEXT: hall_buf_add(out, n->text, n->len); break;
        case N_VAR:
        case N_RAW: emit_scalar(out, lookup(c, n->text, n->dot), n->type == N_VAR); break;
        case N_INVERTED:
            if (!truthy(lookup(c, n->text, n->dot)) &&
                render_nodes(set, n->child, c, out, depth + 1) != HALL_OK)
                return HALL_ERR;
            break;
        case N_SECTION:
            v = lookup(c, n->text, n->dot);
            if (!truthy(v))
                break;
            if (c->top + 1 >= (int)(sizeof(c->stack) / sizeof(c->stack[0])))
                return HALL_ERR;
            if (v->type == HALL_V_LIST) {
                const struct hall_val *item;

                for (item = v->first; item != NULL; item = item->next) {
                    c->stack[++c->top] = item;
                    if (render_nodes(set, n->child, c, out, depth + 1) != HALL_OK)
                        return HALL_ERR;
                    c->top--;
                }
            } else {
                c->stack[++c->top] = v;
                if (render_nodes(set, n->child, c, out, depth + 1) != HALL_OK)
                    return HALL_ERR;
                c->top--;
            }
            break;
        case N_PARTIAL: {
            const struct tmpl *t = tmpl_find(set, n->text);

            if (t == NULL || render_nodes(set, t->root, c, out, depth + 1) != HALL_OK)
                return HALL_ERR;
            break;
        }
        }
    }
    return HALL_OK;
}

int
hall_tmpl_render(const struct hall_tmpl_set *set, const char *name, const struct hall_val *ctxv,
                 struct hall_buf *out)
{
    const struct tmpl *t = tmpl_find(set, name);
    struct ctx c;

    if (t == NULL)
        return HALL_ERR;
    c.top = 0;
    c.stack[0] = ctxv;
    if (render_nodes(set, t->root, &c, out, 0) != HALL_OK)
        return HALL_ERR;
    /* a page cut at the buffer's maximum is an error, not a shorter page */
    return out->overflow ? HALL_ERR : HALL_OK;
}
