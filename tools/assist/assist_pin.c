/*
 * hall-assist: the PINs the holder types (the terminal, not echoed; or a
 * file's lines, for scripts and tests) and the medium's rule for a new one.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "assist.h"

/* a PIN from the terminal, not echoed; 0 or -1 */
static int
tty_pin(const char *prompt, char *out, size_t len)
{
    FILE *t = fopen("/dev/tty", "r+");
    struct termios old, quiet;
    int ok;

    if (t == NULL)
        return -1;
    fprintf(t, "%s", prompt);
    fflush(t);
    tcgetattr(fileno(t), &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fileno(t), TCSAFLUSH, &quiet);
    ok = fgets(out, (int)len, t) != NULL;
    tcsetattr(fileno(t), TCSAFLUSH, &old);
    fprintf(t, "\n");
    fclose(t);
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* PINs: n lines of the file, else asked at the terminal (a new PIN twice) */
int
assist_read_pins(const char *file, const char *const *prompts, char pins[][64], int n)
{
    int i;

    if (file != NULL) {
        FILE *f = fopen(file, "r");

        if (f == NULL) {
            fprintf(stderr, "hall-assist: 无法读取 %s\n", file);
            return -1;
        }
        for (i = 0; i < n; i++) {
            if (fgets(pins[i], 64, f) == NULL) {
                fprintf(stderr, "hall-assist: %s 应有%d行（%s）\n", file, n, prompts[n - 1]);
                fclose(f);
                return -1;
            }
            pins[i][strcspn(pins[i], "\r\n")] = '\0';
        }
        fclose(f);
        return 0;
    }
    for (i = 0; i < n; i++)
        if (tty_pin(prompts[i], pins[i], 64) != 0) {
            fprintf(stderr, "hall-assist: 无法从终端读取PIN码（可用 --pin-file）\n");
            return -1;
        }
    {
        char again[64];

        if (tty_pin("请再次输入新PIN码：", again, sizeof(again)) != 0 ||
            strcmp(again, pins[n - 1]) != 0) {
            fprintf(stderr, "hall-assist: 两次输入的新PIN码不一致\n");
            return -1;
        }
        OPENSSL_cleanse(again, sizeof(again));
    }
    return 0;
}

int
assist_new_pin_ok(const struct medium *m, const char *pin)
{
    size_t n = strlen(pin);

    if (n < m->info.ulMinPinLen || n > m->info.ulMaxPinLen || n < 6) {
        fprintf(stderr, "hall-assist: 新PIN码应为%lu至%lu位\n",
                (unsigned long)(m->info.ulMinPinLen > 6 ? m->info.ulMinPinLen : 6),
                (unsigned long)m->info.ulMaxPinLen);
        return 0;
    }
    return 1;
}
