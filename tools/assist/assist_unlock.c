/*
 * hall-assist unlock: a locked or forgotten user PIN reset on the medium
 * with the one-time code of a 证书解锁 order (docs/modules/assist.md).  The
 * hall answers the medium's SO PIN with a new SO PIN; here, in one
 * session: C_Login as SO, C_InitPIN with the holder's new PIN, C_SetPIN of
 * the SO PIN to the new one, C_Logout; the hall is told the new SO PIN is
 * in force (rotated), and only that ends the 解锁; the new user PIN is
 * tried.  Until the hall has the confirmation the same command may run
 * again: the hall answers the same two PINs, and a medium that took the new
 * SO PIN already (the confirmation lost) is opened with it, and confirmed.
 * The key and the certificates are not touched (their CKA_ID and public
 * key are shown before and after).  The SO PINs live in this process's
 * memory only, cleansed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "assist.h"

/* form-encoded medium=…&ticket=… (both [0-9A-Za-z-]: checked) */
static int
form(char *out, size_t len, const char *medium, const char *ticket)
{
    const char *p;

    for (p = ticket; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              *p == '-'))
            return -1;
    return (size_t)snprintf(out, len, "medium=%s&ticket=%s", medium, ticket) < len ? 0 : -1;
}

/* 0 when the hall answered 200, else its message printed */
static int
hall_ok(const struct http_reply *r, const char *what)
{
    char *msg;

    if (r->status == 200)
        return 0;
    msg = assist_json_str(r->body, "message");
    fprintf(stderr, "hall-assist: %s：%s（HTTP %ld）\n", what, msg != NULL ? msg : "网上营业厅拒绝",
            r->status);
    free(msg);
    return -1;
}

/* the holder's key: the first certificate's CKA_ID and its public key */
static void
key_line(struct medium *m, const char *when)
{
    struct medium_cert *c;
    size_t n, i;

    if (assist_medium_certs(m, &c, &n) != 0)
        return;
    for (i = 0; i < n; i++) {
        char *pub = c[i].id_len > 0 ? assist_medium_pubkey_hex(m, c[i].id, c[i].id_len) : NULL;

        if (pub != NULL) {
            printf("%s：密钥 CKA_ID ", when);
            for (size_t k = 0; k < c[i].id_len; k++)
                printf("%02x", c[i].id[k]);
            printf("，公钥 %s\n", pub);
            free(pub);
            break;
        }
    }
    assist_medium_certs_free(c, n);
}

int
assist_cmd_unlock(struct medium *m, const struct opts *o)
{
    static const char *const prompts[] = {"请输入新PIN码："};
    char pin[1][64], body[160], url[512];
    char *so = NULL, *so_new = NULL;
    struct http_reply r = {0};
    CK_RV rv;
    int rc = 1, rotated = 0;

    if (o->hall == NULL || *o->hall == '\0') {
        fprintf(stderr,
                "hall-assist: 请用 --hall 指明网上营业厅的网址（业务单详情页的命令里有）\n");
        return 1;
    }
    if (m->info.flags & CKF_USER_PIN_LOCKED)
        printf("介质 %s 的用户PIN码已锁定\n", m->label);
    else if (m->info.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY))
        printf("介质 %s 的用户PIN码曾输错\n", m->label);
    if (assist_read_pins(o->pin_file, prompts, pin, 1) != 0)
        return 1;
    if (!assist_new_pin_ok(m, pin[0]))
        goto out;
    if (form(body, sizeof(body), m->label, o->ticket) != 0) {
        fprintf(stderr, "hall-assist: 解锁码格式不正确\n");
        goto out;
    }
    key_line(m, "解锁前");
    snprintf(url, sizeof(url), "%s/unlock/assist/release", o->hall);
    if (assist_http_post(url, "application/x-www-form-urlencoded", body, strlen(body), &r) != 0 ||
        hall_ok(&r, "网上营业厅未同意解锁") != 0)
        goto out;
    so = assist_json_str(r.body, "so_pin");
    so_new = assist_json_str(r.body, "new_so_pin");
    assist_http_reply_free(&r);
    if (so == NULL || so_new == NULL) {
        fprintf(stderr, "hall-assist: 网上营业厅的应答不完整\n");
        goto out;
    }
    rv = assist_medium_login(m, CKU_SO, so);
    /* a run before set the new SO PIN, and its confirmation was lost */
    if (rv == CKR_PIN_INCORRECT && assist_medium_login(m, CKU_SO, so_new) == CKR_OK) {
        rotated = 1;
        rv = CKR_OK;
    }
    if (rv != CKR_OK) {
        fprintf(stderr,
                "hall-assist: 介质 %s 不接受网上营业厅的管理员PIN码：%s；解锁未完成，"
                "可稍后用同一解锁码重试，或在业务单详情页取消，或联系深圳CA\n",
                m->label, assist_p11_error(rv));
        goto out;
    }
    rv = m->f->C_InitPIN(m->s, (CK_UTF8CHAR_PTR)pin[0], (CK_ULONG)strlen(pin[0]));
    if (rv != CKR_OK) {
        m->f->C_Logout(m->s);
        fprintf(stderr, "hall-assist: 设置新PIN码失败：%s\n", assist_p11_error(rv));
        goto out;
    }
    /* the SO PIN changed to the one the hall now keeps */
    rv = rotated ? CKR_OK
                 : m->f->C_SetPIN(m->s, (CK_UTF8CHAR_PTR)so, (CK_ULONG)strlen(so),
                                  (CK_UTF8CHAR_PTR)so_new, (CK_ULONG)strlen(so_new));
    m->f->C_Logout(m->s);
    if (rv != CKR_OK) {
        fprintf(
            stderr,
            "hall-assist: 管理员PIN码未能更换（%s）：解锁未完成，请用同一解锁码再次运行本命令\n",
            assist_p11_error(rv));
        goto out;
    }
    rv = assist_medium_login(m, CKU_USER, pin[0]);
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: 新PIN码不能登录介质：%s\n", assist_p11_error(rv));
        goto out;
    }
    m->f->C_Logout(m->s);
    snprintf(url, sizeof(url), "%s/unlock/assist/rotated", o->hall);
    if (assist_http_post(url, "application/x-www-form-urlencoded", body, strlen(body), &r) != 0 ||
        hall_ok(&r, "网上营业厅未收到解锁完成的确认") != 0) {
        fprintf(stderr, "hall-assist: 介质中的新PIN码已设置，但解锁尚未完成：请用同一解锁码再次运行"
                        "本命令\n");
        goto out;
    }
    key_line(m, "解锁后");
    printf("介质 %s 已解锁：新PIN码已生效，密钥和证书未变\n", m->label);
    rc = 0;
out:
    assist_http_reply_free(&r);
    if (so != NULL)
        OPENSSL_cleanse(so, strlen(so));
    if (so_new != NULL)
        OPENSSL_cleanse(so_new, strlen(so_new));
    free(so);
    free(so_new);
    OPENSSL_cleanse(pin, sizeof(pin));
    return rc;
}
