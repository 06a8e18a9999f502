/*
 * hall.h: what a module of the service hall includes.  Not a header of the
 * core: no file of core/ includes it.  The core is six layers, each a
 * folder with one header that is its whole public API, each using only the
 * layers below it (docs/architecture.md, "The core's layers"):
 *
 *   flow   the flow kit and the steps flows share          flow/flow.h
 *   biz    orders, money, production                       biz/biz.h
 *   pki    the CA: certificates, CRLs, OCSP, seals          pki/pki.h
 *   web    the FastCGI loop, requests, pages, sessions      web/web.h
 *   store  PostgreSQL, stored files, audit, outbox          store/store.h
 *   base   pools, buffers, log, configuration, crypto       base/base.h
 */
#ifndef HALL_H
#define HALL_H

#include "flow/flow.h"

/* a module's whole main(): its struct hall_module <name>_module, preparing
 * the statements of every layer of the core and its own, and hall_main,
 * e.g. HALL_MODULE_MAIN(pay, pay_routes, pay_stmts, pay_init) */
#define HALL_MODULE_MAIN(name, routes, stmts, init)                                                \
    static const struct hall_module name##_module = {#name, routes,          stmts, init,          \
                                                     NULL,  hall_core_stmts, NULL,  NULL};         \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return hall_main(argc, argv, &name##_module);                                              \
    }

#endif
