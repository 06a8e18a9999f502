/* QR codes (libqrencode) drawn as SVG, so a page can show one without a
 * script or an image endpoint. */
#include <qrencode.h>
#include <string.h>

#include "web/web.h"

char *
hall_qr_svg(struct hall_pool *pool, const char *text, int scale)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    struct hall_buf *b;
    int x, y, w, quiet = 4;

    if (qr == NULL)
        return NULL;
    w = qr->width;
    b = hall_buf_new(pool, 512 * 1024);
    hall_buf_printf(
        b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
        " height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"二维码\">"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
        w + 2 * quiet, w + 2 * quiet, (w + 2 * quiet) * scale, (w + 2 * quiet) * scale);
    for (y = 0; y < w; y++)
        for (x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                hall_buf_printf(b, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    hall_buf_addstr(b, "\"/></svg>");
    QRcode_free(qr);
    return b->data;
}
