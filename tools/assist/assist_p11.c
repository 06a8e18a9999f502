/*
 * hall-assist: the medium, through the PKCS#11 module its maker ships
 * (any: SoftHSM2 in the tests): the modules registered with p11-kit, or
 * one named by --module, dlopen'ed and reached by C_GetFunctionList.
 * One read-write session on the chosen token; nothing of a key ever read
 * but the public key's point.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "assist.h"

const char *
assist_p11_error(CK_RV rv)
{
    switch (rv) {
    case CKR_OK: return "CKR_OK";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT（PIN码错误）";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED（PIN码已锁定）";
    case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE（PIN码长度不符合介质要求）";
    case CKR_PIN_INVALID: return "CKR_PIN_INVALID（PIN码含介质不接受的字符）";
    case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED（介质未设置用户PIN码）";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT（未插入介质）";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED（介质已拔出）";
    case CKR_USER_ALREADY_LOGGED_IN: return "CKR_USER_ALREADY_LOGGED_IN";
    default: {
        static char buf[48];

        snprintf(buf, sizeof(buf), "CKR 0x%08lx", (unsigned long)rv);
        return buf;
    }
    }
}

/* a blank-padded field of CK_TOKEN_INFO as a C string */
static void
field(char *out, size_t outlen, const unsigned char *in, size_t n)
{
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\0'))
        n--;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, in, n);
    out[n] = '\0';
}

/* the token labelled token (or, token NULL, the only one) among module
 * f's slots with a token present: into m (slot, info, label); how many
 * matched (at most 1 with a label asked; for none, every token counted) */
static int
scan_slots(struct medium *m, CK_FUNCTION_LIST_PTR f, const char *token, int found)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0, i;
    CK_RV rv;

    /* as many media as are plugged in, counted again if one came
     * between the count and the list */
    do {
        rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
            break;
        free(slots);
        slots = calloc(n + 1, sizeof(*slots));
        if (slots == NULL)
            abort();
        rv = f->C_GetSlotList(CK_TRUE, slots, &n);
    } while (rv == CKR_BUFFER_TOO_SMALL);
    if (rv != CKR_OK) {
        free(slots);
        return found;
    }
    for (i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        char label[33];

        if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;
        field(label, sizeof(label), ti.label, sizeof(ti.label));
        if (token != NULL ? strcmp(label, token) != 0 : found > 0) {
            if (token == NULL)
                found++;
            continue;
        }
        m->f = f;
        m->slot = slots[i];
        m->info = ti;
        snprintf(m->label, sizeof(m->label), "%s", label);
        found++;
        if (token != NULL)
            break;
    }
    free(slots);
    return found;
}

/* module's PKCS#11 function list, initialised; 0 or -1 after printing why */
static int
load_module(struct medium *m, const char *module)
{
    CK_C_GetFunctionList gfl;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_RV rv;

    m->lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (m->lib == NULL) {
        fprintf(stderr, "hall-assist: 无法加载驱动库 %s：%s\n", module, dlerror());
        return -1;
    }
    gfl = (CK_C_GetFunctionList)dlsym(m->lib, "C_GetFunctionList");
    if (gfl == NULL || gfl(&f) != CKR_OK) {
        fprintf(stderr, "hall-assist: %s 不是PKCS#11驱动库（没有 C_GetFunctionList）\n", module);
        return -1;
    }
    rv = f->C_Initialize(NULL);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        fprintf(stderr, "hall-assist: 驱动库初始化失败：%s\n", assist_p11_error(rv));
        return -1;
    }
    m->own = f;
    return 0;
}

/*
 * The medium labelled token (or the only one plugged in), through module
 * when given, else through every module registered with p11-kit (Debian's
 * /usr/share/p11-kit/modules/NAME.module, the user's ~/.config/pkcs11/modules/:
 * where a USB key's driver registers itself).
 */
int
assist_medium_open(struct medium *m, const char *module, const char *token)
{
    CK_RV rv;
    int found = 0;

    memset(m, 0, sizeof(*m));
    if (module != NULL && *module != '\0') {
        if (load_module(m, module) != 0)
            return -1;
        found = scan_slots(m, m->own, token, 0);
    } else {
        size_t i;

        m->mods = p11_kit_modules_load_and_initialize(0);
        if (m->mods == NULL || m->mods[0] == NULL) {
            fprintf(stderr,
                    "hall-assist: 本机没有登记USB Key的驱动（PKCS#11模块）：请安装介质厂商的驱动"
                    "（登记于 /usr/share/p11-kit/modules/），或用 --module 指明驱动库\n");
            return -1;
        }
        for (i = 0; m->mods[i] != NULL && (token == NULL || found == 0); i++)
            found = scan_slots(m, m->mods[i], token, found);
    }
    if (found == 0) {
        fprintf(stderr,
                token != NULL ? "hall-assist: 没有找到介质 %s：请插入该USB Key\n"
                              : "hall-assist: 没有找到USB Key：请插入介质%s\n",
                token != NULL ? token : "");
        return -1;
    }
    if (found > 1) {
        fprintf(stderr, "hall-assist: 插入了多个介质，请用 --token 指明介质序列号\n");
        return -1;
    }
    field(m->serial, sizeof(m->serial), m->info.serialNumber, sizeof(m->info.serialNumber));
    {
        char man[33], model[17];

        field(man, sizeof(man), m->info.manufacturerID, sizeof(m->info.manufacturerID));
        field(model, sizeof(model), m->info.model, sizeof(m->info.model));
        snprintf(m->model, sizeof(m->model), "%.20s %.16s", man, model);
    }
    rv = m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->s);
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: 无法打开介质 %s：%s\n", m->label, assist_p11_error(rv));
        return -1;
    }
    return 0;
}

int
assist_media_labels(const char *module, char labels[][33], int max)
{
    struct medium m;
    CK_FUNCTION_LIST **mods = NULL, *one[2] = {NULL, NULL};
    int n = 0, i;

    memset(&m, 0, sizeof(m));
    if (module != NULL && *module != '\0') {
        if (load_module(&m, module) != 0)
            return -1;
        one[0] = m.own;
    } else {
        mods = p11_kit_modules_load_and_initialize(0);
        if (mods == NULL)
            return -1;
    }
    for (i = 0; (mods != NULL ? mods : one)[i] != NULL; i++) {
        CK_FUNCTION_LIST_PTR f = (mods != NULL ? mods : one)[i];
        CK_SLOT_ID slots[64];
        CK_ULONG k, ns = 64;

        if (f->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
            continue;
        for (k = 0; k < ns && n < max; k++) {
            CK_TOKEN_INFO ti;

            if (f->C_GetTokenInfo(slots[k], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
                continue;
            field(labels[n], 33, ti.label, sizeof(ti.label));
            n++;
        }
    }
    if (mods != NULL)
        p11_kit_modules_finalize_and_release(mods);
    else
        m.own->C_Finalize(NULL);
    return n;
}

void
assist_medium_close(struct medium *m)
{
    if (m->f != NULL && m->s != 0)
        m->f->C_CloseSession(m->s);
    if (m->mods != NULL)
        p11_kit_modules_finalize_and_release(m->mods);
    else if (m->own != NULL)
        m->own->C_Finalize(NULL);
    /* a module dlopen'ed stays loaded: some register atexit handlers */
    m->f = NULL;
    m->own = NULL;
    m->mods = NULL;
}

CK_RV
assist_medium_login(struct medium *m, CK_USER_TYPE who, const char *pin)
{
    return m->f->C_Login(m->s, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

/* an attribute's value, malloc'ed; NULL when the object has none */
static unsigned char *
attr(struct medium *m, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    CK_ATTRIBUTE a = {t, NULL, 0};
    unsigned char *v;

    if (m->f->C_GetAttributeValue(m->s, o, &a, 1) != CKR_OK || a.ulValueLen == (CK_ULONG)-1)
        return NULL;
    v = malloc(a.ulValueLen + 1);
    if (v == NULL)
        return NULL;
    a.pValue = v;
    if (m->f->C_GetAttributeValue(m->s, o, &a, 1) != CKR_OK) {
        free(v);
        return NULL;
    }
    *len = a.ulValueLen;
    return v;
}

CK_ULONG
assist_medium_find(struct medium *m, CK_OBJECT_CLASS cls, const unsigned char *id, size_t id_len,
                   CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, id_len}};
    CK_ULONG n = 0;

    if (m->f->C_FindObjectsInit(m->s, t, id != NULL ? 2 : 1) != CKR_OK)
        return 0;
    if (m->f->C_FindObjects(m->s, out, max, &n) != CKR_OK)
        n = 0;
    m->f->C_FindObjectsFinal(m->s);
    return n;
}

int
assist_medium_certs(struct medium *m, struct medium_cert **out, size_t *count)
{
    CK_OBJECT_HANDLE h[32];
    CK_ULONG n = assist_medium_find(m, CKO_CERTIFICATE, NULL, 0, h, 32), i;
    struct medium_cert *c = calloc(n + 1, sizeof(*c));
    size_t k = 0;

    if (c == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        size_t len = 0, idl = 0;
        unsigned char *der = attr(m, h[i], CKA_VALUE, &len), *id;
        const unsigned char *p = der;

        if (der == NULL)
            continue;
        c[k].x = d2i_X509(NULL, &p, (long)len);
        free(der);
        if (c[k].x == NULL)
            continue;
        id = attr(m, h[i], CKA_ID, &idl);
        if (id != NULL && idl <= sizeof(c[k].id)) {
            memcpy(c[k].id, id, idl);
            c[k].id_len = idl;
        }
        free(id);
        k++;
    }
    *out = c;
    *count = k;
    return 0;
}

void
assist_medium_certs_free(struct medium_cert *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        X509_free(c[i].x);
    free(c);
}

char *
assist_medium_pubkey_hex(struct medium *m, const unsigned char *id, size_t id_len)
{
    CK_OBJECT_HANDLE h;
    size_t len = 0, i;
    unsigned char *pt;
    char *hex;

    if (assist_medium_find(m, CKO_PUBLIC_KEY, id, id_len, &h, 1) != 1)
        return NULL;
    pt = attr(m, h, CKA_EC_POINT, &len);
    if (pt == NULL)
        return NULL;
    hex = malloc(2 * len + 1);
    if (hex != NULL)
        for (i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", pt[i]);
    free(pt);
    return hex;
}

CK_RV
assist_medium_sign(struct medium *m, const unsigned char *id, size_t id_len,
                   const unsigned char *digest, size_t dlen, unsigned char *sig, size_t *siglen)
{
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_ULONG n = (CK_ULONG)*siglen;
    CK_RV rv;

    /* the key of the certificate's CKA_ID, whatever its label */
    if (assist_medium_find(m, CKO_PRIVATE_KEY, id, id_len, &key, 1) != 1)
        return CKR_KEY_HANDLE_INVALID;
    rv = m->f->C_SignInit(m->s, &mech, key);
    if (rv != CKR_OK)
        return rv;
    rv = m->f->C_Sign(m->s, (CK_BYTE_PTR)digest, (CK_ULONG)dlen, sig, &n);
    *siglen = n;
    return rv;
}
