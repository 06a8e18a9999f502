/*
 * sign_tools.c: 驱动和盖章工具下载 (GET /sign/tools, docs/modules/sign.md):
 * hall-stamp's packages that make stamp-dist put in static_dir/downloads,
 * each with its version, size and SHA-256 (computed once per file) and,
 * when signed, its CMS signature's address; the page, or JSON.
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

/* a file name of hall-stamp.json that is one plain file of dir, or NULL */
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

/* one package of hall-stamp.json: listed when its file is there; its size
 * and SHA-256 are the file's own (the JSON's SHA-256 must agree); its
 * detached CMS signature (script/stamp-dist --sign) when that is there.
 * ctx gets KIND_name for the install lines. */
static int
pkg_add(struct hall_req *req, const char *dir, const struct hall_val *j, const char *kind,
        const char *label, const char *version, struct hall_val *ctx, struct hall_val *list,
        struct hall_val *jlist)
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
        hall_warn(req, "msg=\"hall-stamp.json's sha256 is not its file's\" file=%s", name);
    p = hall_val_push_obj(req->pool, list);
    hall_val_set_str(req->pool, p, "name", name);
    hall_val_set_str(req->pool, p, "version", version);
    hall_val_set_int(req->pool, p, "size", (int64_t)st.st_size);
    hall_val_set_fmt(req->pool, p, "size_text", "%.1f KB", (double)st.st_size / 1024.0);
    hall_val_set_str(req->pool, p, "sha256", sum);
    hall_val_set_str(req->pool, p, "kind", label);
    hall_val_set_fmt(req->pool, p, "url", "/static/downloads/%s", name);
    hall_val_set_str(req->pool, ctx, hall_psprintf(req->pool, "%s_name", kind), name);
    jp = hall_val_push_obj(req->pool, jlist);
    hall_val_set_str(req->pool, jp, "name", name);
    hall_val_set_str(req->pool, jp, "kind", kind);
    hall_val_set_str(req->pool, jp, "version", version);
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
            hall_val_set_str(req->pool, ctx, "deb_signature", sig);
    }
    return 1;
}

/*
 * The packages `make stamp-dist` wrote to static_dir/downloads/ (nginx
 * serves them under /static/downloads/), as its hall-stamp.json names
 * them, each with its .p7s once the hall's CA signed it (docs/modules/
 * stamp.md, "Packaging").
 */
int
sign_tools_page(struct hall_req *req)
{
    const char *dir = hall_psprintf(req->pool, "%s/downloads", req->app->conf.static_dir);
    struct hall_val *ctx = hall_page_ctx(req), *list, *json = hall_val_obj(req->pool), *jlist;
    const struct hall_val *j = NULL, *v, *dep;
    const char *version = "";
    unsigned char *text;
    size_t len = 0;
    char err[128];
    int count = 0;

    hall_val_set_str(req->pool, ctx, "title", "驱动和盖章工具下载");
    hall_val_set_fmt(req->pool, ctx, "tsa", "%s/tsa", req->app->conf.public_url);
    list = hall_val_set_list(req->pool, ctx, "packages");
    jlist = hall_val_set_list(req->pool, json, "packages");
    text =
        hall_whole_file(hall_psprintf(req->pool, "%s/hall-stamp.json", dir), 4 * 1024 * 1024, &len);
    if (text != NULL && len > 0)
        j = hall_val_parse(req->pool, (const char *)text, len, err, sizeof(err));
    free(text);
    if (j != NULL && j->type == HALL_V_OBJ) {
        v = hall_val_get(j, "version");
        if (v != NULL && v->type == HALL_V_STR && strlen(v->str) <= 40)
            version = v->str;
        dep = hall_val_get(j, "depends");
        if (dep != NULL && dep->type == HALL_V_STR && strlen(dep->str) <= 400)
            hall_val_set_str(req->pool, ctx, "depends", dep->str);
        count +=
            pkg_add(req, dir, j, "deb", "Debian 12 软件包（x86-64）", version, ctx, list, jlist);
        count +=
            pkg_add(req, dir, j, "tarball", "压缩包（Linux x86-64）", version, ctx, list, jlist);
    }
    hall_val_set_str(req->pool, json, "version", version);
    if (req->accept != NULL && strstr(req->accept, "application/json") != NULL)
        return hall_resp_ok(req, json);
    /* no version without a package: never "hall-stamp__amd64.deb" */
    if (count > 0 && *version != '\0')
        hall_val_set_str(req->pool, ctx, "version", version);
    hall_val_set_bool(req->pool, ctx, "none", count == 0);
    hall_val_set_bool(req->pool, ctx, "some", count > 0);
    return hall_resp_page(req, 200, "sign_tools", ctx);
}
