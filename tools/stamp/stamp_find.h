/*
 * Where a keyword is shown on a PDF's pages (hall-stamp sign --keyword):
 * see stamp_find.c.
 */
#ifndef HALL_STAMP_FIND_H
#define HALL_STAMP_FIND_H

#include <stddef.h>

/* one place the keyword is shown: mm on the page as shown (its /Rotate
 * applied), from the top-left corner, as --x and --y are measured */
struct stamp_find_match {
    int page;          /* 1-based */
    double x_mm, y_mm; /* the centre of the keyword's box */
    double w_mm, h_mm; /* the box */
};

#define STAMP_FIND_MAX 64 /* matches kept at most */

/* which of the matches are stamped: --keyword-match */
enum stamp_find_which { STAMP_FIND_ALL, STAMP_FIND_FIRST, STAMP_FIND_LAST };

/* the places pdf (len bytes) shows text (UTF-8) on, in page order, at most
 * max; *npages the pages searched.  -1 with err when the file cannot be
 * read as a PDF; 0 when the text is on no page */
int stamp_find_text(const unsigned char *pdf, size_t len, const char *text,
                    struct stamp_find_match *out, int max, int *npages, char *err, size_t errlen);

/* --keyword-match's word: STAMP_FIND_ALL, _FIRST or _LAST; -1 when none */
int stamp_find_which(const char *word);

/* --keyword-offset DX,DY (mm, right and down): 0, or -1 when malformed */
int stamp_find_offset(const char *arg, double *dx, double *dy);

/* the places to stamp for keyword: its matches (the first or last only
 * as which says, in the order of the pages as shown), each moved by dx,
 * dy mm; their count, or 0 with err (Chinese or English as zh says) when
 * the keyword is on no page (naming the pages searched) or the file
 * cannot be read */
int stamp_find_places(const unsigned char *pdf, size_t len, const char *keyword, int which,
                      double dx, double dy, struct stamp_find_match *out, int zh, char *err,
                      size_t errlen);

#endif
