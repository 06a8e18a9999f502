/*
 * The stamp's API is declared in core/pki/pki.h (one header per layer,
 * tests/unit/layers.sh): section "stamp".  This header stays for the
 * code that includes it by this name.
 */
#ifndef HALL_PKI_STAMP_H
#define HALL_PKI_STAMP_H

#include "pki/pki.h"

#endif
