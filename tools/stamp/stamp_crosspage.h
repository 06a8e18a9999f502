/*
 * hall-stamp's 骑缝章 part (tools/stamp/stamp_crosspage.c): the options
 * --qifeng and --pages read, and the tool's lines on a cross-page seal.
 */
#ifndef HALL_TOOLS_STAMP_CROSSPAGE_H
#define HALL_TOOLS_STAMP_CROSSPAGE_H

#include "stamp/stamp.h"

/* --qifeng's edge from its argument (or argv[*optind], right or left,
 * taken): HALL_STAMP_QIFENG_RIGHT (also none), _LEFT, -1 another word */
int stamp_qifeng_edge_arg(const char *arg, int argc, char **argv, int *optind);
/* --pages N or N-M: HALL_OK with first, last; HALL_ERR when malformed */
int stamp_qifeng_pages_arg(const char *arg, int *first, int *last);
/* sign's line on the 骑缝章 written; zh: Chinese */
void stamp_qifeng_print_signed(int zh, int edge, int first, int last);
/* verify's lines on a signature that is a 骑缝章: 0 when it is not one */
int stamp_qifeng_print_verified(int zh, const struct hall_stamp_sig *s);

#endif
