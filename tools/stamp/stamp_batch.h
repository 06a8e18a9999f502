/*
 * stamp_batch.c: hall-stamp sign --out-dir DIR FILE...: many documents
 * stamped after one PIN (docs/modules/stamp.md, "Many documents at once").
 */
#ifndef HALL_STAMP_BATCH_H
#define HALL_STAMP_BATCH_H

#include "base/base.h"
#include "pki/pki.h"
#include "stamp/stamp.h"

struct stamp_batch {
    char **inputs; /* the files, in the order given */
    int n;
    const char *out_dir; /* each written to out_dir/its name */
    int lt;              /* 1: a /DSS revision after each stamp (B-LT) */
    const char *hall;    /* --hall, or NULL */
    int zh;              /* messages in Chinese */
    const char *level;   /* "PAdES B-LT", ... for the report */
};

/*
 * The inputs: --in (when given) then the arguments after the options
 * (argv[optind...]), into *inputs (malloc'ed) and *n.  0, or 2 with the
 * message printed: none given, --out given too, too many.
 */
int stamp_batch_args(int argc, char **argv, const char *in_path, const char *out_path,
                     char ***inputs, int *n, int zh);

/*
 * Stamps every input with tmpl (its pdf unset: each file's own), each with
 * its own timestamp, then (b->lt) appends each one's /DSS with the
 * evidence asked of the hall once for the batch.  A file that fails
 * (unreadable, not a PDF, encrypted, damaged, no such page, a name met
 * before) is reported and the next goes on.  Prints a line per file and a
 * summary; returns the exit status: 0 every file stamped, 5 some were
 * not, 3 none was.
 */
int stamp_batch_run(struct hall_pool *pool, const struct stamp_batch *b,
                    const struct hall_stamp_sign_in *tmpl);

#endif
