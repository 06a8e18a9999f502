/*
 * hall-assist: a PIN asked through pinentry, GnuPG's PIN dialog (Debian's
 * pinentry-gnome3, -qt, -gtk2, -curses, -tty behind the `pinentry`
 * alternative), spoken to in Assuan (docs/internals/assist.md, "The
 * PIN"): SETTITLE, SETDESC, SETPROMPT, SETERROR, GETPIN; the PIN comes
 * back in a D line, percent-encoded.  The page never sees the PIN.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "assist.h"

#define LINE_MAX_ASSUAN 1000 /* Assuan's longest line, LF excluded */

struct assuan {
    FILE *in, *out;
    pid_t pid;
};

/* one line (LF removed) into line; 0 or -1 at EOF or a line too long */
static int
get_line(struct assuan *a, char *line, size_t len)
{
    if (fgets(line, (int)len, a->in) == NULL)
        return -1;
    if (strchr(line, '\n') == NULL)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    return 0;
}

/* %XX → the byte, in place */
static void
percent_decode(char *s)
{
    char *w = s;

    for (; *s != '\0'; s++) {
        if (s[0] == '%' && s[1] != '\0' && s[2] != '\0') {
            char hex[3] = {s[1], s[2], '\0'};
            char *end;
            long v = strtol(hex, &end, 16);

            if (*end == '\0') {
                *w++ = (char)v;
                s += 2;
                continue;
            }
        }
        *w++ = *s;
    }
    *w = '\0';
}

/*
 * The answer to the command sent: OK → 0; ERR → the error code (> 0);
 * pin, when not NULL, gets the D lines' data decoded.  -1 when pinentry
 * went away.
 */
static long
answer(struct assuan *a, char *pin, size_t len)
{
    char line[LINE_MAX_ASSUAN + 2];
    size_t have = 0;

    for (;;) {
        if (get_line(a, line, sizeof(line)) != 0)
            return -1;
        if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0)
            break;
        if (strncmp(line, "ERR ", 4) == 0) {
            long code = strtol(line + 4, NULL, 10);

            OPENSSL_cleanse(line, sizeof(line));
            return code > 0 ? code : 1;
        }
        if (strncmp(line, "D ", 2) == 0 && pin != NULL) {
            size_t n;

            percent_decode(line + 2);
            n = strlen(line + 2);
            if (have + n >= len) {
                OPENSSL_cleanse(line, sizeof(line));
                return -1;
            }
            memcpy(pin + have, line + 2, n);
            have += n;
            pin[have] = '\0';
        } else if (strncmp(line, "INQUIRE", 7) == 0) {
            fputs("CAN\n", a->out); /* nothing more to tell */
            fflush(a->out);
        }
        /* S status lines and # comments: nothing to do */
    }
    OPENSSL_cleanse(line, sizeof(line));
    return 0;
}

/* CMD with its argument percent-escaped as Assuan asks (%, CR, LF and the
 * other control characters); its answer */
static long
command(struct assuan *a, const char *cmd, const char *arg)
{
    fputs(cmd, a->out);
    if (arg != NULL) {
        fputc(' ', a->out);
        for (; *arg != '\0'; arg++) {
            unsigned char c = (unsigned char)*arg;

            if (c == '%' || c < 0x20)
                fprintf(a->out, "%%%02X", c);
            else
                fputc(c, a->out);
        }
    }
    fputc('\n', a->out);
    if (fflush(a->out) != 0)
        return -1;
    return answer(a, NULL, 0);
}

static int
start(struct assuan *a, char *err, size_t elen)
{
    const char *prog = getenv("PINENTRY_PROGRAM");
    int to[2], from[2];

    if (prog == NULL || *prog == '\0')
        prog = "pinentry";
    if (pipe(to) != 0 || pipe(from) != 0) {
        snprintf(err, elen, "无法启动PIN码输入程序：%s", strerror(errno));
        return -1;
    }
    a->pid = fork();
    if (a->pid < 0) {
        snprintf(err, elen, "无法启动PIN码输入程序：%s", strerror(errno));
        return -1;
    }
    if (a->pid == 0) {
        /* stdin and stdout are the browser's pipe: pinentry gets ours */
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        execlp(prog, prog, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    a->out = fdopen(to[1], "w");
    a->in = fdopen(from[0], "r");
    if (a->in == NULL || a->out == NULL || answer(a, NULL, 0) != 0) {
        snprintf(err, elen,
                 "没有找到PIN码输入程序 %s：请安装 pinentry-gnome3 或 pinentry-qt（Debian："
                 "apt install pinentry-gnome3）",
                 prog);
        return -1;
    }
    return 0;
}

static void
stop(struct assuan *a)
{
    int status;

    if (a->out != NULL) {
        fputs("BYE\n", a->out);
        fflush(a->out);
        fclose(a->out);
    }
    if (a->in != NULL)
        fclose(a->in);
    if (a->pid > 0)
        waitpid(a->pid, &status, 0);
}

int
assist_pinentry(const char *title, const char *desc, const char *prompt, const char *error,
                char *pin, size_t len, char *err, size_t elen)
{
    struct assuan a = {NULL, NULL, -1};
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    long rc;
    int out = -1;

    pin[0] = '\0';
    if (start(&a, err, elen) != 0)
        goto done;
    if (command(&a, "OPTION", "lc-ctype=C.UTF-8") < 0 || command(&a, "SETTITLE", title) < 0 ||
        command(&a, "SETDESC", desc) < 0 || command(&a, "SETPROMPT", prompt) < 0 ||
        command(&a, "SETOK", "签名") < 0 || command(&a, "SETCANCEL", "取消") < 0 ||
        (error != NULL && command(&a, "SETERROR", error) < 0)) {
        snprintf(err, elen, "PIN码输入程序意外退出");
        goto done;
    }
    fputs("GETPIN\n", a.out);
    fflush(a.out);
    rc = answer(&a, pin, len);
    if (rc < 0) {
        snprintf(err, elen, "PIN码输入程序意外退出");
    } else if (rc > 0) {
        /* GPG_ERR_CANCELED (99) and any other refusal: not signed */
        snprintf(err, elen, "已取消输入PIN码");
        out = 1;
    } else if (pin[0] == '\0') {
        snprintf(err, elen, "未输入PIN码");
        out = 1;
    } else {
        out = 0;
    }
done:
    if (out != 0)
        OPENSSL_cleanse(pin, len);
    stop(&a);
    signal(SIGPIPE, old);
    return out;
}
