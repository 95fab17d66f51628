/* http: the lab's HTTP face on libmicrohttpd.  The page and its assets are
 * compiled in (assets.h); the API is
 *
 *   GET  /api/tables                   the library's kernels, operators, ... (JSON)
 *   GET  /api/stream                   server-sent events; opens a session, ends it on close
 *   POST /api/lane?session=S&lane=I    sim's option names, form-encoded: lane I's run
 *   POST /api/control?session=S        action=play|pause|step|reset|speed|lanes|arrows [count=K]
 *   POST /api/target?session=S         a points table (sim's text format): the drawn target
 *   GET  /api/export?session=S&lane=I&what=modes|command|target
 *
 * What it refuses: a Host other than the address served (403, DNS
 * rebinding), a request whose Origin is another site (403), a body over the
 * route's cap (413), any path outside the table (404, whatever its encoding:
 * nothing is unescaped).  No CORS header is ever sent; every response carries
 * Content-Security-Policy: default-src 'self'. */
#ifndef DL_SERVE_HTTP_H
#define DL_SERVE_HTTP_H

typedef struct lab_server lab_server;

typedef struct {
    const char *listen; /* an IPv4 or IPv6 address; 127.0.0.1 by default */
    int port;           /* 0: any free port */
    int max_connections;
    int timeout_s;      /* an idle connection is closed after this */
} lab_server_config;

int lab_server_start(lab_server **out, const lab_server_config *cfg);
/* The port served (the one picked, for port 0). */
int lab_server_port(const lab_server *s);
/* Ends every stream and stops; returns once every connection is closed. */
void lab_server_stop(lab_server *s);

#endif
