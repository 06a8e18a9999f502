/*
 * core/web/kept.h: the kept FastCGI connections of a module whose nginx
 * location keeps them open (app->keep_conn), kept.c; for app.c.
 */
#ifndef HALL_WEB_KEPT_H
#define HALL_WEB_KEPT_H

#include <signal.h>

#include <fcgiapp.h>

struct hall_app;

/* a worker's loop: every connection of the listening socket sock that it
 * holds, each request given to serve_one as an FCGX_Request (its envp and
 * in, a stream over the body, out only for write errors); until *stop,
 * *in_request set while one is served */
/* the master of the workers forked next (hall_prefork) */
void hall_worker_master_set(pid_t pid);
/* the worker's master is gone: fr answered 503 (unless NULL), 1, and the
 * worker stops; 0 while the master lives */
int hall_worker_orphaned(FCGX_Request *fr);
void hall_kept_serve(struct hall_app *app, int sock,
                     void (*serve_one)(struct hall_app *, FCGX_Request *),
                     volatile sig_atomic_t *stop, volatile sig_atomic_t *in_request);

#endif
