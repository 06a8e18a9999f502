/*
 * sign_tools.c: 驱动和盖章工具下载 (GET /sign/tools, docs/modules/sign.md):
 * the holder's two programs as make stamp-dist packaged them into
 * static_dir/downloads: the 证书助手 hall-assist (the USB key's tool) and
 * the 盖章工具 hall-stamp, each package with its version, size and
 * SHA-256 (computed once per file) and, when signed, its CMS signature's
 * address; the media supported and the commands; the page, or JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sign.h"

/* the SHA-256 of a package, computed once per file (name, size, mtime) */
struct pkg_sum {
    char name[256];
    off_t size;
    time_t mtime;
    char hex[65];
};
static struct pkg_sum sums[8];

static const char *
pkg_sha256(struct hall_pool *pool, const char *dir, const char *name, const struct stat *st)
{
    unsigned char buf[65536], md[32];
    struct pkg_sum *slot = &sums[0];
    EVP_MD_CTX *c;
    ssize_t n;
    int i, fd;
    char *path;

    for (i = 0; i < 8; i++) {
        if (strcmp(sums[i].name, name) == 0 && sums[i].size == st->st_size &&
            sums[i].mtime == st->st_mtime)
            return sums[i].hex;
        if (sums[i].name[0] == '\0' || sums[i].mtime < slot->mtime)
            slot = &sums[i];
    }
    path = hall_psprintf(pool, "%s/%s", dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
        abort();
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        EVP_DigestUpdate(c, buf, (size_t)n);
    close(fd);
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    if (n < 0)
        return NULL;
    snprintf(slot->name, sizeof(slot->name), "%s", name);
    slot->size = st->st_size;
    slot->mtime = st->st_mtime;
    for (i = 0; i < 32; i++)
        snprintf(slot->hex + 2 * i, 3, "%02x", md[i]);
    return slot->hex;
}

/* a file name of PROG.json that is one plain file of dir, or NULL */
static const char *
pkg_name(const struct hall_val *e, const char *key)
{
    const struct hall_val *f = hall_val_get(e, key);

    if (f == NULL || f->type != HALL_V_STR || f->str[0] == '\0' || f->str[0] == '.' ||
        strlen(f->str) > 200 ||
        strspn(f->str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+~") !=
            strlen(f->str))
        return NULL;
    return f->str;
}

/* one program's page part and JSON while its packages are added */
struct tool_out {
    const char *prog;
    const char *version;
    struct hall_val *ctx;   /* the program's object of the page */
    struct hall_val *list;  /* its packages on the page */
    struct hall_val *jlist; /* every package of the JSON */
};

/* one package of PROG.json: listed when its file is there; its size and
 * SHA-256 are the file's own (the JSON's SHA-256 must agree); its detached
 * CMS signature (script/stamp-dist --sign) when that is there.  The
 * program's ctx gets KIND_name for the install lines. */
static int
pkg_add(struct hall_req *req, const char *dir, const struct hall_val *j, const char *kind,
        const char *label, struct tool_out *t)
{
    const struct hall_val *e = hall_val_get(j, kind), *h;
    const char *name, *sum, *sig;
    struct hall_val *p, *jp;
    struct stat st;

    if (e == NULL || e->type != HALL_V_OBJ)
        return 0;
    h = hall_val_get(e, "sha256");
    name = pkg_name(e, "file");
    if (name == NULL)
        return 0;
    if (stat(hall_psprintf(req->pool, "%s/%s", dir, name), &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    sum = pkg_sha256(req->pool, dir, name, &st);
    if (sum == NULL)
        return 0;
    if (h == NULL || h->type != HALL_V_STR || strcmp(h->str, sum) != 0)
        hall_warn(req, "msg=\"%s.json's sha256 is not its file's\" file=%s", t->prog, name);
    p = hall_val_push_obj(req->pool, t->list);
    hall_val_set_str(req->pool, p, "name", name);
    hall_val_set_str(req->pool, p, "version", t->version);
    hall_val_set_int(req->pool, p, "size", (int64_t)st.st_size);
    hall_val_set_fmt(req->pool, p, "size_text", "%.1f KB", (double)st.st_size / 1024.0);
    hall_val_set_str(req->pool, p, "sha256", sum);
    hall_val_set_str(req->pool, p, "kind", label);
    hall_val_set_fmt(req->pool, p, "url", "/static/downloads/%s", name);
    hall_val_set_str(req->pool, t->ctx, hall_psprintf(req->pool, "%s_name", kind), name);
    jp = hall_val_push_obj(req->pool, t->jlist);
    hall_val_set_str(req->pool, jp, "name", name);
    hall_val_set_str(req->pool, jp, "tool", t->prog);
    hall_val_set_str(req->pool, jp, "kind", kind);
    hall_val_set_str(req->pool, jp, "version", t->version);
    hall_val_set_int(req->pool, jp, "size", (int64_t)st.st_size);
    hall_val_set_str(req->pool, jp, "sha256", sum);
    hall_val_set_fmt(req->pool, jp, "url", "/static/downloads/%s", name);
    sig = pkg_name(e, "signature");
    if (sig != NULL && stat(hall_psprintf(req->pool, "%s/%s", dir, sig), &st) == 0 &&
        S_ISREG(st.st_mode)) {
        hall_val_set_str(req->pool, p, "signature", sig);
        hall_val_set_fmt(req->pool, p, "signature_url", "/static/downloads/%s", sig);
        hall_val_set_fmt(req->pool, jp, "signature_url", "/static/downloads/%s", sig);
        if (strcmp(kind, "deb") == 0)
            hall_val_set_str(req->pool, t->ctx, "deb_signature", sig);
    }
    return 1;
}

/*
 * hall-assist's usage as the program printed it at packaging: its lines
 * for the page (the commands as they are), and whether it has 在线更新
 * (`hall-assist renew`) and 在线变更 (`hall-assist change`): the page names
 * only the commands the packaged program has.
 */
static void
tool_usage(struct hall_req *req, const struct hall_val *j, struct tool_out *t, struct hall_val *jt)
{
    const struct hall_val *u = hall_val_get(j, "usage");
    struct hall_val *lines;
    const char *p, *nl;

    if (u == NULL || u->type != HALL_V_STR || u->str[0] == '\0' || strlen(u->str) > 4000)
        return;
    hall_val_set_str(req->pool, jt, "usage", u->str);
    lines = hall_val_set_list(req->pool, t->ctx, "usage_lines");
    for (p = u->str; *p != '\0'; p = nl != NULL ? nl + 1 : p + strlen(p)) {
        nl = strchr(p, '\n');
        hall_val_push_str(req->pool, lines,
                          hall_pstrndup(req->pool, p, nl != NULL ? (size_t)(nl - p) : strlen(p)));
    }
    hall_val_set_bool(req->pool, t->ctx, "renew", strstr(u->str, "hall-assist renew") != NULL);
    hall_val_set_bool(req->pool, jt, "renew", strstr(u->str, "hall-assist renew") != NULL);
    hall_val_set_bool(req->pool, t->ctx, "change", strstr(u->str, "hall-assist change") != NULL);
    hall_val_set_bool(req->pool, jt, "change", strstr(u->str, "hall-assist change") != NULL);
}

/* one program: static_dir/downloads/PROG.json's packages on the page (the
 * object KEY of ctx) and in the JSON; the number of packages listed */
static int
tool_add(struct hall_req *req, const char *dir, const char *prog, const char *key,
         struct hall_val *ctx, struct hall_val *jlist, struct hall_val *jtools)
{
    struct tool_out t = {prog, "", NULL, NULL, jlist};
    const struct hall_val *j = NULL, *v, *dep;
    struct hall_val *jt;
    unsigned char *text;
    size_t len = 0;
    char err[128];
    int count = 0;

    t.ctx = hall_val_set_obj(req->pool, ctx, key);
    hall_val_set_str(req->pool, t.ctx, "key", key);
    hall_val_set_str(req->pool, t.ctx, "prog", prog);
    t.list = hall_val_set_list(req->pool, t.ctx, "packages");
    jt = hall_val_push_obj(req->pool, jtools);
    hall_val_set_str(req->pool, jt, "name", prog);
    text =
        hall_whole_file(hall_psprintf(req->pool, "%s/%s.json", dir, prog), 4 * 1024 * 1024, &len);
    if (text != NULL && len > 0)
        j = hall_val_parse(req->pool, (const char *)text, len, err, sizeof(err));
    free(text);
    if (j != NULL && j->type == HALL_V_OBJ) {
        v = hall_val_get(j, "version");
        if (v != NULL && v->type == HALL_V_STR && strlen(v->str) <= 40)
            t.version = v->str;
        dep = hall_val_get(j, "depends");
        if (dep != NULL && dep->type == HALL_V_STR && strlen(dep->str) <= 400)
            hall_val_set_str(req->pool, t.ctx, "depends", dep->str);
        count += pkg_add(req, dir, j, "deb", "Debian 12 软件包（x86-64）", &t);
        count += pkg_add(req, dir, j, "tarball", "压缩包（Linux x86-64）", &t);
        tool_usage(req, j, &t, jt);
    }
    hall_val_set_str(req->pool, jt, "version", count > 0 ? t.version : "");
    /* no version without a package: never "hall-stamp__amd64.deb" */
    if (count > 0 && *t.version != '\0')
        hall_val_set_str(req->pool, t.ctx, "version", t.version);
    hall_val_set_bool(req->pool, t.ctx, "none", count == 0);
    hall_val_set_bool(req->pool, t.ctx, "some", count > 0);
    return count;
}

/*
 * The packages `make stamp-dist` wrote to static_dir/downloads/ (nginx
 * serves them under /static/downloads/), as hall-assist.json and
 * hall-stamp.json name them, each with its .p7s once the hall's CA signed
 * it (docs/modules/stamp.md and docs/modules/assist.md, "Packaging").
 * The same under a partner's path (/<partner>/sign/tools): the downloads
 * are the hall's own.
 */
int
sign_tools_page(struct hall_req *req)
{
    const char *dir = hall_psprintf(req->pool, "%s/downloads", req->app->conf.static_dir);
    struct hall_val *ctx = hall_page_ctx(req), *json = hall_val_obj(req->pool), *jlist, *jtools;
    const struct hall_val *stamp;
    const char *module = req->app->conf.medium_module;

    hall_val_set_str(req->pool, ctx, "title", "驱动和盖章工具下载");
    hall_val_set_fmt(req->pool, ctx, "tsa", "%s/tsa", req->app->conf.public_url);
    hall_val_set_str(req->pool, ctx, "hall_url", req->app->conf.public_url);
    /* the module the hall's production station makes USB keys with: the
     * holder's machine loads the same driver */
    if (module != NULL && *module != '\0' && strlen(module) <= 300)
        hall_val_set_str(req->pool, ctx, "medium_module", module);
    jlist = hall_val_set_list(req->pool, json, "packages");
    jtools = hall_val_set_list(req->pool, json, "tools");
    tool_add(req, dir, "hall-assist", "assist", ctx, jlist, jtools);
    tool_add(req, dir, "hall-stamp", "stamp", ctx, jlist, jtools);
    /* the JSON's version: hall-stamp's, as before the 证书助手 was listed */
    stamp = hall_val_get(hall_val_get(ctx, "stamp"), "version");
    hall_val_set_str(req->pool, json, "version",
                     stamp != NULL && stamp->type == HALL_V_STR ? stamp->str : "");
    if (req->accept != NULL && strstr(req->accept, "application/json") != NULL)
        return hall_resp_ok(req, json);
    return hall_resp_page(req, 200, "sign_tools", ctx);
}
