/*
 * The CA keys in a PKCS#11 token (docs/internals/pki.md, "The token"): the
 * root, the ECDSA issuing CA, its OCSP signer and the audit key are made
 * inside the token (hall_token_keygen, by hall-pkitool ceremony) and never
 * leave it; OpenSSL signs with them through an EVP_PKEY whose ECDSA
 * signature is the token's C_Sign (CKM_ECDSA over the digest OpenSSL made).
 *
 * The module is any PKCS#11 library: SoftHSM2 as the embedded default, an
 * HSM's in production (pkcs11_module, pkcs11_token, pkcs11_pin_file).  It is
 * reached through the standard C interface (p11-kit's pkcs11.h), dlopen'ed.
 *
 * fork(): PKCS#11 forbids using a module initialised by the parent.  The
 * master opens the token to check the PIN and read the public keys, then
 * finalizes it (hall_token_release) before its workers are forked; each
 * process opens its own session (C_Initialize, C_OpenSession, C_Login) at
 * its first signature, and again when it finds itself in a new process.
 * A worker is one thread: one session per process is enough.
 *
 * EC_KEY_METHOD is deprecated in OpenSSL 3 (a provider is its successor,
 * and Debian 12 has no pkcs11-provider); its use is confined to this file.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "pki/pki.h"

#define KEYS_MAX 16

/* how long a process answers "away" from memory after the token failed to
 * open, before it asks the module again (docs/internals/pki.md, "The token
 * away"): an OCSP worker answers tryLater at once, and a token that is back
 * signs again at most this long after */
#define AWAY_RETRY_MS 1000
/* an error that repeats is logged again after this long */
#define AWAY_LOG_MS 30000

static struct {
    char module[1024];
    char label[33]; /* the token's label */
    char pin[256];
    char softhsm_conf[1024]; /* pkcs11_softhsm_conf: where SoftHSM2's tokens are */
    int configured;
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    pid_t pid; /* the process whose session is open; 0: none */
    CK_SESSION_HANDLE s;
    int rw;
    /* the last opening that failed in this process: why, until when it is
     * not tried again, whether the PIN was refused, when it was logged */
    char away[512];
    long long away_until, away_logged;
    int refused;
} tok;

/* the private keys' handles of this process's session: the token object,
 * and the session copy signing in its place (CK_INVALID_HANDLE: none, the
 * module refused it or cannot sign with it) */
static struct {
    char label[64];
    CK_OBJECT_HANDLE h, copy;
} handles[KEYS_MAX];
static int nhandles;

static EC_KEY_METHOD *method;
static int label_idx = -1;

static const char *
rv_text(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT: return "the PIN is wrong";
    case CKR_PIN_LOCKED: return "the user PIN is locked (too many wrong PINs)";
    case CKR_PIN_EXPIRED: return "the PIN has expired";
    case CKR_TOKEN_NOT_PRESENT: return "no token present";
    case CKR_USER_PIN_NOT_INITIALIZED: return "the user PIN is not initialised";
    case CKR_DEVICE_ERROR: return "device error";
    case CKR_GENERAL_ERROR: return "general error";
    default: return "error";
    }
}

/* a PKCS#11 token label: 1 to 32 characters */
static int
label_ok(const char *label)
{
    return label != NULL && label[0] != '\0' && strlen(label) <= 32;
}

int
hall_token_configure(const char *module, const char *label, const char *pin_file,
                     const char *softhsm_conf, char *err, size_t errlen)
{
    char pin[sizeof(tok.pin)];
    FILE *f;
    size_t n;
    int rc;

    /* no token, or a bad label: said before the PIN file is read */
    if (module == NULL || module[0] == '\0' || !label_ok(label))
        return hall_token_configure_pin(module, label, NULL, softhsm_conf, err, errlen);
    f = pin_file != NULL && pin_file[0] != '\0' ? fopen(pin_file, "r") : NULL;
    if (f == NULL) {
        snprintf(err, errlen, "pkcs11_pin_file %s: cannot read the token PIN",
                 pin_file != NULL ? pin_file : "");
        return HALL_ERR;
    }
    n = fread(pin, 1, sizeof(pin) - 1, f);
    fclose(f);
    pin[n] = '\0';
    pin[strcspn(pin, "\r\n")] = '\0';
    if (pin[0] == '\0') {
        snprintf(err, errlen, "pkcs11_pin_file %s: empty", pin_file);
        return HALL_ERR;
    }
    rc = hall_token_configure_pin(module, label, pin, softhsm_conf, err, errlen);
    OPENSSL_cleanse(pin, sizeof(pin));
    return rc;
}

int
hall_token_configure_pin(const char *module, const char *label, const char *pin,
                         const char *softhsm_conf, char *err, size_t errlen)
{
    if (module == NULL || module[0] == '\0') {
        tok.configured = 0;
        return HALL_OK;
    }
    if (!label_ok(label)) {
        snprintf(err, errlen, "pkcs11_token: a token label of 1 to 32 characters is needed");
        return HALL_ERR;
    }
    if (pin == NULL || pin[0] == '\0' || strlen(pin) >= sizeof(tok.pin)) {
        snprintf(err, errlen, "pkcs11: a PIN of 1 to %zu characters is needed",
                 sizeof(tok.pin) - 1);
        return HALL_ERR;
    }
    if (tok.dl != NULL && strcmp(tok.module, module) != 0) {
        /* another module than the one loaded: this process's session ends
         * and the next use loads the new one */
        hall_token_release();
        if (tok.f != NULL)
            tok.f->C_Finalize(NULL);
        dlclose(tok.dl);
        tok.dl = NULL;
        tok.f = NULL;
    }
    snprintf(tok.module, sizeof(tok.module), "%s", module);
    snprintf(tok.label, sizeof(tok.label), "%s", label);
    tok.softhsm_conf[0] = '\0';
    if (softhsm_conf != NULL && softhsm_conf[0] != '\0') {
        setenv("SOFTHSM2_CONF", softhsm_conf, 1);
        snprintf(tok.softhsm_conf, sizeof(tok.softhsm_conf), "%s", softhsm_conf);
    }
    snprintf(tok.pin, sizeof(tok.pin), "%s", pin);
    tok.configured = 1;
    /* a new configuration is asked anew */
    tok.away[0] = '\0';
    tok.refused = 0;
    tok.away_logged = 0;
    return HALL_OK;
}

int
hall_token_configured(void)
{
    return tok.configured;
}

const char *
hall_token_label(void)
{
    return tok.label;
}

/* this process's pid, kept (getpid is a system call, once per signature
 * else); forgotten in a fork's child (pthread_atfork), which asks again */
static pid_t self;

static void
self_forget(void)
{
    self = 0;
}

static pid_t
self_pid(void)
{
    static int registered;

    if (!registered && pthread_atfork(NULL, NULL, self_forget) == 0)
        registered = 1;
    if (self == 0 || !registered)
        return self = getpid();
    return self;
}

static long long
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SoftHSM2's token directory (directories.tokendir of its configuration:
 * pkcs11_softhsm_conf, else SOFTHSM2_CONF) into dir, and the file that
 * says so in *conf, *key the name of the setting; "" when unknown (another
 * module than SoftHSM2, or no such file) */
static void
softhsm_tokendir(char *dir, size_t dirlen, const char **conf, const char **key)
{
    static const char name[] = "directories.tokendir";
    const char *path = tok.softhsm_conf;
    char line[1200];
    FILE *f;

    dir[0] = '\0';
    *key = "pkcs11_softhsm_conf";
    if (path[0] == '\0') {
        path = getenv("SOFTHSM2_CONF");
        *key = "SOFTHSM2_CONF";
    }
    *conf = path;
    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line + strspn(line, " \t");

        if (strncmp(p, name, sizeof(name) - 1) != 0)
            continue;
        p += sizeof(name) - 1;
        p += strspn(p, " \t");
        if (*p != '=')
            continue;
        p++;
        p += strspn(p, " \t");
        p[strcspn(p, " \t\r\n")] = '\0';
        snprintf(dir, dirlen, "%s", p);
        break;
    }
    fclose(f);
}

/*
 * What the token's files say about a module that did not initialise or
 * listed no token of our label, appended to err: with SoftHSM2, whether its
 * token directory is there and open to this process; with another module,
 * where to look.  Each names the setting to check.
 */
static void
why_away(char *err, size_t errlen, int no_slot)
{
    char dir[1024];
    const char *conf, *key;
    size_t n = strlen(err);
    struct stat st;

    if (n >= errlen)
        return;
    softhsm_tokendir(dir, sizeof(dir), &conf, &key);
    if (dir[0] == '\0') {
        snprintf(err + n, errlen - n, " (check %s and its device)",
                 no_slot ? "pkcs11_token" : "pkcs11_module");
        return;
    }
    if (stat(dir, &st) != 0) {
        snprintf(err + n, errlen - n,
                 ": the token directory %s is %s (directories.tokendir of %s %s)", dir,
                 errno == ENOENT ? "missing" : strerror(errno), key, conf);
    } else if (!S_ISDIR(st.st_mode) || access(dir, R_OK | W_OK | X_OK) != 0) {
        snprintf(
            err + n, errlen - n,
            ": the token directory %s cannot be read and written by uid %d (directories.tokendir "
            "of %s %s)",
            dir, (int)getuid(), key, conf);
    } else if (no_slot) {
        snprintf(err + n, errlen - n,
                 ": the token directory %s holds no token of that label (pkcs11_token; "
                 "directories.tokendir of %s %s)",
                 dir, key, conf);
    } else {
        snprintf(err + n, errlen - n, " (pkcs11_module; the token directory %s of %s %s)", dir, key,
                 conf);
    }
}

/* the token's session for this process, opened when there is none */
static int
token_open_once(int rw, char *err, size_t errlen)
{
    CK_RV rv;
    CK_ULONG i, nslots = 0;
    CK_SLOT_ID *slots = NULL, slot = 0;
    int found = 0, tries = 0;

    if (tok.dl == NULL) {
        CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);

        tok.dl = dlopen(tok.module, RTLD_NOW | RTLD_LOCAL);
        if (tok.dl == NULL) {
            snprintf(err, errlen, "pkcs11_module %s: cannot load: %s", tok.module, dlerror());
            return HALL_ERR;
        }
        *(void **)&get = dlsym(tok.dl, "C_GetFunctionList");
        if (get == NULL || get(&tok.f) != CKR_OK) {
            snprintf(err, errlen, "pkcs11_module %s: not a PKCS#11 module", tok.module);
            dlclose(tok.dl);
            tok.dl = NULL;
            return HALL_ERR;
        }
    }
    if (tok.pid != 0 && tok.pid != self_pid()) {
        /* the parent's session: this process has none of its own yet */
        tok.f->C_Finalize(NULL);
        tok.pid = 0;
    }
    if (tok.pid == self_pid()) {
        /* read-only session, read-write wanted */
        tok.f->C_CloseSession(tok.s);
        tok.f->C_Finalize(NULL);
        tok.pid = 0;
    }
again:
    nhandles = 0;
    found = 0;
    nslots = 0;
    slots = NULL;
    rv = tok.f->C_Initialize(NULL);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        tok.f->C_Finalize(NULL);
        rv = tok.f->C_Initialize(NULL);
    }
    if (rv != CKR_OK) {
        snprintf(err, errlen, "pkcs11_module %s: C_Initialize: %s (0x%lx)", tok.module, rv_text(rv),
                 (unsigned long)rv);
        why_away(err, errlen, 0);
        return HALL_ERR;
    }
    if (tok.f->C_GetSlotList(CK_TRUE, NULL, &nslots) == CKR_OK && nslots > 0) {
        slots = calloc(nslots, sizeof(*slots));
        if (slots == NULL)
            abort();
        if (tok.f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
            nslots = 0;
    }
    for (i = 0; i < nslots && !found; i++) {
        CK_TOKEN_INFO ti;
        char label[33];
        int n;

        if (tok.f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        memcpy(label, ti.label, 32);
        for (n = 32; n > 0 && label[n - 1] == ' '; n--)
            ;
        label[n] = '\0';
        if (strcmp(label, tok.label) == 0) {
            slot = slots[i];
            found = 1;
        }
    }
    free(slots);
    if (!found && ++tries < 8) {
        /* SoftHSM2 skips a token whose files another process is writing at
         * that moment (seen when two outbox workers opened it at once after
         * a restart): look again shortly, for up to about 1.4 s */
        tok.f->C_Finalize(NULL);
        usleep(50000u * (unsigned)tries);
        goto again;
    }
    if (!found) {
        snprintf(err, errlen, "pkcs11_token: no token labelled \"%s\" in %s", tok.label,
                 tok.module);
        why_away(err, errlen, 1);
        tok.f->C_Finalize(NULL);
        return HALL_ERR;
    }
    rv = tok.f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL,
                              &tok.s);
    if (rv != CKR_OK) {
        snprintf(err, errlen, "pkcs11_token \"%s\": C_OpenSession: %s (0x%lx)", tok.label,
                 rv_text(rv), (unsigned long)rv);
        tok.f->C_Finalize(NULL);
        return HALL_ERR;
    }
    rv = tok.f->C_Login(tok.s, CKU_USER, (CK_UTF8CHAR_PTR)tok.pin, strlen(tok.pin));
    if ((rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR) && ++tries < 8) {
        /* the same race at the login: SoftHSM2 answered a general error
         * to one of four workers logging in at once (its object files
         * read while another process wrote them); a wrong PIN is
         * CKR_PIN_INCORRECT and is not tried again */
        tok.f->C_CloseAllSessions(slot);
        tok.f->C_Finalize(NULL);
        usleep(50000u * (unsigned)tries);
        goto again;
    }
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        snprintf(err, errlen, "pkcs11_token \"%s\": login refused: %s (pkcs11_pin_file)", tok.label,
                 rv_text(rv));
        /* not tried again by this process: an HSM locks the PIN after a
         * few wrong ones */
        tok.refused = rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
                      rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
                      rv == CKR_USER_PIN_NOT_INITIALIZED;
        tok.f->C_CloseAllSessions(slot);
        tok.f->C_Finalize(NULL);
        return HALL_ERR;
    }
    tok.pid = self_pid();
    tok.rw = rw;
    return HALL_OK;
}

/*
 * The token's session for this process, opened when there is none.  An
 * opening that failed is not tried again for AWAY_RETRY_MS (the same error
 * from memory), and a refused PIN never again by this process.
 */
static int
token_open(int rw, char *err, size_t errlen)
{
    if (!tok.configured) {
        snprintf(err, errlen, "no PKCS#11 token configured (pkcs11_module)");
        return HALL_ERR;
    }
    if (tok.pid == self_pid() && (tok.rw || !rw))
        return HALL_OK;
    if (tok.away[0] != '\0' && (tok.refused || mono_ms() < tok.away_until)) {
        snprintf(err, errlen, "%s", tok.away);
        return HALL_ERR;
    }
    if (token_open_once(rw, err, errlen) == HALL_OK) {
        if (tok.away[0] != '\0')
            hall_log(HALL_LOG_INFO, NULL, "msg=\"pkcs11: the token answers again\" token=\"%s\"",
                     tok.label);
        tok.away[0] = '\0';
        tok.away_logged = 0;
        tok.refused = 0;
        return HALL_OK;
    }
    if (strcmp(tok.away, err) != 0)
        tok.away_logged = 0; /* another cause: logged at once */
    snprintf(tok.away, sizeof(tok.away), "%s", err);
    tok.away_until = mono_ms() + AWAY_RETRY_MS;
    return HALL_ERR;
}

int
hall_token_refused(void)
{
    return tok.refused;
}

void
hall_token_log_away(const char *what)
{
    long long now = mono_ms();

    if (tok.away[0] == '\0' || (tok.away_logged != 0 && now - tok.away_logged < AWAY_LOG_MS))
        return;
    tok.away_logged = now;
    hall_log(HALL_LOG_ERR, NULL, "msg=\"pkcs11: %s: %s\"", what, tok.away);
}

void
hall_token_release(void)
{
    if (tok.f != NULL && tok.pid == self_pid()) {
        tok.f->C_Logout(tok.s);
        tok.f->C_CloseSession(tok.s);
        tok.f->C_Finalize(NULL);
    }
    tok.pid = 0;
    nhandles = 0;
}

/* the handles of the token objects of class cls labelled label: how many
 * (up to max); the session copies of this process are not among them */
static int
find(CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *out, int max)
{
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[3] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_TOKEN, &yes, sizeof(yes)},
    };
    CK_ULONG n = 0;

    if (tok.f->C_FindObjectsInit(tok.s, t, 3) != CKR_OK)
        return -1;
    if (tok.f->C_FindObjects(tok.s, out, (CK_ULONG)max, &n) != CKR_OK)
        n = 0;
    tok.f->C_FindObjectsFinal(tok.s);
    return (int)n;
}

/*
 * A session copy of the token's private key h (C_CopyObject with CKA_TOKEN
 * false), made by the module inside itself: SoftHSM2 re-reads a token
 * object's file (its generation, under a lock) at every attribute it looks
 * up, several per C_SignInit; a session object is in the module's memory
 * only.  The copy keeps every attribute of the original but CKA_TOKEN, and
 * PKCS#11 lets no copy relax CKA_SENSITIVE, CKA_EXTRACTABLE or CKA_PRIVATE
 * (checked here all the same: a copy that is not sensitive, not private or
 * is extractable is destroyed and not used); it lives until the session
 * closes (hall_token_release, the process's end).  CK_INVALID_HANDLE when
 * the module refuses (CKA_COPYABLE false: CKR_ACTION_PROHIBITED, an HSM's
 * policy, no room for session objects): the token object signs then.
 */
static CK_OBJECT_HANDLE
session_copy(const char *label, CK_OBJECT_HANDLE h)
{
    CK_BBOOL no = CK_FALSE, sensitive = CK_FALSE, extractable = CK_TRUE, priv = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_TOKEN, &no, sizeof(no)}};
    CK_ATTRIBUTE q[] = {
        {CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
        {CKA_EXTRACTABLE, &extractable, sizeof(extractable)},
        {CKA_PRIVATE, &priv, sizeof(priv)},
    };
    CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
    CK_RV rv;

    rv = tok.f->C_CopyObject(tok.s, h, t, 1, &copy);
    if (rv != CKR_OK) {
        hall_log(HALL_LOG_INFO, NULL,
                 "msg=\"pkcs11: no session copy, the token object signs\" key=%s rv=0x%lx", label,
                 (unsigned long)rv);
        return CK_INVALID_HANDLE;
    }
    if (tok.f->C_GetAttributeValue(tok.s, copy, q, 3) != CKR_OK || !sensitive || extractable ||
        !priv) {
        hall_log(HALL_LOG_WARN, NULL,
                 "msg=\"pkcs11: the session copy is not sensitive, private and unextractable: "
                 "destroyed, the token object signs\" key=%s",
                 label);
        tok.f->C_DestroyObject(tok.s, copy);
        return CK_INVALID_HANDLE;
    }
    return copy;
}

/* the entry of this process's session for the private key label (found,
 * and its session copy made, at its first use); -1 when the token has none */
static int
private_key(const char *label)
{
    CK_OBJECT_HANDLE h[2];
    int i;

    for (i = 0; i < nhandles; i++)
        if (strcmp(handles[i].label, label) == 0)
            return i;
    if (nhandles >= KEYS_MAX || find(CKO_PRIVATE_KEY, label, h, 2) != 1)
        return -1;
    snprintf(handles[nhandles].label, sizeof(handles[nhandles].label), "%s", label);
    handles[nhandles].h = h[0];
    handles[nhandles].copy = session_copy(label, h[0]);
    return nhandles++;
}

HALL_TESTABLE int
hall_token_session_copy(const char *label)
{
    char err[256];
    int i;

    if (token_open(0, err, sizeof(err)) != HALL_OK || (i = private_key(label)) < 0)
        return -1;
    return handles[i].copy != CK_INVALID_HANDLE;
}

/* one ECDSA signature of dgst by the token's key label: r || s in sig */
static int
token_sign(const char *label, const unsigned char *dgst, int dlen, unsigned char *sig,
           CK_ULONG *siglen)
{
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    char err[256];
    int attempt;
    CK_RV rv = CKR_OK;

    for (attempt = 0; attempt < 2; attempt++) {
        CK_ULONG cap = *siglen;
        int i;

        if (token_open(0, err, sizeof(err)) != HALL_OK) {
            hall_token_log_away("cannot sign");
            return HALL_ERR;
        }
        i = private_key(label);
        if (i < 0) {
            hall_log(HALL_LOG_ERR, NULL, "msg=\"pkcs11: no private key labelled %s\"", label);
            return HALL_ERR;
        }
        rv = CKR_KEY_HANDLE_INVALID;
        if (handles[i].copy != CK_INVALID_HANDLE) {
            rv = tok.f->C_SignInit(tok.s, &mech, handles[i].copy);
            if (rv != CKR_OK) {
                /* a module that copies but will not sign with the copy */
                hall_log(HALL_LOG_INFO, NULL,
                         "msg=\"pkcs11: the session copy does not sign, the token object "
                         "does\" key=%s rv=0x%lx",
                         label, (unsigned long)rv);
                tok.f->C_DestroyObject(tok.s, handles[i].copy);
                handles[i].copy = CK_INVALID_HANDLE;
            }
        }
        if (handles[i].copy == CK_INVALID_HANDLE)
            rv = tok.f->C_SignInit(tok.s, &mech, handles[i].h);
        if (rv == CKR_OK)
            rv = tok.f->C_Sign(tok.s, (CK_BYTE_PTR)dgst, (CK_ULONG)dlen, sig, &cap);
        if (rv == CKR_OK) {
            *siglen = cap;
            return HALL_OK;
        }
        /* a session the token lost (HSM restarted, logged out): open anew once */
        hall_token_release();
    }
    hall_log(HALL_LOG_ERR, NULL, "msg=\"pkcs11: C_Sign failed\" key=%s rv=0x%lx", label,
             (unsigned long)rv);
    return HALL_ERR;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
    const char *label = EC_KEY_get_ex_data(ec, label_idx);
    unsigned char raw[132];
    CK_ULONG n = sizeof(raw);
    ECDSA_SIG *s;
    BIGNUM *br, *bs;

    if (label == NULL || token_sign(label, dgst, dlen, raw, &n) != HALL_OK || n == 0 || n % 2)
        return NULL;
    s = ECDSA_SIG_new();
    br = BN_bin2bn(raw, (int)(n / 2), NULL);
    bs = BN_bin2bn(raw + n / 2, (int)(n / 2), NULL);
    if (s == NULL || br == NULL || bs == NULL || ECDSA_SIG_set0(s, br, bs) != 1) {
        ECDSA_SIG_free(s);
        BN_free(br);
        BN_free(bs);
        return NULL;
    }
    return s;
}

/* the DER INTEGER of the unsigned big-endian p[0..n) at out: its size */
static size_t
der_uint(unsigned char *out, const unsigned char *p, size_t n)
{
    size_t pad;

    while (n > 1 && p[0] == 0) {
        p++;
        n--;
    }
    pad = (p[0] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (unsigned char)(n + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, p, n);
    return 2 + pad + n;
}

/* the DER ECDSA-Sig-Value straight from the token's r || s (no ECDSA_SIG,
 * no BIGNUMs); sig has ECDSA_size(ec) bytes: the most two integers of the
 * order's size take, so r || s of that size fits */
static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig, unsigned int *siglen,
        const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
    const char *label = EC_KEY_get_ex_data(ec, label_idx);
    unsigned char raw[132], body[2 * 69];
    CK_ULONG n = sizeof(raw);
    size_t len, h;

    if (label == NULL || token_sign(label, dgst, dlen, raw, &n) != HALL_OK ||
        n != 2 * (CK_ULONG)((EC_GROUP_order_bits(EC_KEY_get0_group(ec)) + 7) / 8))
        return 0;
    len = der_uint(body, raw, n / 2);
    len += der_uint(body + len, raw + n / 2, n / 2);
    h = len < 0x80 ? 2 : 3;
    sig[0] = 0x30;
    if (h == 3)
        sig[1] = 0x81;
    sig[h - 1] = (unsigned char)len;
    memcpy(sig + h, body, len);
    *siglen = (unsigned int)(h + len);
    return 1;
}

int
hall_token_ecdsa(EVP_PKEY *key, const unsigned char *dgst, size_t dlen, unsigned char *sig,
                 size_t *siglen)
{
    /* read only: ec_sign reads the label and the group */
    EC_KEY *ec = (EC_KEY *)EVP_PKEY_get0_EC_KEY(key);
    unsigned int n = 0;

    if (ec == NULL || label_idx < 0 || EC_KEY_get_ex_data(ec, label_idx) == NULL)
        return 0;
    if (*siglen < (size_t)ECDSA_size(ec) || dlen > 64 ||
        ec_sign(0, dgst, (int)dlen, sig, &n, NULL, NULL, ec) != 1)
        return -1;
    *siglen = n;
    return 1;
}

static void
label_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    free(ptr);
}

static int
method_init(void)
{
    if (method != NULL)
        return HALL_OK;
    label_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, label_free);
    method = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (method == NULL || label_idx < 0)
        return HALL_ERR;
    EC_KEY_METHOD_set_sign(method, ec_sign, NULL, ec_sign_sig);
    return HALL_OK;
}

/* the value of attribute type of object h, allocated; NULL when it has none */
static unsigned char *
attr(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    unsigned char *p;

    if (tok.f->C_GetAttributeValue(tok.s, h, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
        a.ulValueLen == (CK_ULONG)-1)
        return NULL;
    p = malloc(a.ulValueLen);
    if (p == NULL)
        abort();
    a.pValue = p;
    if (tok.f->C_GetAttributeValue(tok.s, h, &a, 1) != CKR_OK) {
        free(p);
        return NULL;
    }
    *len = a.ulValueLen;
    return p;
}

/* ec (taken: freed on failure) as an EVP_PKEY whose private operations go
 * to the token's key pair label (method, its label as ex_data) */
static EVP_PKEY *
token_pkey(EC_KEY *ec, const char *label, char *err, size_t errlen)
{
    char *dup = strdup(label);
    EVP_PKEY *k;

    if (dup == NULL)
        abort();
    EC_KEY_set_method(ec, method);
    EC_KEY_set_ex_data(ec, label_idx, dup);
    k = EVP_PKEY_new();
    if (k == NULL || EVP_PKEY_assign_EC_KEY(k, ec) != 1) {
        EVP_PKEY_free(k);
        EC_KEY_free(ec);
        snprintf(err, errlen, "pkcs11: out of memory");
        return NULL;
    }
    return k;
}

/* the public key of the token's key pair label as an EVP_PKEY signing through the token */
static EVP_PKEY *
key_of(const char *label, char *err, size_t errlen)
{
    CK_OBJECT_HANDLE pub, priv;
    unsigned char *params = NULL, *point = NULL;
    const unsigned char *p;
    CK_ULONG plen = 0, qlen = 0;
    EC_GROUP *g = NULL;
    EC_KEY *ec = NULL;
    ASN1_OCTET_STRING *os = NULL;
    EVP_PKEY *k = NULL;

    if (find(CKO_PRIVATE_KEY, label, &priv, 1) != 1 || find(CKO_PUBLIC_KEY, label, &pub, 1) != 1) {
        snprintf(err, errlen,
                 "pkcs11_token \"%s\": no key pair labelled %s (hall-pkitool ceremony)", tok.label,
                 label);
        return NULL;
    }
    params = attr(pub, CKA_EC_PARAMS, &plen);
    point = attr(pub, CKA_EC_POINT, &qlen);
    p = params;
    if (params != NULL)
        g = d2i_ECPKParameters(NULL, &p, (long)plen);
    /* the point is a DER OCTET STRING (PKCS#11 2.40); some modules give it
     * bare: the wrapped one is taken when it holds a point of the curve's size */
    p = point;
    if (g != NULL && point != NULL) {
        int size = 1 + 2 * ((EC_GROUP_get_degree(g) + 7) / 8);

        os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)qlen);
        if (os != NULL && (os->length != size || p != point + qlen)) {
            ASN1_OCTET_STRING_free(os);
            os = NULL;
        }
    }
    ec = EC_KEY_new();
    if (g == NULL || point == NULL || ec == NULL || EC_KEY_set_group(ec, g) != 1 ||
        method_init() != HALL_OK ||
        (os != NULL ? EC_KEY_oct2key(ec, os->data, (size_t)os->length, NULL)
                    : EC_KEY_oct2key(ec, point, qlen, NULL)) != 1) {
        snprintf(err, errlen, "pkcs11_token \"%s\": cannot read the public key %s", tok.label,
                 label);
        goto out;
    }
    k = token_pkey(ec, label, err, errlen);
    ec = NULL; /* token_pkey's now */
out:
    EC_KEY_free(ec);
    EC_GROUP_free(g);
    ASN1_OCTET_STRING_free(os);
    free(params);
    free(point);
    return k;
}

EVP_PKEY *
hall_token_key(const char *label, char *err, size_t errlen)
{
    if (token_open(0, err, errlen) != HALL_OK)
        return NULL;
    return key_of(label, err, errlen);
}

EVP_PKEY *
hall_token_key_cert(const char *label, X509 *cert, char *err, size_t errlen)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    const EC_KEY *src = pub != NULL ? EVP_PKEY_get0_EC_KEY(pub) : NULL;
    EC_KEY *ec;

    if (src == NULL || method_init() != HALL_OK || (ec = EC_KEY_dup(src)) == NULL) {
        snprintf(err, errlen, "pkcs11: the certificate of %s holds no EC public key", label);
        return NULL;
    }
    return token_pkey(ec, label, err, errlen);
}

int
hall_token_key_labels(char labels[][64], int max, char *err, size_t errlen)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_TOKEN, &yes, sizeof(yes)}};
    CK_OBJECT_HANDLE h[64];
    CK_ULONG n = 0, i;
    int k = 0;

    if (token_open(0, err, errlen) != HALL_OK)
        return -1;
    if (tok.f->C_FindObjectsInit(tok.s, t, 2) != CKR_OK)
        return 0;
    if (tok.f->C_FindObjects(tok.s, h, max < 64 ? (CK_ULONG)max : 64, &n) != CKR_OK)
        n = 0;
    tok.f->C_FindObjectsFinal(tok.s);
    for (i = 0; i < n; i++) {
        CK_ATTRIBUTE a = {CKA_LABEL, labels[k], 63};

        if (tok.f->C_GetAttributeValue(tok.s, h[i], &a, 1) != CKR_OK || a.ulValueLen == 0 ||
            a.ulValueLen > 63)
            continue;
        labels[k][a.ulValueLen] = '\0';
        k++;
    }
    return k;
}

int
hall_token_has(const char *label)
{
    CK_OBJECT_HANDLE h[4];
    char err[256];

    if (token_open(0, err, sizeof(err)) != HALL_OK)
        return -1;
    return find(CKO_PRIVATE_KEY, label, h, 4) + find(CKO_PUBLIC_KEY, label, h, 4);
}

int
hall_token_check(char *err, size_t errlen)
{
    return token_open(0, err, errlen);
}

/* the uses other than signing, per class, that a CA key must not allow */
static const CK_ATTRIBUTE_TYPE not_priv[] = {CKA_DECRYPT, CKA_UNWRAP, CKA_SIGN_RECOVER, CKA_DERIVE};
static const CK_ATTRIBUTE_TYPE not_pub[] = {CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY_RECOVER, CKA_DERIVE};

/* sets false each of types[n] that object h has true: how many it set, -1
 * when the module refuses (err says which) */
static int
restrict_object(const char *label, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE_TYPE *types, int n,
                char *err, size_t errlen)
{
    int i, changed = 0;

    for (i = 0; i < n; i++) {
        CK_BBOOL v = CK_FALSE, no = CK_FALSE;
        CK_ATTRIBUTE q = {types[i], &v, sizeof(v)}, set = {types[i], &no, sizeof(no)};
        CK_RV rv;

        /* an attribute the object does not have allows nothing */
        if (tok.f->C_GetAttributeValue(tok.s, h, &q, 1) != CKR_OK || !v)
            continue;
        rv = tok.f->C_SetAttributeValue(tok.s, h, &set, 1);
        if (rv != CKR_OK) {
            snprintf(err, errlen,
                     "pkcs11_token \"%s\": %s allows more than signing and cannot be"
                     " restricted (attribute 0x%lx): %s (0x%lx)",
                     tok.label, label, (unsigned long)types[i], rv_text(rv), (unsigned long)rv);
            return -1;
        }
        changed++;
    }
    return changed;
}

int
hall_token_sign_only(const char *label, char *err, size_t errlen)
{
    CK_OBJECT_HANDLE h[4];
    int i, n, c, changed = 0;

    if (token_open(1, err, errlen) != HALL_OK)
        return -1;
    n = find(CKO_PRIVATE_KEY, label, h, 4);
    for (i = 0; i < n; i++) {
        c = restrict_object(label, h[i], not_priv, 4, err, errlen);
        if (c < 0)
            return -1;
        changed += c;
    }
    n = find(CKO_PUBLIC_KEY, label, h, 4);
    for (i = 0; i < n; i++) {
        c = restrict_object(label, h[i], not_pub, 4, err, errlen);
        if (c < 0)
            return -1;
        changed += c;
    }
    return changed > 0;
}

EVP_PKEY *
hall_token_keygen(const char *label, char *err, size_t errlen)
{
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG n = strlen(label);
    /* sign (and verify) only: every other use said false, as a module's
     * defaults allow some (SoftHSM2: decrypt, unwrap, sign-recover) */
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},  {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_VERIFY, &yes, sizeof(yes)}, {CKA_ENCRYPT, &no, sizeof(no)},
        {CKA_WRAP, &no, sizeof(no)},     {CKA_VERIFY_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},   {CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
        {CKA_LABEL, (void *)label, n},   {CKA_ID, (void *)label, n},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},      {CKA_DECRYPT, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},      {CKA_SIGN_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},      {CKA_LABEL, (void *)label, n},
        {CKA_ID, (void *)label, n},
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv;

    if (token_open(1, err, errlen) != HALL_OK)
        return NULL;
    if (hall_token_has(label) != 0) {
        snprintf(err, errlen, "pkcs11_token \"%s\": a key labelled %s exists already", tok.label,
                 label);
        return NULL;
    }
    rv = tok.f->C_GenerateKeyPair(tok.s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
                                  sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv);
    if (rv != CKR_OK) {
        snprintf(err, errlen, "pkcs11_token \"%s\": C_GenerateKeyPair %s: %s (0x%lx)", tok.label,
                 label, rv_text(rv), (unsigned long)rv);
        return NULL;
    }
    return key_of(label, err, errlen);
}
