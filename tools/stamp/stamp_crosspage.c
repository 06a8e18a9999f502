/*
 * hall-stamp's 骑缝章 (cross-page seal, docs/modules/stamp.md): the
 * options of `sign --qifeng [right|left] [--pages N-M]` read, and the
 * lines sign and verify print about one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp_crosspage.h"

int
stamp_qifeng_edge_arg(const char *arg, int argc, char **argv, int *optind)
{
    /* --qifeng, --qifeng=left, or --qifeng left */
    if (arg == NULL && *optind < argc &&
        (strcmp(argv[*optind], "right") == 0 || strcmp(argv[*optind], "left") == 0))
        arg = argv[(*optind)++];
    if (arg == NULL || strcmp(arg, "right") == 0)
        return HALL_STAMP_QIFENG_RIGHT;
    return strcmp(arg, "left") == 0 ? HALL_STAMP_QIFENG_LEFT : -1;
}

int
stamp_qifeng_pages_arg(const char *arg, int *first, int *last)
{
    char *end;

    *first = (int)strtol(arg, &end, 10);
    *last = *first;
    if (*end == '-')
        *last = (int)strtol(end + 1, &end, 10);
    return *end != '\0' || *first < 1 || *last < *first ? HALL_ERR : HALL_OK;
}

void
stamp_qifeng_print_signed(int zh, int edge, int first, int last)
{
    const char *side =
        edge == HALL_STAMP_QIFENG_LEFT ? (zh ? "左" : "left") : (zh ? "右" : "right");

    if (first > 0)
        printf(zh ? "骑缝章：第%d-%d页的%s边\n" : "cross-page seal: pages %d-%d, %s edge\n", first,
               last, side);
    else
        printf(zh ? "骑缝章：每一页的%s边\n" : "cross-page seal: every page, %s edge\n", side);
}

int
stamp_qifeng_print_verified(int zh, const struct hall_stamp_sig *s)
{
    if (s->qifeng_edge == NULL)
        return 0;
    printf(zh ? "  骑缝章: 第%s页的%s边，%d片\n"
              : "  cross-page seal: pages %s, %s edge, %d slices\n",
           s->qifeng_pages,
           strcmp(s->qifeng_edge, "left") == 0 ? (zh ? "左" : "left") : (zh ? "右" : "right"),
           s->qifeng_slices);
    if (s->qifeng_missing > 0)
        printf(zh ? "  骑缝章: %d片所在的页面已不在文档中\n"
                  : "  cross-page seal: the pages of %d slices are gone from the document\n",
               s->qifeng_missing);
    return 1;
}
