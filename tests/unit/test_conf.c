/*
 * Unit tests for core/base/conf.c, and the check that docs/operations.md
 * documents every option (pgbouncer's rule): the table under
 * "## Configuration" has a row "| `name` | default | meaning |" for each
 * entry of hall_conf_opts[], with the declared default, and no row for an
 * option that does not exist.  The repository is found through $HALL_ROOT,
 * which tests/local.am exports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hall.h"

static char tmpdir[256];
static char confpath[512];

static int
group_setup(void **state)
{
    const char *t = getenv("TMPDIR");

    snprintf(tmpdir, sizeof(tmpdir), "%s/hall-test-conf-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(confpath, sizeof(confpath), "%s/hall.conf", tmpdir);
    return 0;
}

static int
group_teardown(void **state)
{
    unlink(confpath);
    return rmdir(tmpdir);
}

static void
write_conf(const char *text)
{
    FILE *f = fopen(confpath, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *
opt_str(const struct hall_conf *c, const struct hall_conf_opt *o)
{
    return *(char *const *)((const char *)c + o->off);
}

static long
opt_int(const struct hall_conf *c, const struct hall_conf_opt *o)
{
    return *(const long *)((const char *)c + o->off);
}

static size_t
opt_count(void)
{
    size_t n = 0;

    while (hall_conf_opts[n].name != NULL)
        n++;
    return n;
}

/* loads text; on failure returns the message (copied), on success NULL */
static char *
load_text(struct hall_conf *c, const char *text)
{
    const char *err = NULL;
    int rc;

    write_conf(text);
    rc = hall_conf_load(c, confpath, &err);
    if (rc == HALL_OK)
        return NULL;
    assert_int_equal(rc, HALL_ERR);
    assert_non_null(err);
    return strdup(err);
}

/* ---- declarations and defaults ---------------------------------------------------- */

static void
conf_opts__declarations__sane(void **state)
{
    size_t i, j, n = opt_count();

    assert_true(n > 0);
    for (i = 0; i < n; i++) {
        const struct hall_conf_opt *o = &hall_conf_opts[i];

        assert_true(o->type == 's' || o->type == 'i');
        assert_non_null(o->def);
        if (o->doc == NULL || o->doc[0] == '\0')
            fail_msg("%s has no doc line", o->name);
        assert_true(o->off + (o->type == 's' ? sizeof(char *) : sizeof(long)) <=
                    sizeof(struct hall_conf));
        if (o->type == 'i') {
            char *end;
            long d = strtol(o->def, &end, 10);

            assert_true(o->min <= o->max);
            if (*end != '\0' || d < o->min || d > o->max)
                fail_msg("default of %s (%s) outside %ld..%ld", o->name, o->def, o->min, o->max);
        }
        for (j = 0; j < i; j++) {
            if (strcmp(hall_conf_opts[j].name, o->name) == 0)
                fail_msg("%s declared twice", o->name);
            if (hall_conf_opts[j].off == o->off)
                fail_msg("%s and %s share a field", hall_conf_opts[j].name, o->name);
        }
    }
}

static void
conf_load__no_file__every_option_its_default(void **state)
{
    struct hall_conf c;
    const struct hall_conf_opt *o;

    assert_int_equal(hall_conf_load(&c, NULL, NULL), HALL_OK);
    for (o = hall_conf_opts; o->name != NULL; o++) {
        if (o->type == 's')
            assert_string_equal(opt_str(&c, o), o->def);
        else
            assert_int_equal(opt_int(&c, o), strtol(o->def, NULL, 10));
    }
    /* and the values the rest of the code relies on */
    assert_string_equal(c.db_conninfo, "dbname=hall");
    assert_int_equal(c.workers, 4);
    assert_int_equal(c.cookie_secure, 0);
    hall_conf_free(&c);
    assert_null(c.db_conninfo);
}

static void
conf_load__file__values_comments_and_whitespace(void **state)
{
    struct hall_conf c;
    char *err;

    err = load_text(&c, "# comment\n"
                        "\n"
                        "   \t\n"
                        "  # indented comment\n"
                        "workers=8\n"
                        "\tdb_conninfo  =  host=/var/run/pg dbname=hall_test  \n"
                        "log_level = debug\r\n"
                        "workers = 16\n"
                        "public_url =\n"
                        "cookie_secure = 1");
    assert_null(err);
    /* the last of repeated lines wins */
    assert_int_equal(c.workers, 16);
    /* only the first '=' separates; the value is trimmed */
    assert_string_equal(c.db_conninfo, "host=/var/run/pg dbname=hall_test");
    assert_string_equal(c.log_level, "debug");
    assert_string_equal(c.public_url, "");
    /* a last line without a newline counts */
    assert_int_equal(c.cookie_secure, 1);
    /* untouched options keep their defaults */
    assert_int_equal(c.session_idle_s, 1800);
    assert_string_equal(c.template_dir, "templates");
    hall_conf_free(&c);
}

static void
conf_load__every_integer_bound__inclusive(void **state)
{
    const struct hall_conf_opt *o;

    for (o = hall_conf_opts; o->name != NULL; o++) {
        struct hall_conf c;
        char text[256], *err;

        if (o->type != 'i')
            continue;
        snprintf(text, sizeof(text), "%s = %ld\n", o->name, o->min);
        err = load_text(&c, text);
        if (err != NULL)
            fail_msg("%s", err);
        assert_int_equal(opt_int(&c, o), o->min);
        hall_conf_free(&c);
        snprintf(text, sizeof(text), "%s = %ld\n", o->name, o->max);
        err = load_text(&c, text);
        if (err != NULL)
            fail_msg("%s", err);
        assert_int_equal(opt_int(&c, o), o->max);
        hall_conf_free(&c);
    }
}

static void
conf_load__every_integer_out_of_range__error_names_option(void **state)
{
    const struct hall_conf_opt *o;

    for (o = hall_conf_opts; o->name != NULL; o++) {
        long bad[2];
        int k;

        if (o->type != 'i')
            continue;
        bad[0] = o->min - 1;
        bad[1] = o->max + 1;
        for (k = 0; k < 2; k++) {
            struct hall_conf c;
            char text[256], *err;

            snprintf(text, sizeof(text), "# line 1\n%s = %ld\n", o->name, bad[k]);
            err = load_text(&c, text);
            if (err == NULL)
                fail_msg("%s = %ld accepted", o->name, bad[k]);
            if (strstr(err, o->name) == NULL || strstr(err, ":2:") == NULL)
                fail_msg("message does not name %s line 2: %s", o->name, err);
            free(err);
            hall_conf_free(&c);
        }
    }
}

static void
conf_load__not_an_integer__error_names_option(void **state)
{
    static const char *const bad[] = {
        "abc",
        "12x",
        "",
        "0x10",
        "1.5",
        "4 4",
        "+",
        "-",
        "99999999999999999999",
        "-99999999999999999999",
        "四",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hall_conf c;
        char text[256], *err;

        snprintf(text, sizeof(text), "outbox_lane_workers = %s\n", bad[i]);
        err = load_text(&c, text);
        if (err == NULL)
            fail_msg("outbox_lane_workers = '%s' accepted (%ld)", bad[i], c.outbox_lane_workers);
        assert_non_null(strstr(err, "outbox_lane_workers"));
        assert_non_null(strstr(err, confpath));
        free(err);
        hall_conf_free(&c);
    }
}

static void
conf_load__unknown_option__error_names_it(void **state)
{
    struct hall_conf c;
    char *err;

    err = load_text(&c, "workers = 2\nworker = 3\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "unknown option worker"));
    assert_non_null(strstr(err, ":2:"));
    free(err);
    hall_conf_free(&c);
    /* names are case-sensitive */
    err = load_text(&c, "Workers = 2\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "Workers"));
    free(err);
    hall_conf_free(&c);
}

static void
conf_load__line_without_equals__error_names_line(void **state)
{
    struct hall_conf c;
    char *err;

    err = load_text(&c, "\n\nworkers 4\n");
    assert_non_null(err);
    assert_non_null(strstr(err, ":3:"));
    free(err);
    hall_conf_free(&c);
}

static void
conf_load__missing_file__error_names_path(void **state)
{
    struct hall_conf c;
    const char *err = NULL;

    assert_int_equal(hall_conf_load(&c, "/nonexistent/hall.conf", &err), HALL_ERR);
    assert_non_null(err);
    assert_non_null(strstr(err, "/nonexistent/hall.conf"));
    hall_conf_free(&c);
}

/* ---- docs/operations.md ---------------------------------------------------- */

static char *
read_operations_md(void)
{
    const char *root = getenv("HALL_ROOT");
    char path[1024];
    FILE *f;
    char *text;
    long n;

    if (root == NULL || *root == '\0')
        fail_msg("HALL_ROOT is not set (make check exports it)");
    snprintf(path, sizeof(path), "%s/docs/operations.md", root);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* the section from "## Configuration" to the next "## " heading */
static char *
config_section(char *text)
{
    char *s = strstr(text, "\n## Configuration\n"), *e;

    if (s == NULL)
        fail_msg("docs/operations.md has no \"## Configuration\" section");
    s++;
    e = strstr(s + 3, "\n## ");
    if (e != NULL)
        e[1] = '\0';
    return s;
}

/* copies table cell k (0-based, after the leading '|') of line into out, trimmed of ` and spaces */
static int
cell(const char *line, int k, char *out, size_t outlen)
{
    const char *p = line, *e;
    size_t n;

    if (*p != '|')
        return HALL_ERR;
    while (k-- > 0) {
        p = strchr(p + 1, '|');
        if (p == NULL)
            return HALL_ERR;
    }
    p++;
    e = strchr(p, '|');
    if (e == NULL)
        return HALL_ERR;
    while (p < e && (*p == ' ' || *p == '`'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '`'))
        e--;
    n = (size_t)(e - p);
    if (n >= outlen)
        return HALL_ERR;
    memcpy(out, p, n);
    out[n] = '\0';
    return HALL_OK;
}

/* the table row of option name in the section, or NULL */
static const char *
doc_row(const char *section, const char *name)
{
    char needle[128];
    const char *p;

    snprintf(needle, sizeof(needle), "\n| `%s` |", name);
    p = strstr(section, needle);
    return p != NULL ? p + 1 : NULL;
}

static void
conf_docs__every_option__has_a_row_in_operations_md(void **state)
{
    char *text = read_operations_md();
    const char *section = config_section(text);
    const struct hall_conf_opt *o;
    int missing = 0;

    for (o = hall_conf_opts; o->name != NULL; o++)
        if (doc_row(section, o->name) == NULL) {
            print_error("option %s is missing from docs/operations.md (## Configuration)\n",
                        o->name);
            missing++;
        }
    free(text);
    assert_int_equal(missing, 0);
}

static void
conf_docs__documented_defaults__match_declarations(void **state)
{
    char *text = read_operations_md();
    const char *section = config_section(text);
    const struct hall_conf_opt *o;
    int wrong = 0;

    for (o = hall_conf_opts; o->name != NULL; o++) {
        const char *row = doc_row(section, o->name);
        char def[256];

        if (row == NULL)
            continue; /* reported by the test above */
        if (cell(row, 1, def, sizeof(def)) != HALL_OK || strcmp(def, o->def) != 0) {
            print_error("docs/operations.md gives %s the default '%s', core/base/conf.c '%s'\n",
                        o->name, def, o->def);
            wrong++;
        }
    }
    free(text);
    assert_int_equal(wrong, 0);
}

static void
conf_docs__every_row__is_a_declared_option(void **state)
{
    char *text = read_operations_md();
    const char *p = config_section(text);
    int rows = 0, stale = 0;

    for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
        const struct hall_conf_opt *o;
        char name[128];

        if (strncmp(p, "| `", 3) != 0 || cell(p, 0, name, sizeof(name)) != HALL_OK)
            continue;
        rows++;
        for (o = hall_conf_opts; o->name != NULL; o++)
            if (strcmp(o->name, name) == 0)
                break;
        if (o->name == NULL) {
            print_error(
                "docs/operations.md documents %s, which core/base/conf.c does not declare\n", name);
            stale++;
        }
    }
    free(text);
    assert_int_equal(stale, 0);
    assert_int_equal(rows, opt_count());
}

/* issue 12: behind HTTPS every cookie is Secure without a switch to remember */
static void
conf_load__https_public_url__cookie_secure_on_by_itself(void **state)
{
    static const struct {
        const char *text;
        long secure;
    } cases[] = {
        {"public_url = https://hall.example.cn\n", 1},
        {"public_url = HTTPS://hall.example.cn/\n", 1},
        {"public_url = https://hall.example.cn\ncookie_secure = 0\n", 1},
        {"public_url = http://127.0.0.1:8080\n", 0},
        {"public_url = http://https.example.cn\n", 0},
        {"public_url = http://127.0.0.1:8080\ncookie_secure = 1\n", 1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hall_conf c;
        char *err = load_text(&c, cases[i].text);

        if (err != NULL)
            fail_msg("%s", err);
        if (c.cookie_secure != cases[i].secure)
            fail_msg("%s: cookie_secure %ld, want %ld", cases[i].text, c.cookie_secure,
                     cases[i].secure);
        hall_conf_free(&c);
    }
}

/* the URLs certificates carry are plain HTTP: NSS refuses an https OCSP URL */
static void
conf_pki_url__https_public_url__http_and_its_host(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "http://127.0.0.1:8080"},
        {"public_url = http://127.0.0.1:23080\n", "http://127.0.0.1:23080"},
        {"public_url = https://hall.example.cn\n", "http://hall.example.cn"},
        {"public_url = HTTPS://hall.example.cn:8443/\n", "http://hall.example.cn"},
        {"public_url = https://[2001:db8::1]:443\n", "http://[2001:db8::1]"},
        {"public_url = https://hall.example.cn\npki_url = http://ca.example.cn:8080/\n",
         "http://ca.example.cn:8080"},
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i;
    char *err;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hall_conf c;
        const char *got;

        err = load_text(&c, cases[i].text);
        if (err != NULL)
            fail_msg("%s", err);
        got = hall_conf_pki_url(pool, &c);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: pki url %s, want %s", cases[i].text, got, cases[i].want);
        hall_conf_free(&c);
    }
    /* an https (or no) scheme stops start-up, naming the option */
    {
        static const char *bad[] = {"pki_url = https://hall.example.cn\n",
                                    "pki_url = hall.example.cn\n", "pki_url = http://\n"};

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            struct hall_conf c;

            err = load_text(&c, bad[i]);
            if (err == NULL || strstr(err, "pki_url must be http://") == NULL)
                fail_msg("%s: %s", bad[i], err != NULL ? err : "accepted");
            free(err);
            hall_conf_free(&c);
        }
    }
    hall_pool_destroy(pool);
}

/* objstore: local or s3, and s3 only with what it needs to reach a bucket */
static void
conf_load__objstore__driver_and_its_s3_settings_checked(void **state)
{
    struct hall_conf c;
    char *err;

    (void)state;
    err = load_text(&c, "objstore = ftp\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "objstore must be local or s3"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_access_key = k\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "s3_endpoint"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = http://127.0.0.1:9000\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "s3_access_key"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = http://127.0.0.1:9000\n"
                        "s3_access_key = k\ns3_bucket = Hall_1\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "s3_bucket"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = https://objects:8080\n"
                        "s3_access_key = hall:hall\ns3_bucket = hall-1\n");
    assert_null(err);
    assert_string_equal(c.objstore, "s3");
    assert_string_equal(c.s3_region, "us-east-1");
    hall_conf_free(&c);
    /* several endpoints, commas or spaces between them, each a URL */
    err = load_text(&c, "objstore = s3\ns3_endpoint = http://10.0.0.1:8080/, http://10.0.0.2:8080"
                        "  https://objects:8443\ns3_access_key = hall:hall\n");
    assert_null(err);
    {
        const char *p = c.s3_endpoint, *at;
        size_t n;

        assert_true(hall_s3_endpoint_next(&p, &at, &n));
        assert_int_equal(n, strlen("http://10.0.0.1:8080"));
        assert_memory_equal(at, "http://10.0.0.1:8080", n);
        assert_true(hall_s3_endpoint_next(&p, &at, &n));
        assert_memory_equal(at, "http://10.0.0.2:8080", n);
        assert_true(hall_s3_endpoint_next(&p, &at, &n));
        assert_int_equal(n, strlen("https://objects:8443"));
        assert_memory_equal(at, "https://objects:8443", n);
        assert_false(hall_s3_endpoint_next(&p, &at, &n));
    }
    assert_int_equal(c.s3_connect_ms, 1000);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = http://10.0.0.1:8080,objects:8080\n"
                        "s3_access_key = hall:hall\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "s3_endpoint"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = http://a,http://b,http://c,http://d,"
                        "http://e,http://f,http://g,http://h,http://i\ns3_access_key = k\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "up to 8"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "objstore = s3\ns3_endpoint = , ,\ns3_access_key = k\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "s3_endpoint"));
    free(err);
    hall_conf_free(&c);
    err = load_text(&c, "# nothing\n");
    assert_null(err);
    assert_string_equal(c.objstore, "local");
    hall_conf_free(&c);
}

static void
put_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* the ?v= of the static URLs: the same files give the same version, any
 * change of a content, a name or the set of files a new one, in a folder too */
static void
asset_version__any_change_of_the_files__new_version(void **state)
{
    char dir[600], v1[16], v2[16], path[700];
    size_t i;

    snprintf(dir, sizeof(dir), "%s/static", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    put_file(dir, "hall.css", "body { color: #222; }\n");
    put_file(dir, "hall.js", "'use strict';\n");
    assert_int_equal(hall_asset_version(dir, v1, sizeof(v1)), HALL_OK);
    assert_int_equal(strlen(v1), 12);
    for (i = 0; i < 12; i++)
        assert_non_null(strchr("0123456789abcdef", v1[i]));
    assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
    assert_string_equal(v1, v2);

    put_file(dir, "hall.css", "body { color: #333; }\n");
    assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
    assert_string_not_equal(v1, v2);
    put_file(dir, "hall.css", "body { color: #222; }\n");
    assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
    assert_string_equal(v1, v2);

    put_file(dir, "new.js", "");
    assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
    assert_string_not_equal(v1, v2);
    snprintf(path, sizeof(path), "%s/new.js", dir);
    unlink(path);

    snprintf(path, sizeof(path), "%s/hall.js", dir);
    {
        char to[700];

        snprintf(to, sizeof(to), "%s/hall2.js", dir);
        assert_int_equal(rename(path, to), 0);
        assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
        assert_string_not_equal(v1, v2);
        unlink(to);
    }
    /* a file in a folder (static/stamp/vendor/): its content and name count */
    {
        char sub[700], v0[16], v3[16];

        assert_int_equal(hall_asset_version(dir, v0, sizeof(v0)), HALL_OK);
        snprintf(sub, sizeof(sub), "%s/stamp", dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        put_file(sub, "page.js", "export {};\n");
        assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
        assert_string_not_equal(v0, v2);
        put_file(sub, "page.js", "export { x };\n");
        assert_int_equal(hall_asset_version(dir, v3, sizeof(v3)), HALL_OK);
        assert_string_not_equal(v2, v3);
        assert_true(snprintf(path, sizeof(path), "%s/page.js", sub) < (int)sizeof(path));
        unlink(path);
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_OK);
        assert_string_equal(v0, v2);
    }
    snprintf(path, sizeof(path), "%s/hall.css", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(hall_asset_version(dir, v2, sizeof(v2)), HALL_ERR);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conf_opts__declarations__sane),
        cmocka_unit_test(conf_load__no_file__every_option_its_default),
        cmocka_unit_test(conf_load__file__values_comments_and_whitespace),
        cmocka_unit_test(conf_load__every_integer_bound__inclusive),
        cmocka_unit_test(conf_load__every_integer_out_of_range__error_names_option),
        cmocka_unit_test(conf_load__not_an_integer__error_names_option),
        cmocka_unit_test(conf_load__unknown_option__error_names_it),
        cmocka_unit_test(conf_load__line_without_equals__error_names_line),
        cmocka_unit_test(conf_load__missing_file__error_names_path),
        cmocka_unit_test(conf_docs__every_option__has_a_row_in_operations_md),
        cmocka_unit_test(conf_docs__documented_defaults__match_declarations),
        cmocka_unit_test(conf_docs__every_row__is_a_declared_option),
        cmocka_unit_test(conf_load__https_public_url__cookie_secure_on_by_itself),
        cmocka_unit_test(conf_pki_url__https_public_url__http_and_its_host),
        cmocka_unit_test(conf_load__objstore__driver_and_its_s3_settings_checked),
        cmocka_unit_test(asset_version__any_change_of_the_files__new_version),
    };

    return cmocka_run_group_tests_name("conf", tests, group_setup, group_teardown);
}
