/*
 * The version of the static files: the first 12 hex digits of SHA-256 over
 * the names and contents of the regular files in static_dir, by name.  The
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

#define ASSET_MAX_FILES 256

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
hash_file(EVP_MD_CTX *md, const char *dir, const char *name)
{
    char path[4096], buf[16384];
    struct stat st;
    FILE *f;
    size_t n;
    int rc = HALL_OK;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return HALL_ERR;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return HALL_OK; /* folders and the like do not count */
    f = fopen(path, "rb");
    if (f == NULL)
        return HALL_ERR;
    /* the name with its NUL: "a"+"bc" and "ab"+"c" differ */
    EVP_DigestUpdate(md, name, strlen(name) + 1);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    if (ferror(f))
        rc = HALL_ERR;
    fclose(f);
    return rc;
}

int
hall_asset_version(const char *dir, char *out, size_t outlen)
{
    char *names[ASSET_MAX_FILES];
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int sumlen = 0;
    size_t count = 0, i;
    EVP_MD_CTX *md = NULL;
    struct dirent *e;
    DIR *d;
    int rc = HALL_ERR;

    if (outlen < 13)
        return HALL_ERR;
    d = opendir(dir);
    if (d == NULL)
        return HALL_ERR;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == ASSET_MAX_FILES)
            goto out;
        names[count] = strdup(e->d_name);
        if (names[count] == NULL)
            goto out;
        count++;
    }
    qsort(names, count, sizeof(names[0]), name_cmp);
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    for (i = 0; i < count; i++)
        if (hash_file(md, dir, names[i]) != HALL_OK)
            goto out;
    if (EVP_DigestFinal_ex(md, sum, &sumlen) != 1 || sumlen < 6)
        goto out;
    for (i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
    rc = HALL_OK;
out:
    EVP_MD_CTX_free(md);
    for (i = 0; i < count; i++)
        free(names[i]);
    closedir(d);
    return rc;
}
