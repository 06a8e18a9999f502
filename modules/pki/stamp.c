/*
 * hall-stamp: the 盖章工具 (docs/modules/stamp.md).  Stamps a PDF with an
 * electronic seal and the signer's key (a PKCS#12 medium or a PKCS#11
 * token), and verifies the stamps of a PDF offline.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "pki/pki.h"
#include "pki/stamp.h"

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hall-stamp %s\n", PACKAGE_VERSION);
        return 0;
    }
    fprintf(stderr, "hall-stamp: not yet\n");
    return 2;
}
