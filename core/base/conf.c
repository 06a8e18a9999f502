/*
 * Configuration: every option declared once here with type, bounds, default
 * and a line of documentation.  tests/unit/test_conf.c fails when an option
 * is missing from docs/operations.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "base/kdf.h"

#define OFF(f) offsetof(struct hall_conf, f)
#define S(name, def, doc)                                                                          \
    {                                                                                              \
#name, 's', 0, 0, def, OFF(name), doc                                                      \
    }
#define I(name, min, max, def, doc)                                                                \
    {                                                                                              \
#name, 'i', min, max, def, OFF(name), doc                                                  \
    }

const struct hall_conf_opt hall_conf_opts[] = {
    S(db_conninfo, "dbname=hall", "libpq connection string of the store of record"),
    S(db_replica_conninfo, "",
      "libpq connection string of a streaming replica for report reads (empty: the primary)"),
    S(key_file, "var/keys/pii.key", "128 hex characters: AES-256-GCM key, then HMAC key"),
    S(template_dir, "templates", "directory of the HTML templates"),
    S(static_dir, "static",
      "directory of the static files; their content hash versions their URLs"),
    S(upload_dir, "var/uploads", "where uploaded materials are kept, outside the web root"),
    S(tmp_dir, "var/tmp", "where multipart uploads are streamed while a request runs"),
    /* the files kept outside PostgreSQL (core/store/objstore.c) */
    S(objstore, "local",
      "where uploaded materials are kept: local (upload_dir) or s3 (an S3 API bucket, s3_*)"),
    S(s3_endpoint, "",
      "with objstore = s3: the store's URL, http(s)://host[:port] (path-style requests); "
      "several, comma or space separated: tried in order, the next on a connection failure"),
    S(s3_bucket, "hall", "with objstore = s3: the bucket"),
    S(s3_region, "us-east-1", "with objstore = s3: the region the requests are signed for"),
    S(s3_access_key, "", "with objstore = s3: the access key id"),
    S(s3_secret_key_file, "var/keys/s3.secret",
      "with objstore = s3: file holding the secret access key, first line (0600)"),
    S(s3_ca_file, "",
      "with objstore = s3 over https: CA certificates to trust (empty: the system's)"),
    S(sandbox_url, "http://127.0.0.1:8091", "base URL of the outside services (sandbox)"),
    S(public_url, "http://127.0.0.1:8080", "URL the hall is reached at, for links in SMS"),
    S(log_level, "info", "err, warn, info or debug"),
    I(workers, 1, 256, "4", "worker processes per module"),
    I(max_requests, 0, 100000000, "0", "a worker exits after this many requests (0: never)"),
    I(session_idle_s, 60, 86400, "1800", "a session ends after this long without a request"),
    I(session_absolute_s, 300, 604800, "43200", "a session ends this long after login"),
    I(cookie_secure, 0, 1, "0", "1 adds Secure to cookies; on by itself when public_url is https"),
    I(upload_max_bytes, 1024, 104857600, "2097152", "largest accepted uploaded file"),
    I(body_max_bytes, 1024, 104857600, "3145728", "largest accepted request body"),
    I(http_connect_ms, 10, 60000, "2000", "connect timeout for outside services"),
    I(http_total_ms, 50, 300000, "10000", "total timeout for one call to an outside service"),
    I(s3_connect_ms, 10, 60000, "1000",
      "with objstore = s3: connect timeout to each s3_endpoint, then the next is tried"),
    /* two calls (OCR's two sides, carrier + courier) each up to http_total_ms,
     * and still well inside nginx's fastcgi_read_timeout (60 s): the hall
     * answers its own clear 504 before nginx gives up on it */
    I(provider_deadline_ms, 100, 300000, "25000",
      "time one request may spend on all its calls to outside services together"),
    I(provider_max_calls, 0, 256, "0",
      "workers of a module that may wait on outside services at once (0: half of workers)"),
    I(login_max_failures, 1, 100, "5", "wrong passwords in a row before the account locks"),
    I(login_lock_s, 1, 86400, "900", "how long a locked account stays locked"),
    I(sms_code_ttl_s, 30, 3600, "300", "how long an SMS code stays valid"),
    I(sms_code_interval_s, 0, 3600, "60", "least time between two codes to one phone"),
    I(sms_code_daily_max, 1, 1000, "10", "most codes to one phone per day"),
    I(sms_code_max_tries, 1, 100, "5", "wrong tries before a code is void"),
    I(outbox_lane_workers, 1, 64, "2", "deliveries in flight at once per outbox lane (provider)"),
    I(outbox_max_attempts, 1, 1000, "12", "attempts before a job is marked dead"),
    I(outbox_poll_ms, 10, 60000, "1000", "outbox poll interval when no notification came"),
    I(outbox_probe_s, 0, 3600, "5",
      "a lane whose jobs all wait out a backoff tries one of them this often (0: never)"),
    I(pay_callback_max_age_s, 30, 86400, "300",
      "a WeChat Pay answer or notification whose timestamp is further than this from now "
      "is refused"),
    I(draft_daily_max, 1, 100000000, "20",
      "new orders one applicant may start per calendar day, Beijing time (429 above)"),
    I(upload_daily_max, 1, 100000000, "50",
      "files one applicant may upload per calendar day, replaced ones included (429 above)"),
    I(carrier_pass_keep_s, 0, 2592000, "86400",
      "a passed carrier real-name check of an applicant's name, ID number and phone is not asked"
      " again for that applicant within this many seconds (0: always ask)"),
    I(finauth_max_tries, 1, 100, "5", "wrong memo codes before financial authentication locks"),
    I(refund_four_eyes_fen, 0, 100000000000L, "100000",
      "a refund above this amount (fen) needs a second finance approval (default 1,000.00 yuan)"),
    I(sms_ip_hourly_max, 1, 10000000, "30", "most SMS codes one client IP may ask for per hour"),
    I(sms_session_hourly_max, 1, 10000000, "10",
      "most SMS codes one visitor (browser session) may ask for per hour"),
    I(reminder_first_days, 0, 365, "30",
      "days before a certificate ends that its first expiry reminder goes by SMS (0: none)"),
    I(reminder_last_days, 0, 365, "7",
      "days before a certificate ends that its last expiry reminder goes by SMS (0: none)"),
    S(pay_key_dir, "var/keys/pay",
      "the payment merchants' keys: a folder <channel>-<merchant_id> per account (sql/065)"),
    S(pki_dir, "var/keys/pki", "the CA hierarchy: certificates and keys (script/lib/pki-init.sh)"),
    S(pki_url, "",
      "plain-HTTP base of the URLs certificates carry: OCSP, CRL, CA certificate (empty: "
      "public_url, an https one as http://host)"),
    I(audit_mark_s, 0, 86400, "60",
      "seconds between the audit chain's marks: each chain's last row signed by the audit key"
      " (0: none, the daily anchors only)"),
    I(objstore_sweep_s, 0, 604800, "3600",
      "seconds between hall-outbox's sweeps of the object store's objects without a row"
      " (0: none)"),
    I(objstore_orphan_age_s, 60, 31536000, "3600",
      "the sweep removes an object without a row only once it is this many seconds old"),
    I(medium_keep_days, 0, 365, "7",
      "days after 已签收 the hall destroys a medium (PKCS#12) never downloaded"),
    S(provider_key_dir, "var/keys/providers",
      "the SMS and courier accounts' secrets, one file each (provider_accounts.secret_file)"),
    S(pki_pass_file, "/etc/hall/credentials/pki.pass",
      "the key-encryption passphrase, first line: of the SM2 CA keys in pki_dir, the demo signer's"
      " key, the merchants' keys in pay_key_dir and the secrets in provider_key_dir (0600, never"
      " in the repo, never under the directories it opens; $CREDENTIALS_DIRECTORY/NAME: systemd's"
      " credential NAME)"),
    S(kdf_cache_dir, "",
      "folder (0700, the hall user's, beside pki_pass_file, never under var/) keeping the key"
      " PBKDF2 derives from the passphrase for each encrypted file, so that a start pays it"
      " once (empty: derived at every start)"),
    S(pkcs11_module, "",
      "PKCS#11 module holding the ECDSA CA keys (SoftHSM2's, an HSM's); empty: no token"),
    S(pkcs11_token, "hall", "label of the PKCS#11 token holding the CA keys"),
    S(pkcs11_pin_file, "/etc/hall/credentials/pkcs11.pin",
      "the token's user PIN, first line (0600, never in the repo, never logged, never under"
      " the token's directory; $CREDENTIALS_DIRECTORY/NAME: systemd's credential NAME)"),
    S(report_token, "hall-report",
      "label of the PKCS#11 token (pkcs11_module) holding the 验签报告's signing key \"report\""
      " and nothing else: the one token the module sign opens"),
    S(report_pin_file, "/etc/hall/credentials/pkcs11-report.pin",
      "report_token's user PIN, first line (0600; never the CA token's PIN: the internet-facing"
      " module sign holds it; $CREDENTIALS_DIRECTORY/NAME: systemd's credential NAME)"),
    S(tsa_policy, "2.999.41.1",
      "the timestamp authority's policy OID (TSTInfo.policy; a request naming another is"
      " refused with unacceptedPolicy)"),
    I(tsa_accuracy_ms, 1, 60000, "1000", "the accuracy the timestamps state (TSTInfo.accuracy)"),
    I(ocsp_responder_s, 10, 2592000, "86400",
      "the life of the OCSP responder certificate each ocsp worker makes for itself (a key in its"
      " memory certified by the CA's key in the token), renewed at half of it"),
    I(ocsp_cache_s, 0, 3300, "60",
      "the longest nginx keeps an OCSP answer without a nonce to answer the same question again"
      " (X-Accel-Expires; the bound within which a revocation shows when its purge of"
      " ocsp_cache_dir cannot reach an nginx); 0: nginx keeps none"),
    S(ocsp_cache_dir, "",
      "nginx's OCSP cache (fastcgi_cache_path of nginx/hall.conf.in): a revocation's commit"
      " deletes the answers kept there; empty: none on this host"),
    S(pkcs11_softhsm_conf, "",
      "SOFTHSM2_CONF set for the module (SoftHSM2's token directory); empty: the environment's"),
    /* the production station's media (core/pki/medium.c, docs/internals/pki.md) */
    S(production_medium, "pkcs11",
      "what 制作证书 writes a certificate onto: pkcs11 only (a USB key in the station,"
      " medium_module: the key born in it); p12 (a key made by the hall) is refused at start,"
      " the certificates issued as files before keep their handover"),
    S(medium_module, "",
      "PKCS#11 module serving the production station's USB keys (the vendor's, p11-kit-proxy.so"
      " for the modules p11-kit lists, SoftHSM2's in tests); empty: no medium station"),
    S(medium_softhsm_conf, "",
      "SOFTHSM2_CONF for medium_module when it is SoftHSM2 (its token directory: the blank"
      " media); empty: the environment's"),
    I(medium_timeout_ms, 1000, 600000, "60000",
      "longest one step on a medium may take (initialise and key, write); a medium slower than"
      " this has failed: it is wiped and named"),
    S(demo_dir, "var/keys/demo",
      "the 免费体验 demo CA (script/lib/demo-ca.sh): demo-root.crt, demo-signer.crt and its"
      " encrypted demo-signer.key (pki_pass_file); not the hall's CA"),
    S(tsa_url, "", "the timestamp authority the 免费体验 stamps ask (empty: public_url + /tsa)"),
    S(partner_hook_allow_private, "",
      "addresses of loopback, link-local or private networks a partner's hook_url may reach,"
      " space-separated (empty: none; a hook_url that reaches one is refused)"),
    S(ocsp_url, "",
      "the OCSP responder GET /sign/evidence asks (empty: the one the certificate names,"
      " pki_url + /ocsp)"),
    I(sign_try_daily_max, 1, 100000, "10",
      "免费体验 stamps one client address may ask for per calendar day, Beijing time (429 above)"),
    {NULL, 0, 0, 0, NULL, 0, NULL},
};

static const struct hall_conf_opt *
opt_find(const char *name)
{
    const struct hall_conf_opt *o;

    for (o = hall_conf_opts; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/*
 * pki_url: where relying parties fetch OCSP answers, CRLs and the CA's
 * certificate, the URLs every certificate carries (core/pki/ca.c).  Plain
 * HTTP: NSS refuses an https OCSP URL (SEC_ERROR_CERT_BAD_ACCESS_LOCATION,
 * so pdfsig cannot check a stamp's certificate), and RFC 5280 4.2.2.1 and
 * RFC 5019 name HTTP.  Empty: public_url, or for an https one http:// and
 * its host (port 80: the HTTPS front serves these paths there,
 * nginx/hall-tls.conf.in).  No trailing '/'.
 */
const char *
hall_conf_pki_url(struct hall_pool *pool, const struct hall_conf *conf)
{
    const char *p = conf->public_url;
    char *url;
    size_t n;

    if (conf->pki_url[0] != '\0') {
        url = hall_pstrdup(pool, conf->pki_url);
    } else if (strncasecmp(p, "https://", 8) == 0) {
        const char *host = p + 8;

        /* the host alone: an IPv6 literal with its brackets */
        if (*host == '[' && strchr(host, ']') != NULL)
            n = (size_t)(strchr(host, ']') - host) + 1;
        else
            n = strcspn(host, ":/?#");
        url = hall_psprintf(pool, "http://%.*s", (int)n, host);
    } else {
        url = hall_pstrdup(pool, p);
    }
    n = strlen(url);
    while (n > 7 && url[n - 1] == '/')
        url[--n] = '\0';
    return url;
}

static int
opt_set(struct hall_conf *conf, const struct hall_conf_opt *o, const char *v)
{
    char *end;
    long n;

    if (o->type == 's') {
        char **slot = (char **)((char *)conf + o->off);

        free(*slot);
        *slot = strdup(v);
        return *slot != NULL ? HALL_OK : HALL_ERR;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < o->min || n > o->max)
        return HALL_ERR;
    *(long *)((char *)conf + o->off) = n;
    return HALL_OK;
}

int
hall_s3_endpoint_next(const char **p, const char **at, size_t *n)
{
    const char *s = *p + strspn(*p, ", \t");
    size_t len = strcspn(s, ", \t");

    *p = s + len;
    if (len == 0)
        return 0;
    *at = s;
    while (len > 0 && s[len - 1] == '/')
        len--;
    *n = len;
    return 1;
}

/* each of s3_endpoint's endpoints http(s)://host..., one at least, at most
 * HALL_S3_ENDPOINTS */
static int
s3_endpoints_ok(const char *list)
{
    const char *p = list, *at;
    size_t len;
    int k = 0;

    while (hall_s3_endpoint_next(&p, &at, &len)) {
        if (++k > HALL_S3_ENDPOINTS)
            return 0;
        if (!(len > 7 && strncmp(at, "http://", 7) == 0) &&
            !(len > 8 && strncmp(at, "https://", 8) == 0))
            return 0;
    }
    return k > 0;
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int
hall_conf_load(struct hall_conf *conf, const char *path, const char **errmsg)
{
    static char msg[512];
    const struct hall_conf_opt *o;
    char line[4096];
    FILE *f = NULL;
    int lineno = 0, rc = HALL_ERR;

    memset(conf, 0, sizeof(*conf));
    for (o = hall_conf_opts; o->name != NULL; o++)
        if (opt_set(conf, o, o->def) != HALL_OK) {
            snprintf(msg, sizeof(msg), "bad default for %s", o->name);
            goto out;
        }
    if (path == NULL) {
        rc = HALL_OK;
        goto out;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(msg, sizeof(msg), "cannot open config %s: %s", path, strerror(errno));
        goto out;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *k, *v, *eq;

        lineno++;
        k = trim(line);
        if (*k == '\0' || *k == '#')
            continue;
        eq = strchr(k, '=');
        if (eq == NULL) {
            snprintf(msg, sizeof(msg), "%s:%d: expected key = value", path, lineno);
            goto out;
        }
        *eq = '\0';
        k = trim(k);
        v = trim(eq + 1);
        o = opt_find(k);
        if (o == NULL) {
            snprintf(msg, sizeof(msg), "%s:%d: unknown option %.100s", path, lineno, k);
            goto out;
        }
        if (opt_set(conf, o, v) != HALL_OK) {
            if (o->type == 'i')
                snprintf(msg, sizeof(msg), "%s:%d: %s must be an integer from %ld to %ld", path,
                         lineno, o->name, o->min, o->max);
            else
                snprintf(msg, sizeof(msg), "%s:%d: bad value for %s", path, lineno, o->name);
            goto out;
        }
    }
    /* systemd hands a unit its credentials (LoadCredential=,
     * LoadCredentialEncrypted=) in a folder of its own, named by the
     * environment */
    {
        char **cred[3];
        const char *names[3] = {"pki_pass_file", "pkcs11_pin_file", "report_pin_file"};
        int i;

        cred[0] = &conf->pki_pass_file;
        cred[1] = &conf->pkcs11_pin_file;
        cred[2] = &conf->report_pin_file;
        for (i = 0; i < 3; i++) {
            const char *d = getenv("CREDENTIALS_DIRECTORY");
            char *p;

            if (strncmp(*cred[i], "$CREDENTIALS_DIRECTORY/", 23) != 0)
                continue;
            if (d == NULL || *d == '\0') {
                snprintf(msg, sizeof(msg),
                         "%s: %s names $CREDENTIALS_DIRECTORY, which is not set"
                         " (LoadCredential= in the unit)",
                         path, names[i]);
                goto out;
            }
            if (asprintf(&p, "%s/%s", d, *cred[i] + 23) < 0) {
                snprintf(msg, sizeof(msg), "out of memory");
                goto out;
            }
            free(*cred[i]);
            *cred[i] = p;
        }
    }
    /* behind HTTPS every cookie is Secure: derived from the address the
     * hall is reached at, not one more switch to remember */
    if (strncasecmp(conf->public_url, "https://", 8) == 0)
        conf->cookie_secure = 1;
    if (conf->pki_url[0] != '\0' &&
        (strncasecmp(conf->pki_url, "http://", 7) != 0 || conf->pki_url[7] == '\0')) {
        snprintf(msg, sizeof(msg),
                 "%s: pki_url must be http://host[:port]: OCSP and CRLs are fetched over plain "
                 "HTTP",
                 path);
        goto out;
    }
    /* the file medium (a key made by the hall) is gone (issue 64 §4): a
     * station configured for it does not start, rather than making files */
    if (strcmp(conf->production_medium, "p12") == 0) {
        snprintf(msg, sizeof(msg),
                 "%s: production_medium = p12 is no longer accepted: the hall generates no"
                 " subscriber key; set production_medium = pkcs11 (the default) and"
                 " medium_module (docs/operations.md)",
                 path);
        goto out;
    }
    if (strcmp(conf->production_medium, "pkcs11") != 0) {
        snprintf(msg, sizeof(msg), "%s: production_medium must be pkcs11", path);
        goto out;
    }
    /* pkcs11 without medium_module: a hall without a production station
     * (a ceremony's, a bench's): 制作证书 answers 409 naming medium_module */
    if (strcmp(conf->objstore, "local") != 0 && strcmp(conf->objstore, "s3") != 0) {
        snprintf(msg, sizeof(msg), "%s: objstore must be local or s3", path);
        goto out;
    }
    if (strcmp(conf->objstore, "s3") == 0 && !s3_endpoints_ok(conf->s3_endpoint)) {
        snprintf(msg, sizeof(msg),
                 "%s: objstore = s3 needs s3_endpoint = http(s)://host[:port], or up to %d of "
                 "them separated by commas or spaces",
                 path, HALL_S3_ENDPOINTS);
        goto out;
    }
    if (strcmp(conf->objstore, "s3") == 0 &&
        (conf->s3_bucket[0] == '\0' || conf->s3_access_key[0] == '\0' ||
         strspn(conf->s3_bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
             strlen(conf->s3_bucket))) {
        snprintf(msg, sizeof(msg),
                 "%s: objstore = s3 needs s3_bucket (a-z, 0-9, '.', '-') and s3_access_key", path);
        goto out;
    }
    hall_kdf_cache_set(conf->kdf_cache_dir);
    rc = HALL_OK;
out:
    if (f != NULL)
        fclose(f);
    if (rc != HALL_OK && errmsg != NULL)
        *errmsg = msg;
    return rc;
}

void
hall_conf_free(struct hall_conf *conf)
{
    const struct hall_conf_opt *o;

    for (o = hall_conf_opts; o->name != NULL; o++)
        if (o->type == 's') {
            char **slot = (char **)((char *)conf + o->off);

            free(*slot);
            *slot = NULL;
        }
}
