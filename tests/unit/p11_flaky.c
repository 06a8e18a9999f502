/*
 * A PKCS#11 module for test_token: every call goes to the module named by
 * P11_FLAKY_REAL (SoftHSM2) but C_Login, which first answers
 * CKR_GENERAL_ERROR as many times as p11_flaky_fail_logins() said (what
 * SoftHSM2 answered one of four workers logging in at once).
 * p11_flaky_logins() counts the C_Login calls.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST mine;
static CK_FUNCTION_LIST_PTR real;
static int fails, logins;

void p11_flaky_fail_logins(int n);
int p11_flaky_logins(void);

void
p11_flaky_fail_logins(int n)
{
    fails = n;
    logins = 0;
}

int
p11_flaky_logins(void)
{
    return logins;
}

static CK_RV
flaky_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    logins++;
    if (fails > 0) {
        fails--;
        return CKR_GENERAL_ERROR;
    }
    return real->C_Login(s, who, pin, len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
    const char *path = getenv("P11_FLAKY_REAL");
    void *dl;

    if (real == NULL) {
        dl = path != NULL ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
        if (dl == NULL)
            return CKR_GENERAL_ERROR;
        *(void **)&get = dlsym(dl, "C_GetFunctionList");
        if (get == NULL || get(&real) != CKR_OK)
            return CKR_GENERAL_ERROR;
        mine = *real;
        mine.C_Login = flaky_login;
    }
    *out = &mine;
    return CKR_OK;
}
