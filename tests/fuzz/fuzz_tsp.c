/* an RFC 3161 timestamp token as a document timestamp (/ETSI.RFC3161)
 * decoded and checked, in the gap of base/tsp.pdf (fuzz_gapped.h) */
#define FUZZ_BASE "tsp"
#include "fuzz_gapped.h"
