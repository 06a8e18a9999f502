/*
 * sealprod_int.h: what sealprod.c (the seals made with an order's
 * certificate) shares with sealrename.c (their re-make when that
 * certificate is replaced), and nothing else uses.  Not part of biz.h's
 * API.
 */
#ifndef HALL_SEALPROD_INT_H
#define HALL_SEALPROD_INT_H

#include "biz/biz.h"

/* characters of a UTF-8 string */
size_t hall_sealprod_chars(const char *s);
/* the seal maker's key and certificate loaded (hall_seseal_load), before
 * seals are signed; HALL_ERR logged */
int hall_sealprod_signer_ready(struct hall_ctx *cx);
/* what a seal's SESeal says besides its type, name and picture: the one
 * signer's certificate (certs, lens), made now, valid from start to end */
void hall_sealprod_seal_in(struct hall_seseal_in *in, const char *es_id,
                           const unsigned char *const *certs, const size_t *lens, time_t now,
                           time_t start, time_t end);

#endif
