/*
 * stamp_usage.c: hall-stamp's help text.
 */
#ifndef HALL_STAMP_USAGE_H
#define HALL_STAMP_USAGE_H

#include <stdio.h>

/* the commands and options on f, in Chinese when zh */
void stamp_usage(FILE *f, int zh);

#endif
