#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <microhttpd.h>

#include "assets.h"
#include "base/dl_error.h"
#include "base/parse.h"
#include "cli.h"
#include "lab.h"

#define FORM_BODY_CAP (64 << 10)
#define TARGET_BODY_CAP (1 << 20)
#define FRAME_CAP (8 << 20)
#define FRAME_INTERVAL_S (1.0 / 60)

struct lab_server {
    struct MHD_Daemon *daemon;
    int port;
    char hosts[4][80]; /* the Host values that name this server */
    int n_hosts;
    int stop;
    pthread_mutex_t mu; /* the session table */
    lab_session *sessions[LAB_MAX_SESSIONS];
    int refs[LAB_MAX_SESSIONS]; /* the stream holds one; requests in flight one each */
};

typedef struct {
    lab_text body;
    size_t cap;
    int too_big;
} request;

typedef struct {
    lab_server *server;
    lab_session *session;
    lab_text out;
    size_t offset;
    int hello_sent;
    double last_frame;
} stream;

/* ---- responses ---- */

static void add_security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const void *data, size_t len, int copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    add_security_headers(r);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return respond(c, status, "text/plain; charset=utf-8", text, strlen(text), 1);
}

static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status)
{
    char line[1200];
    snprintf(line, sizeof line, "%s\n", dl_error_message());
    return respond_text(c, status, line);
}

/* ---- sessions ---- */

static lab_session *acquire(lab_server *s, const char *id)
{
    lab_session *found = NULL;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; id && i < LAB_MAX_SESSIONS && !found; i++)
        if (s->sessions[i] && !strcmp(lab_session_id(s->sessions[i]), id))
            found = s->sessions[i], s->refs[i]++;
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* The last holder destroys it: a request in flight keeps a closed tab's
 * session until it answers. */
static void release(lab_server *s, lab_session *session)
{
    int last = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < LAB_MAX_SESSIONS; i++)
        if (s->sessions[i] == session) {
            last = --s->refs[i] == 0;
            if (last)
                s->sessions[i] = NULL;
        }
    pthread_mutex_unlock(&s->mu);
    if (last)
        lab_session_destroy(session);
}

static lab_session *open_session(lab_server *s)
{
    unsigned char bytes[16];
    char id[33];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return NULL;
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", bytes[i]);
    lab_session *session = NULL;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < LAB_MAX_SESSIONS && !session; i++)
        if (!s->sessions[i] && lab_session_create(&s->sessions[i], id) == DL_OK)
            session = s->sessions[i], s->refs[i] = 1;
    pthread_mutex_unlock(&s->mu);
    return session;
}

/* ---- the stream ---- */

static void sleep_until(double t)
{
    const double wait = t - cli_wall_seconds();
    if (wait <= 0)
        return;
    struct timespec d = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
    nanosleep(&d, NULL);
}

static int refill(stream *st)
{
    lab_text_clear(&st->out);
    st->offset = 0;
    if (__atomic_load_n(&st->server->stop, __ATOMIC_ACQUIRE))
        return 1;
    if (!st->hello_sent) {
        st->hello_sent = 1;
        lab_text_printf(&st->out, "retry: 2000\nevent: hello\ndata: {\"session\":\"%s\"}\n\n",
                        lab_session_id(st->session));
        return 0;
    }
    if (lab_session_playing(st->session))
        sleep_until(st->last_frame + FRAME_INTERVAL_S); /* at most 60 frames a second */
    st->last_frame = cli_wall_seconds();
    return lab_session_next_frame(st->session, &st->out, 1.0, &st->server->stop);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *st = cls;
    if (st->offset >= st->out.len && refill(st))
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (st->out.overflow)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = st->out.len - st->offset;
    n = n < max ? n : max;
    memcpy(buf, st->out.data + st->offset, n);
    st->offset += n;
    return (ssize_t)n;
}

static void stream_end(void *cls)
{
    stream *st = cls;
    release(st->server, st->session);
    lab_text_free(&st->out);
    free(st);
}

static enum MHD_Result open_stream(lab_server *s, struct MHD_Connection *c)
{
    stream *st = calloc(1, sizeof *st);
    if (!st || !(st->session = open_session(s))) {
        free(st);
        return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "the lab is at its session limit; close another tab and reload\n");
    }
    st->server = s;
    lab_text_init(&st->out, FRAME_CAP);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
                                                               stream_read, st, stream_end);
    if (!r) {
        stream_end(st);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    add_security_headers(r);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- the API ---- */

static int query_lane(struct MHD_Connection *c, long *lane)
{
    const char *text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lane");
    return dl_parse_long("lane", text ? text : "", 0, LAB_MAX_LANES - 1, lane);
}

static enum MHD_Result api_post(struct MHD_Connection *c, const char *url, lab_session *session,
                                request *req)
{
    int st;
    long lane = 0;
    if (!strcmp(url, "/api/target"))
        st = lab_session_set_target(session, req->body.data ? req->body.data : "", req->body.len);
    else {
        dl_form *form = malloc(sizeof *form);
        if (!form)
            return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        st = dl_form_decode(req->body.data ? req->body.data : "", req->body.len, form);
        if (!st && !strcmp(url, "/api/lane") && !(st = query_lane(c, &lane)))
            st = lab_session_configure(session, (int)lane, form);
        else if (!st && !strcmp(url, "/api/control"))
            st = lab_session_control(session, form);
        free(form);
    }
    return st ? respond_error(c, MHD_HTTP_BAD_REQUEST)
              : respond(c, MHD_HTTP_OK, "application/json", "{\"ok\":true}", 11, 0);
}

static enum MHD_Result api_export(struct MHD_Connection *c, lab_session *session)
{
    long lane;
    const char *what = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "what");
    lab_text out;
    lab_text_init(&out, 2 * LAB_MAX_MODES_BYTES);
    int st = query_lane(c, &lane);
    if (!st)
        st = lab_session_export(session, (int)lane, what ? what : "", &out);
    enum MHD_Result ok = st ? respond_error(c, MHD_HTTP_BAD_REQUEST)
                            : respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8",
                                      out.data ? out.data : "", out.len, 1);
    lab_text_free(&out);
    return ok;
}

static int is_api_post(const char *url)
{
    return !strcmp(url, "/api/lane") || !strcmp(url, "/api/control") || !strcmp(url, "/api/target");
}

static enum MHD_Result session_route(lab_server *s, struct MHD_Connection *c, const char *url,
                                     int post, request *req)
{
    lab_session *session = acquire(s, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session"));
    if (!session)
        return respond_text(c, MHD_HTTP_NOT_FOUND, "no such session: its page has closed its stream\n");
    enum MHD_Result ok = post ? api_post(c, url, session, req) : api_export(c, session);
    release(s, session);
    return ok;
}

static enum MHD_Result route(lab_server *s, struct MHD_Connection *c, const char *url, int post,
                             request *req)
{
    if (post && is_api_post(url))
        return session_route(s, c, url, 1, req);
    if (post)
        return respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!strcmp(url, "/api/export"))
        return session_route(s, c, url, 0, req);
    if (!strcmp(url, "/api/stream"))
        return open_stream(s, c);
    if (!strcmp(url, "/api/tables")) {
        lab_text t;
        lab_text_init(&t, 1 << 20);
        lab_tables_json(&t);
        enum MHD_Result ok = respond(c, MHD_HTTP_OK, "application/json", t.data, t.len, 1);
        lab_text_free(&t);
        return ok;
    }
    const lab_asset *a = lab_asset_find(url);
    if (!a)
        return respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    return respond(c, MHD_HTTP_OK, a->type, a->data, a->size, 0);
}

/* ---- who may ask ---- */

static int host_allowed(const lab_server *s, const char *host)
{
    for (int i = 0; host && i < s->n_hosts; i++)
        if (!strcasecmp(host, s->hosts[i]))
            return 1;
    return 0;
}

/* A browser names the page's own origin; anything else is another site. */
static int origin_allowed(const lab_server *s, const char *origin)
{
    if (!origin)
        return 1;
    return !strncmp(origin, "http://", 7) && host_allowed(s, origin + 7);
}

static enum MHD_Result first_call(lab_server *s, struct MHD_Connection *c, const char *url,
                                  int post, void **con_cls)
{
    if (!host_allowed(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
        return respond_text(c, MHD_HTTP_FORBIDDEN, "forbidden: the Host is not this server\n");
    if (!origin_allowed(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin")))
        return respond_text(c, MHD_HTTP_FORBIDDEN, "forbidden: a request from another site\n");
    request *req = calloc(1, sizeof *req);
    if (!req)
        return MHD_NO;
    req->cap = post && !strcmp(url, "/api/target") ? TARGET_BODY_CAP : FORM_BODY_CAP;
    lab_text_init(&req->body, req->cap + 1);
    *con_cls = req;
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    long declared;
    if (length && (dl_parse_long("Content-Length", length, 0, 1L << 40, &declared) ||
                   (size_t)declared > req->cap))
        return respond_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
    return MHD_YES;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    lab_server *s = cls;
    const int post = !strcmp(method, "POST");
    if (!post && strcmp(method, "GET"))
        return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and POST\n");
    if (!*con_cls)
        return first_call(s, c, url, post, con_cls);
    request *req = *con_cls;
    if (*upload_size) {
        if (req->body.len + *upload_size > req->cap)
            req->too_big = 1;
        else
            lab_text_append(&req->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->too_big)
        return respond_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
    return route(s, c, url, post, req);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    request *req = *con_cls;
    if (req)
        lab_text_free(&req->body);
    free(req);
    *con_cls = NULL;
}

/* Paths are compared as sent: "%2e%2e" stays "%2e%2e", and a NUL stays "%00". */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

/* ---- start and stop ---- */

static int bind_address(const lab_server_config *cfg, struct sockaddr_storage *addr, int *ipv6)
{
    const char *listen = cfg->listen ? cfg->listen : "127.0.0.1";
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET, v4->sin_port = htons((uint16_t)cfg->port), *ipv6 = 0;
        return DL_OK;
    }
    if (inet_pton(AF_INET6, listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6, v6->sin6_port = htons((uint16_t)cfg->port), *ipv6 = 1;
        return DL_OK;
    }
    return dl_error(DL_EINVAL, "--listen: '%s' is not an IPv4 or IPv6 address", listen);
}

static void name_hosts(lab_server *s, const lab_server_config *cfg, int ipv6)
{
    const char *listen = cfg->listen ? cfg->listen : "127.0.0.1";
    const char *fmt = ipv6 ? "[%s]:%d" : "%s:%d";
    s->n_hosts = 0;
    snprintf(s->hosts[s->n_hosts++], sizeof s->hosts[0], fmt, listen, s->port);
    snprintf(s->hosts[s->n_hosts++], sizeof s->hosts[0], "localhost:%d", s->port);
    if (strcmp(listen, "127.0.0.1"))
        snprintf(s->hosts[s->n_hosts++], sizeof s->hosts[0], "127.0.0.1:%d", s->port);
    if (strcmp(listen, "::1"))
        snprintf(s->hosts[s->n_hosts++], sizeof s->hosts[0], "[::1]:%d", s->port);
}

int lab_server_start(lab_server **out, const lab_server_config *cfg)
{
    struct sockaddr_storage addr;
    int ipv6 = 0;
    int st = bind_address(cfg, &addr, &ipv6);
    if (st)
        return st;
    lab_server *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(DL_ENOMEM, "out of memory for the server");
    pthread_mutex_init(&s->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     (ipv6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return dl_error(DL_EIO, "cannot serve on %s port %d (in use, or not an address of this "
                        "machine)", cfg->listen ? cfg->listen : "127.0.0.1", cfg->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    name_hosts(s, cfg, ipv6);
    *out = s;
    return DL_OK;
}

int lab_server_port(const lab_server *s) { return s->port; }

void lab_server_stop(lab_server *s)
{
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < LAB_MAX_SESSIONS; i++)
        if (s->sessions[i])
            lab_session_wake(s->sessions[i]);
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
