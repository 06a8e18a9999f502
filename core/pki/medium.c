/*
 * The production station's media (docs/internals/pki.md, "Production onto
 * a medium"): USB keys, or any token a PKCS#11 module serves (SoftHSM2's
 * in tests and the sandbox), written by 制作证书 (core/biz/produce.c).  The
 * certificate's key pair is generated in the medium, which signs the
 * certificate request; the hall checks that signature (proof of
 * possession), certifies the public key, and writes the certificate and its
 * chain back.  No private key of the holder exists in the hall.
 *
 * Each step runs in a child process of its own (fork, no exec), which
 * loads the module, does the step and ends (_exit): the CA's token
 * (core/pki/token.c) may be the same module in this process (SoftHSM2 is
 * one instance per process, one token directory: the media's own,
 * medium_softhsm_conf, needs a process of its own), a vendor's module
 * cannot hang or crash the worker (a step has medium_timeout_ms, then the
 * child is killed), and nothing of the medium's session outlives the step.
 * The child answers through a pipe with a fixed struct.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "pki/pki.h"

/* the holder's key pair's CKA_ID on the medium, and its certificate's: 01
 * for the first (the order's certificate), then 02, 03 ... for the seals'
 * certificates born on the same medium (a 机构业务章's each: its label the
 * seal's code) */
#define KEY_LABEL "hall"

#define CSR_MAX 1024

enum job_kind { JOB_PREPARE, JOB_WRITE, JOB_WIPE };

struct job {
    enum job_kind kind;
    const struct hall_conf *conf;
    const char *serial, *so_pin, *pin;
    const char *const *cns, *const *labels; /* the key pairs: their CN, label */
    int nkeys;
    const unsigned char *const *ders; /* nkeys holders' certificates, then CAs' */
    const size_t *lens;
    int n;
};

/* what the child answers */
struct reply {
    int rc, touched;
    char err[400];
    char token_serial[17], model[66];
    size_t csr_len[HALL_MEDIUM_KEYS];
    unsigned char csr[HALL_MEDIUM_KEYS][CSR_MAX];
};

/* the child's module */
static CK_FUNCTION_LIST_PTR f;

int
hall_medium_station(const struct hall_conf *conf)
{
    return conf->medium_module != NULL && conf->medium_module[0] != '\0';
}

static const char *
rv_text(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT: return "PIN incorrect";
    case CKR_PIN_LOCKED: return "PIN locked";
    case CKR_TOKEN_NOT_PRESENT: return "token not present";
    case CKR_DEVICE_REMOVED: return "device removed";
    case CKR_DEVICE_ERROR: return "device error";
    case CKR_DEVICE_MEMORY: return "device memory full";
    case CKR_MECHANISM_INVALID: return "mechanism not supported";
    case CKR_TEMPLATE_INCONSISTENT: return "template refused";
    case CKR_ATTRIBUTE_VALUE_INVALID: return "attribute value refused";
    case CKR_GENERAL_ERROR: return "general error";
    default: return "error";
    }
}

/* a fixed-width PKCS#11 text (blank-padded) into out, trimmed */
static void
p11_text(char *out, size_t outlen, const CK_UTF8CHAR *in, size_t n)
{
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\0'))
        n--;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, in, n);
    out[n] = '\0';
}

static int
fail(struct reply *r, const char *what, CK_RV rv)
{
    snprintf(r->err, sizeof(r->err), "%s: %s (0x%lx)", what, rv_text(rv), (unsigned long)rv);
    return HALL_ERR;
}

/* the child: the module loaded and initialised, anew in this process */
static int
p11_open(const struct hall_conf *conf, struct reply *r)
{
    CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
    CK_RV rv;
    void *dl;

    if (conf->medium_softhsm_conf != NULL && conf->medium_softhsm_conf[0] != '\0')
        setenv("SOFTHSM2_CONF", conf->medium_softhsm_conf, 1);
    dl = dlopen(conf->medium_module, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        snprintf(r->err, sizeof(r->err), "medium_module %s: cannot load: %s", conf->medium_module,
                 dlerror());
        return HALL_ERR;
    }
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK) {
        snprintf(r->err, sizeof(r->err), "medium_module %s: not a PKCS#11 module",
                 conf->medium_module);
        return HALL_ERR;
    }
    /* the parent's state of the same module (the CA's token) ends here:
     * this process reads the media's configuration */
    f->C_Finalize(NULL);
    rv = f->C_Initialize(NULL);
    if (rv != CKR_OK)
        return fail(r, "C_Initialize", rv);
    return HALL_OK;
}

/* the slot of a medium: the one labelled serial, or (serial NULL) the
 * first blank one (a token present, not initialised) */
static int
slot_find(const char *serial, CK_SLOT_ID *slot, struct reply *r)
{
    CK_SLOT_ID *ids = NULL;
    CK_ULONG i, n = 0;
    CK_RV rv;

    /* a station holds any number of media, and one may be plugged in
     * between the count and the list: ask again until the list fits */
    for (;;) {
        rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
            return fail(r, "C_GetSlotList", rv);
        free(ids);
        ids = calloc(n + 1, sizeof(*ids));
        if (ids == NULL)
            abort();
        rv = f->C_GetSlotList(CK_TRUE, ids, &n);
        if (rv != CKR_BUFFER_TOO_SMALL)
            break;
    }
    if (rv != CKR_OK) {
        free(ids);
        return fail(r, "C_GetSlotList", rv);
    }
    for (i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        char label[33];

        if (f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
            continue;
        p11_text(label, sizeof(label), ti.label, sizeof(ti.label));
        if (serial == NULL ? !(ti.flags & CKF_TOKEN_INITIALIZED)
                           : (ti.flags & CKF_TOKEN_INITIALIZED) && strcmp(label, serial) == 0) {
            *slot = ids[i];
            free(ids);
            return HALL_OK;
        }
    }
    free(ids);
    if (serial == NULL)
        snprintf(r->err, sizeof(r->err), "no blank medium in the station");
    else
        snprintf(r->err, sizeof(r->err), "medium %s is not in the station", serial);
    return HALL_ERR;
}

/* serial as a token label: blank-padded to 32 */
static void
label32(CK_UTF8CHAR out[32], const char *serial)
{
    size_t n = strlen(serial);

    memset(out, ' ', 32);
    memcpy(out, serial, n < 32 ? n : 32);
}

/* the key pair generated in the medium and what the module says of the
 * private key checked: it was made there and cannot leave */
static int
keygen(CK_SESSION_HANDLE s, int k, const char *label, CK_OBJECT_HANDLE *hpub,
       CK_OBJECT_HANDLE *hpriv, struct reply *r)
{
    unsigned char key_id[1] = {(unsigned char)(k + 1)};
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    /* sign (and verify) only, as the CA's own (core/pki/token.c): every
     * other use said false, as a module's defaults allow some (SoftHSM2:
     * decrypt, unwrap, sign-recover) */
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_VERIFY, &yes, sizeof(yes)},
        {CKA_ENCRYPT, &no, sizeof(no)},
        {CKA_WRAP, &no, sizeof(no)},
        {CKA_VERIFY_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},
        {CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, key_id, sizeof(key_id)},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},      {CKA_DECRYPT, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},      {CKA_SIGN_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},      {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, key_id, sizeof(key_id)},
    };
    CK_BBOOL sens = CK_FALSE, ext = CK_TRUE, local = CK_FALSE, asens = CK_FALSE, nex = CK_FALSE;
    CK_ATTRIBUTE q[] = {
        {CKA_SENSITIVE, &sens, sizeof(sens)},       {CKA_EXTRACTABLE, &ext, sizeof(ext)},
        {CKA_LOCAL, &local, sizeof(local)},         {CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens)},
        {CKA_NEVER_EXTRACTABLE, &nex, sizeof(nex)},
    };
    CK_RV rv = f->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
                                    sizeof(priv) / sizeof(priv[0]), hpub, hpriv);

    if (rv != CKR_OK)
        return fail(r, "C_GenerateKeyPair (EC P-256)", rv);
    rv = f->C_GetAttributeValue(s, *hpriv, q, sizeof(q) / sizeof(q[0]));
    if (rv != CKR_OK)
        return fail(r, "C_GetAttributeValue of the new private key", rv);
    if (!sens || ext || !local || !asens || !nex) {
        snprintf(r->err, sizeof(r->err),
                 "the medium's new private key is not kept in it (sensitive %d, extractable %d,"
                 " local %d, always sensitive %d, never extractable %d)",
                 sens, ext, local, asens, nex);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* the public key object's point as an EVP_PKEY (P-256) */
static EVP_PKEY *
pub_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, struct reply *r)
{
    unsigned char buf[200];
    CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof(buf)};
    const unsigned char *p = buf, *pt;
    ASN1_OCTET_STRING *os = NULL;
    OSSL_PARAM_BLD *b = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *k = NULL;
    size_t n;
    CK_RV rv = f->C_GetAttributeValue(s, h, &a, 1);

    if (rv != CKR_OK) {
        fail(r, "C_GetAttributeValue CKA_EC_POINT", rv);
        return NULL;
    }
    /* a DER OCTET STRING (PKCS#11 2.40); some modules give the point bare */
    pt = buf;
    n = a.ulValueLen;
    os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)a.ulValueLen);
    if (os != NULL && os->length == 65 && p == buf + a.ulValueLen) {
        pt = os->data;
        n = 65;
    }
    b = OSSL_PARAM_BLD_new();
    if (n != 65 || b == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        snprintf(r->err, sizeof(r->err), "the medium's public key is not a P-256 point");
        k = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    ASN1_OCTET_STRING_free(os);
    return k;
}

/* the certificate request for cn, signed in the medium (ECDSA with SHA-256:
 * the medium signs the digest, CKM_ECDSA), its DER into r */
static int
csr_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pub, const char *cn, int k,
         struct reply *r)
{
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
    ECDSA_SIG *sig = ECDSA_SIG_new();
    unsigned char *tbs = NULL, *der = NULL, dgst[32], raw[64];
    CK_ULONG rawlen = sizeof(raw);
    int tbslen, derlen, ok = HALL_ERR;
    BIGNUM *br = NULL, *bs = NULL;
    CK_RV rv;

    if (req == NULL || name == NULL || alg == NULL || bits == NULL || sig == NULL ||
        X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_REQ_set_subject_name(req, name) != 1 || X509_REQ_set_pubkey(req, pub) != 1 ||
        X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) != 1 ||
        X509_REQ_set1_signature_algo(req, alg) != 1 ||
        (tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0 ||
        EVP_Digest(tbs, (size_t)tbslen, dgst, NULL, EVP_sha256(), NULL) != 1) {
        snprintf(r->err, sizeof(r->err), "cannot build the certificate request");
        goto out;
    }
    rv = f->C_SignInit(s, &mech, priv);
    if (rv == CKR_OK)
        rv = f->C_Sign(s, dgst, sizeof(dgst), raw, &rawlen);
    if (rv != CKR_OK || rawlen != 64) {
        fail(r, "C_Sign of the certificate request", rv);
        goto out;
    }
    br = BN_bin2bn(raw, 32, NULL);
    bs = BN_bin2bn(raw + 32, 32, NULL);
    if (br == NULL || bs == NULL || ECDSA_SIG_set0(sig, br, bs) != 1)
        goto out;
    br = bs = NULL;
    derlen = i2d_ECDSA_SIG(sig, &der);
    if (derlen <= 0 || ASN1_BIT_STRING_set(bits, der, derlen) != 1)
        goto out;
    bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    X509_REQ_set0_signature(req, bits);
    bits = NULL;
    OPENSSL_free(der);
    der = NULL;
    derlen = i2d_X509_REQ(req, &der);
    if (derlen <= 0 || (size_t)derlen > sizeof(r->csr[k])) {
        snprintf(r->err, sizeof(r->err), "cannot encode the certificate request");
        goto out;
    }
    memcpy(r->csr[k], der, (size_t)derlen);
    r->csr_len[k] = (size_t)derlen;
    ok = HALL_OK;
out:
    BN_free(br);
    BN_free(bs);
    OPENSSL_free(tbs);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ASN1_BIT_STRING_free(bits);
    X509_ALGOR_free(alg);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return ok;
}

static int
do_prepare(const struct job *j, struct reply *r)
{
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_UTF8CHAR label[32];
    CK_TOKEN_INFO ti;
    EVP_PKEY *pub;
    CK_RV rv;
    int rc, k;

    if (slot_find(NULL, &slot, r) != HALL_OK)
        return HALL_ERR;
    label32(label, j->serial);
    rv = f->C_InitToken(slot, (CK_UTF8CHAR_PTR)j->so_pin, strlen(j->so_pin), label);
    if (rv != CKR_OK)
        return fail(r, "C_InitToken", rv);
    r->touched = 1;
    rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK)
        return fail(r, "C_OpenSession", rv);
    rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)j->so_pin, strlen(j->so_pin));
    if (rv == CKR_OK)
        rv = f->C_InitPIN(s, (CK_UTF8CHAR_PTR)j->pin, strlen(j->pin));
    if (rv != CKR_OK)
        return fail(r, "C_InitPIN (the holder's PIN)", rv);
    f->C_Logout(s);
    rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)j->pin, strlen(j->pin));
    if (rv != CKR_OK)
        return fail(r, "C_Login with the holder's PIN", rv);
    if (f->C_GetTokenInfo(slot, &ti) == CKR_OK) {
        char man[33], model[17];

        p11_text(r->token_serial, sizeof(r->token_serial), ti.serialNumber,
                 sizeof(ti.serialNumber));
        p11_text(man, sizeof(man), ti.manufacturerID, sizeof(ti.manufacturerID));
        p11_text(model, sizeof(model), ti.model, sizeof(ti.model));
        snprintf(r->model, sizeof(r->model), "%s %s", man, model);
    }
    /* each key pair of its own (CKA_ID k + 1), each request signed by it */
    for (k = 0; k < j->nkeys; k++) {
        if (keygen(s, k, j->labels[k], &hpub, &hpriv, r) != HALL_OK)
            return HALL_ERR;
        pub = pub_of(s, hpub, r);
        if (pub == NULL)
            return HALL_ERR;
        rc = csr_sign(s, hpriv, pub, j->cns[k], k, r);
        EVP_PKEY_free(pub);
        if (rc != HALL_OK)
            return rc;
    }
    return HALL_OK;
}

/* one certificate object: a holder's (holder: its key pair's CKA_ID, 1 for
 * the first, and label) or, holder 0, a CA's */
static int
cert_object(CK_SESSION_HANDLE s, const unsigned char *der, size_t len, int holder,
            const char *label, struct reply *r)
{
    unsigned char key_id[1] = {(unsigned char)holder};
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    unsigned char *subj = NULL, *iss = NULL, *sn = NULL;
    int subjlen, isslen, snlen;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ULONG category = holder ? 1 : 2; /* token user, authority */
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    const char *lab = holder ? label : "CA";
    unsigned char ca_id[] = {0xca, 0x00};
    CK_OBJECT_HANDLE h;
    CK_RV rv;
    static int nca;

    if (x == NULL || (subjlen = i2d_X509_NAME(X509_get_subject_name(x), &subj)) <= 0 ||
        (isslen = i2d_X509_NAME(X509_get_issuer_name(x), &iss)) <= 0 ||
        (snlen = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &sn)) <= 0) {
        snprintf(r->err, sizeof(r->err), "a certificate to write cannot be read");
        X509_free(x);
        OPENSSL_free(subj);
        OPENSSL_free(iss);
        return HALL_ERR;
    }
    ca_id[1] = (unsigned char)++nca;
    {
        CK_ATTRIBUTE t[] = {
            {CKA_CLASS, &cls, sizeof(cls)},
            {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
            {CKA_TOKEN, &yes, sizeof(yes)},
            {CKA_PRIVATE, &no, sizeof(no)},
            {CKA_CERTIFICATE_CATEGORY, &category, sizeof(category)},
            {CKA_LABEL, (void *)lab, strlen(lab)},
            {CKA_ID, holder ? (void *)key_id : (void *)ca_id,
             holder ? sizeof(key_id) : sizeof(ca_id)},
            {CKA_SUBJECT, subj, (CK_ULONG)subjlen},
            {CKA_ISSUER, iss, (CK_ULONG)isslen},
            {CKA_SERIAL_NUMBER, sn, (CK_ULONG)snlen},
            {CKA_VALUE, (void *)der, len},
        };

        rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
    }
    X509_free(x);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(sn);
    if (rv != CKR_OK)
        return fail(r, holder ? "C_CreateObject (the certificate)" : "C_CreateObject (a CA's)", rv);
    return HALL_OK;
}

static int
do_write(const struct job *j, struct reply *r)
{
    const char *fault = getenv("HALL_PKI_FAULT");
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    CK_RV rv;
    int i;

    if (slot_find(j->serial, &slot, r) != HALL_OK)
        return HALL_ERR;
    rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv == CKR_OK)
        rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)j->pin, strlen(j->pin));
    if (rv != CKR_OK)
        return fail(r, "C_Login with the holder's PIN", rv);
    for (i = 0; i < j->n; i++) {
        if (cert_object(s, j->ders[i], j->lens[i], i < j->nkeys ? i + 1 : 0,
                        i < j->nkeys ? j->labels[i] : NULL, r) != HALL_OK)
            return HALL_ERR;
        /* the tests' switch: the medium pulled out after the holder's
         * certificate was written, before its chain */
        if (i == 0 && fault != NULL && strcmp(fault, "medium_write") == 0)
            return fail(r, "C_CreateObject (a CA's; HALL_PKI_FAULT=medium_write)",
                        CKR_DEVICE_REMOVED);
    }
    return HALL_OK;
}

static int
do_wipe(const struct job *j, struct reply *r)
{
    CK_SLOT_ID slot;
    CK_UTF8CHAR label[32];
    CK_RV rv;

    if (slot_find(j->serial, &slot, r) != HALL_OK)
        return HALL_ERR;
    label32(label, j->serial);
    f->C_CloseAllSessions(slot);
    rv = f->C_InitToken(slot, (CK_UTF8CHAR_PTR)j->so_pin, strlen(j->so_pin), label);
    if (rv != CKR_OK)
        return fail(r, "C_InitToken (wipe)", rv);
    return HALL_OK;
}

/* the child's whole life: one step, its reply, _exit */
static void
child(const struct job *j, int fd)
{
    struct reply *r = calloc(1, sizeof(*r));
    size_t off = 0;

    if (r == NULL)
        _exit(71);
    r->rc = p11_open(j->conf, r);
    if (r->rc == HALL_OK) {
        r->rc = j->kind == JOB_PREPARE ? do_prepare(j, r)
                : j->kind == JOB_WRITE ? do_write(j, r)
                                       : do_wipe(j, r);
        f->C_Finalize(NULL);
    }
    while (off < sizeof(*r)) {
        ssize_t w = write(fd, (char *)r + off, sizeof(*r) - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    _exit(0);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one step in a child: its reply in r; HALL_ERR with r->err when the step
 * failed, the child died or did not answer within medium_timeout_ms */
static int
run(const struct job *j, struct reply *r)
{
    long long until = now_ms() + j->conf->medium_timeout_ms;
    size_t off = 0;
    int fds[2], status = 0, timed_out = 0;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->rc = HALL_ERR;
    if (pipe(fds) != 0) {
        snprintf(r->err, sizeof(r->err), "pipe: %s", strerror(errno));
        return HALL_ERR;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(r->err, sizeof(r->err), "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return HALL_ERR;
    }
    if (pid == 0) {
        close(fds[0]);
        child(j, fds[1]);
    }
    close(fds[1]);
    while (off < sizeof(*r)) {
        struct pollfd p = {fds[0], POLLIN, 0};
        long long left = until - now_ms();
        ssize_t n;

        if (left <= 0) {
            timed_out = 1;
            break;
        }
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            break;
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        n = read(fds[0], (char *)r + off, sizeof(*r) - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (off == sizeof(*r)) {
        r->err[sizeof(r->err) - 1] = '\0';
        return r->rc;
    }
    memset(r, 0, sizeof(*r));
    r->rc = HALL_ERR;
    r->touched = 1; /* unknown: wiped to be sure */
    if (timed_out)
        snprintf(r->err, sizeof(r->err), "the medium did not answer within %ld ms",
                 j->conf->medium_timeout_ms);
    else
        snprintf(r->err, sizeof(r->err), "the medium's module ended the step (%s %d)",
                 WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return HALL_ERR;
}

int
hall_medium_prepare_keys(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                         const char *so_pin, const char *pin, const char *const *cns,
                         const char *const *labels, int nkeys, struct hall_medium_born *born,
                         int *touched, char *err, size_t errlen)
{
    struct job j = {JOB_PREPARE, conf, serial, so_pin, pin, cns, labels, nkeys, NULL, NULL, 0};
    struct reply *r = hall_palloc(pool, sizeof(*r));
    int rc, k;

    *touched = 0;
    if (nkeys < 1 || nkeys > HALL_MEDIUM_KEYS) {
        snprintf(err, errlen, "%d key pairs asked of one medium (1 to %d)", nkeys,
                 HALL_MEDIUM_KEYS);
        return HALL_ERR;
    }
    rc = run(&j, r);
    *touched = r->touched;
    if (rc != HALL_OK) {
        snprintf(err, errlen, "%s", r->err);
        OPENSSL_cleanse(r, sizeof(*r));
        return HALL_ERR;
    }
    for (k = 0; k < nkeys; k++) {
        born[k].csr = hall_palloc(pool, r->csr_len[k]);
        memcpy(born[k].csr, r->csr[k], r->csr_len[k]);
        born[k].csr_len = r->csr_len[k];
        snprintf(born[k].token_serial, sizeof(born[k].token_serial), "%s", r->token_serial);
        snprintf(born[k].model, sizeof(born[k].model), "%s", r->model);
    }
    return HALL_OK;
}

int
hall_medium_prepare(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                    const char *so_pin, const char *pin, const char *cn,
                    struct hall_medium_born *born, int *touched, char *err, size_t errlen)
{
    const char *cns[1] = {cn}, *labels[1] = {KEY_LABEL};

    return hall_medium_prepare_keys(pool, conf, serial, so_pin, pin, cns, labels, 1, born, touched,
                                    err, errlen);
}

int
hall_medium_write_keys(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                       const char *pin, const char *ca_name, const unsigned char *const *ders,
                       const size_t *lens, const char *const *labels, int nkeys, char *err,
                       size_t errlen)
{
    const unsigned char *all[HALL_MEDIUM_KEYS + 2];
    size_t all_lens[HALL_MEDIUM_KEYS + 2];
    struct job j = {JOB_WRITE, conf, serial, NULL, pin, NULL, labels, nkeys, all, all_lens, 0};
    unsigned char *pem;
    size_t pem_len;
    struct reply *r;
    BIO *b;
    X509 *x;
    int got = 0;

    if (nkeys < 1 || nkeys > HALL_MEDIUM_KEYS) {
        snprintf(err, errlen, "%d certificates to write onto one medium", nkeys);
        return HALL_ERR;
    }
    for (j.n = 0; j.n < nkeys; j.n++) {
        all[j.n] = ders[j.n];
        all_lens[j.n] = lens[j.n];
    }
    /* the holders' certificates, then their CA's and the root, as 下载证书
     * gives them (every certificate of one medium is of one CA) */
    if (hall_pki_chain(pool, ca_name, ders[0], lens[0], 0, &pem, &pem_len) != HALL_OK ||
        (b = BIO_new_mem_buf(pem, (int)pem_len)) == NULL) {
        snprintf(err, errlen, "the chain of the certificate cannot be made");
        return HALL_ERR;
    }
    while (got < 3 && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        unsigned char *d = NULL;
        int n = i2d_X509(x, &d);

        X509_free(x);
        if (n <= 0)
            break;
        /* the first is the holder's own, written above */
        if (got++ > 0) {
            unsigned char *c = hall_palloc(pool, (size_t)n);

            memcpy(c, d, (size_t)n);
            all[j.n] = c;
            all_lens[j.n++] = (size_t)n;
        }
        OPENSSL_free(d);
    }
    BIO_free(b);
    ERR_clear_error();
    if (got != 3) {
        snprintf(err, errlen, "the chain of the certificate cannot be read");
        return HALL_ERR;
    }
    r = hall_palloc(pool, sizeof(*r));
    if (run(&j, r) != HALL_OK) {
        snprintf(err, errlen, "%s", r->err);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_medium_write(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                  const char *pin, const char *ca_name, const unsigned char *der, size_t der_len,
                  char *err, size_t errlen)
{
    const unsigned char *ders[1] = {der};
    size_t lens[1] = {der_len};
    const char *labels[1] = {KEY_LABEL};

    return hall_medium_write_keys(pool, conf, serial, pin, ca_name, ders, lens, labels, 1, err,
                                  errlen);
}

int
hall_medium_wipe(const struct hall_conf *conf, const char *serial, const char *so_pin, char *err,
                 size_t errlen)
{
    struct job j = {JOB_WIPE, conf, serial, so_pin, NULL, NULL, NULL, 0, NULL, NULL, 0};
    struct reply *r = calloc(1, sizeof(*r));
    int rc;

    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return HALL_ERR;
    }
    rc = run(&j, r);
    if (rc != HALL_OK)
        snprintf(err, errlen, "%s", r->err);
    free(r);
    return rc;
    return HALL_OK;
}

EVP_PKEY *
hall_medium_csr_check(struct hall_pool *pool, const unsigned char *csr, size_t len,
                      const char **sha256, char *err, size_t errlen)
{
    const unsigned char *p = csr;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    EVP_PKEY *pub = req != NULL ? X509_REQ_get_pubkey(req) : NULL;
    unsigned char h[32];
    char curve[32] = "";

    if (req == NULL || p != csr + len || pub == NULL) {
        snprintf(err, errlen, "the medium's certificate request cannot be read");
        goto bad;
    }
    if (!EVP_PKEY_is_a(pub, "EC") ||
        EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                       NULL) != 1 ||
        strcmp(curve, "prime256v1") != 0) {
        snprintf(err, errlen, "the medium's key is not EC P-256");
        goto bad;
    }
    if (X509_REQ_verify(req, pub) != 1) {
        snprintf(err, errlen,
                 "the medium's certificate request is not signed by its key"
                 " (no proof of possession)");
        goto bad;
    }
    EVP_Digest(csr, len, h, NULL, EVP_sha256(), NULL);
    *sha256 = hall_hex(pool, h, sizeof(h));
    X509_REQ_free(req);
    return pub;
bad:
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    return NULL;
}
