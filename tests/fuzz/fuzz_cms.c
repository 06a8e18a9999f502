/* a CMS SignedData (PAdES): its signer, signed attributes, seal attribute
 * and signature timestamp (RFC 3161) decoded and checked, in the gap of
 * base/cms.pdf (fuzz_gapped.h) */
#define FUZZ_BASE "cms"
#include "fuzz_gapped.h"
