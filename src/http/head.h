/*
 * head.h - judging a request's head as libmicrohttpd parsed it, before anything of it is used.
 *
 * The server calls it in the first access-handler call of each request, on the connection's
 * thread: every header field is in, no byte of the body has been read. It measures the request
 * line against HTTP_MAX_REQUEST_LINE (414), the head against HTTP_MAX_HEAD and HTTP_MAX_FIELDS
 * (431), then checks its framing (framing.h; 400). The layout check (NUL bytes, folded lines)
 * reads libmicrohttpd's read buffer, whose shape it knows for libmicrohttpd 0.9.75 only: it is
 * built against that version alone, and http_head_layout_checked() says whether it was.
 * No allocation; thread-safe.
 */
#ifndef LB_HTTP_HEAD_H
#define LB_HTTP_HEAD_H

#include <microhttpd.h>
#include <stdbool.h>

/* 0 when the head may be served; else the status to refuse it with (400, 414, 431) and, in
 * *detail, a static sentence saying why. method and version are the pointers libmicrohttpd
 * passed to the access handler (the head starts at method). */
int http_head_check(struct MHD_Connection *conn, const char *method, const char *version,
                    const char **detail);
/* Whether NUL bytes and folded lines are detected (built against libmicrohttpd 0.9.75). */
bool http_head_layout_checked(void);

#endif
