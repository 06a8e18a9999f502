/*
 * The version of the static files: the first 12 hex digits of SHA-256 over
 * the names and contents of the regular files in static_dir and its
 * folders (static/stamp/vendor/...), by name.  The
 * layout links /static/NAME?v=VERSION, so a front may let browsers keep them
 * for a year (nginx/hall-tls.conf.in): any change of any file is a new URL.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "web/web.h"

#define ASSET_MAX_FILES 256 /* in one folder */
#define ASSET_MAX_DEPTH 4   /* folders in folders */

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_dir(EVP_MD_CTX *md, const char *root, const char *rel, int depth);

/* rel: the file's name below the static directory ("hall.css",
 * "stamp/vendor/pdf.min.js") */
static int
hash_file(EVP_MD_CTX *md, const char *root, const char *rel, int depth)
{
    char path[4096], buf[16384];
    struct stat st;
    FILE *f;
    size_t n;
    int rc = HALL_OK;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
        return HALL_ERR;
    if (stat(path, &st) != 0)
        return HALL_OK;
    /* a folder's files count as the top's do (static/stamp/: the 在线盖章
     * page's modules, linked from the page with the same ?v=) */
    if (S_ISDIR(st.st_mode))
        return depth < ASSET_MAX_DEPTH ? hash_dir(md, root, rel, depth + 1) : HALL_OK;
    if (!S_ISREG(st.st_mode))
        return HALL_OK; /* sockets and the like do not count */
    f = fopen(path, "rb");
    if (f == NULL)
        return HALL_ERR;
    /* the name with its NUL: "a"+"bc" and "ab"+"c" differ */
    EVP_DigestUpdate(md, rel, strlen(rel) + 1);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    if (ferror(f))
        rc = HALL_ERR;
    fclose(f);
    return rc;
}

/* the files of root/rel (rel "" for root itself), by name */
static int
hash_dir(EVP_MD_CTX *md, const char *root, const char *rel, int depth)
{
    char *names[ASSET_MAX_FILES], path[4096];
    size_t count = 0, i;
    struct dirent *e;
    DIR *d;
    int rc = HALL_ERR;

    if ((size_t)snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel) >= sizeof(path))
        return HALL_ERR;
    d = opendir(path);
    if (d == NULL)
        return HALL_ERR;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == ASSET_MAX_FILES)
            goto out;
        if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
            sizeof(path))
            goto out;
        names[count] = strdup(path);
        if (names[count] == NULL)
            goto out;
        count++;
    }
    qsort(names, count, sizeof(names[0]), name_cmp);
    for (i = 0; i < count; i++)
        if (hash_file(md, root, names[i], depth) != HALL_OK)
            goto out;
    rc = HALL_OK;
out:
    for (i = 0; i < count; i++)
        free(names[i]);
    closedir(d);
    return rc;
}

int
hall_asset_version(const char *dir, char *out, size_t outlen)
{
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int sumlen = 0;
    EVP_MD_CTX *md = NULL;
    size_t i;
    int rc = HALL_ERR;

    if (outlen < 13)
        return HALL_ERR;
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    if (hash_dir(md, dir, "", 0) != HALL_OK)
        goto out;
    if (EVP_DigestFinal_ex(md, sum, &sumlen) != 1 || sumlen < 6)
        goto out;
    for (i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
    rc = HALL_OK;
out:
    EVP_MD_CTX_free(md);
    return rc;
}
