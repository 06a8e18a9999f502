/* a GB/T 38540 SES_Signature (an SM2 stamp) decoded and checked, in the
 * gap of base/ses.pdf (fuzz_gapped.h) */
#define FUZZ_BASE "ses"
#include "fuzz_gapped.h"
