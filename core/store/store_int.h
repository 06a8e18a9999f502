/*
 * store_int.h: what db.c (which makes results) shares with dbres.c (which
 * reads them), and the unit tests that build a result in memory.  Not part
 * of store.h's API.
 */
#ifndef HALL_STORE_INT_H
#define HALL_STORE_INT_H

#include <libpq-fe.h>

#include "store/store.h"

struct hall_dbres {
    PGresult *res;
    struct hall_pool *pool; /* the one whose cleanup clears res */
};

#endif
