/* One key=value line per event on stderr.  Callers never pass PII. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

static const char *log_module = "hall";
static enum hall_log_level log_level = HALL_LOG_INFO;

static const char *const level_names[] = {"err", "warn", "info", "debug"};

enum hall_log_level
hall_log_level_of(const char *name)
{
    if (name != NULL && strcmp(name, "debug") == 0)
        return HALL_LOG_DEBUG;
    if (name != NULL && strcmp(name, "warn") == 0)
        return HALL_LOG_WARN;
    if (name != NULL && strcmp(name, "err") == 0)
        return HALL_LOG_ERR;
    return HALL_LOG_INFO;
}

void
hall_log_init(const char *module, enum hall_log_level level)
{
    log_module = module;
    log_level = level;
}

void
hall_log(enum hall_log_level level, const char *reqid, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;
    int r;

    if (level > log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "time=%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s mod=%s pid=%d", ts.tv_nsec / 1000000,
                 level_names[level], log_module, (int)getpid());
    if (r > 0)
        n += (size_t)r;
    if (reqid != NULL && *reqid != '\0' && n < sizeof(line)) {
        r = snprintf(line + n, sizeof(line) - n, " req=%.64s", reqid);
        if (r > 0)
            n += (size_t)r;
    }
    if (n < sizeof(line) - 1) {
        line[n++] = ' ';
        va_start(ap, fmt);
        r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (r > 0)
            n += (size_t)r;
    }
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* one write(2) per line so lines from several workers do not interleave */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}
