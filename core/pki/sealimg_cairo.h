/*
 * core/pki/sealimg_cairo.h: what libhallseal's drawings share (sealimg.c:
 * the seal pictures and the 电子签章采集表; stamp_reportpdf.c: the
 * 验签报告): cairo's streams to and from memory.  Only they include it.
 */
#ifndef HALL_PKI_SEALIMG_CAIRO_H
#define HALL_PKI_SEALIMG_CAIRO_H

#include <cairo.h>

#include "pki/pki.h"

/* A4 in points, the page of the PDFs they draw */
#define HALL_A4_W_PT 595.28
#define HALL_A4_H_PT 841.89

/* a cairo_write_func_t appending to the struct hall_buf closure (its
 * maximum kept: WRITE_ERROR beyond it) */
cairo_status_t hall_sealimg_buf_write(void *closure, const unsigned char *data, unsigned int n);
/* an image surface read from the PNG p of n bytes; the caller checks its
 * status and destroys it */
cairo_surface_t *hall_sealimg_png_surface(const unsigned char *p, size_t n);

#endif
