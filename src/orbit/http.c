// SPDX-License-Identifier: Apache-2.0
/*
 * Orbit's HTTP side: libmicrohttpd calls in, a request is routed, authenticated,
 * authorized, its body checked, its handler run, and a JSON answer queued.
 *
 *     NEW ──route──> BODY ──complete──> AUTHENTICATE ─> AUTHORIZE ─> PARSE ─> HANDLE ─> ANSWER
 *      │ no route: 404/405                   │ 401            │ 401/403/404  │ 400      │
 *      └──────────────────────────────> ANSWER <──────────────┴─────────────┴──────────┘
 *                                                           HANDLE ─suspend─> WAIT ─resume─> HANDLE
 *
 * Invariants: orbit.h 3 and 4; a request is authenticated, authorized and parsed once; a
 * waiting check-in's handler runs again on each wake, until it answers; credentials without
 * a device signature are checked before a body is read, so a stranger cannot make the
 * server store an upload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orbit/auth.h"
#include "orbit/orbit.h"
#include "orbit/ui.h"
#include "store/store.h"
#include "util/fileio.h"
#include "util/log.h"

int64_t orbit_now(void) {
        return (int64_t)time(NULL);
}

int orbit_answer(OrbitRequest *req, unsigned status, json_t *answer) {
        json_decref(req->answer);
        req->answer = answer;
        req->status = status;
        return 0;
}

int orbit_fail(OrbitRequest *req, unsigned status, const char *fmt, ...) {
        char message[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        return orbit_answer(req, status, json_pack("{s:s}", "error", message));
}

int orbit_fail_db(Orbit *o, OrbitRequest *req, int r, const char *what) {
        if (r == -EEXIST)
                return orbit_fail(req, 409, "%s: already exists", what);
        log_error("database: %s: %s", what, orbit_db_last_error(o->db));
        return orbit_fail(req, 500, "%s: database error", what);
}

static void http_request_free(OrbitRequest *req) {
        if (!req)
                return;
        if (req->object_fd >= 0)
                close(req->object_fd);
        if (req->object_path)
                (void)unlink(req->object_path);
        free(req->object_path);
        free(req->path);
        free(req->raw);
        json_decref(req->body);
        json_decref(req->answer);
        orbit_db_result_clear(&req->checkin_row);
        if (req->response)
                MHD_destroy_response(req->response);
        free(req);
}

static void http_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        http_request_free(*con_cls);
        *con_cls = NULL;
}

static enum MHD_Result http_queue(OrbitRequest *req) {
        struct MHD_Response *response = req->response;
        enum MHD_Result ret;

        if (!response) {
                char *text;
                if (!req->answer)
                        orbit_fail(req, 500, "no answer");
                text = json_dumps(req->answer, JSON_COMPACT);
                if (!text)
                        return MHD_NO;
                size_t n = strlen(text);
                text[n] = '\0';
                /* one line: a JSON document and a newline */
                char *line = realloc(text, n + 2);
                if (!line) {
                        free(text);
                        return MHD_NO;
                }
                line[n] = '\n';
                line[n + 1] = '\0';
                response = MHD_create_response_from_buffer(n + 1, line, MHD_RESPMEM_MUST_FREE);
                if (!response) {
                        free(line);
                        return MHD_NO;
                }
                MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
                req->response = response;
        }
        if (req->status == 401)
                MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"orbit\"");
        ret = MHD_queue_response(req->connection, req->status, response);
        return ret;
}

static bool http_has_device_headers(struct MHD_Connection *c) {
        return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Signature") ||
               MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Device");
}

static int http_new_request(Orbit *o, struct MHD_Connection *c, const char *url, const char *method,
                            OrbitRequest **reqp) {
        OrbitRequest *req = calloc(1, sizeof(*req));
        bool path_known = false;

        if (!req)
                return -ENOMEM;
        req->object_fd = -1;
        req->connection = c;
        req->method = method;
        req->path = strdup(url);
        if (!req->path) {
                free(req);
                return -ENOMEM;
        }
        *reqp = req;
        if (orbit_ui_answer(req))
                return 0;
        req->route = orbit_route_find(req, &path_known);
        if (!req->route) {
                if (path_known)
                        return orbit_fail(req, 405, "method %s is not allowed on %s", method, "this path");
                return orbit_fail(req, 404, "no such endpoint");
        }
        /* uploads are users' only: refused before a byte is stored */
        if (req->route->raw_body && http_has_device_headers(c))
                return orbit_fail(req, 401, "this endpoint is for users: device credentials are not accepted");
        if (!http_has_device_headers(c)) {
                if (orbit_authenticate(o, req, NULL, 0) || orbit_authorize(o, req))
                        return 0;
        }
        if (req->route->raw_body) {
                int r = store_tmp_create(o->store, "orbit-upload", &req->object_fd, &req->object_path);
                if (r < 0)
                        return orbit_fail(req, 500, "cannot create an upload file: %s", strerror(-r));
        }
        return 0;
}

static void http_take_body(OrbitRequest *req, const char *data, size_t size) {
        if (req->too_large)
                return;
        if (req->route && req->route->raw_body) {
                if (req->object_size + size > ORBIT_OBJECT_MAX) {
                        req->too_large = true;
                        return;
                }
                if (write_full(req->object_fd, data, size) < 0) {
                        orbit_fail(req, 507, "cannot store the upload");
                        req->too_large = true;
                        return;
                }
                req->object_size += size;
                return;
        }
        if (req->raw_size + size > (req->route && req->route->body_max ? req->route->body_max : ORBIT_BODY_MAX)) {
                req->too_large = true;
                return;
        }
        char *raw = realloc(req->raw, req->raw_size + size + 1);
        if (!raw) {
                req->too_large = true;
                return;
        }
        memcpy(raw + req->raw_size, data, size);
        req->raw = raw;
        req->raw_size += size;
        req->raw[req->raw_size] = '\0';
}

static void http_handle(Orbit *o, OrbitRequest *req) {
        char error[256];

        if (req->too_large) {
                if (!req->answer)
                        orbit_fail(req, 413, "request body larger than %llu bytes",
                                   req->route->raw_body    ? (unsigned long long)ORBIT_OBJECT_MAX
                                   : req->route->body_max ? (unsigned long long)req->route->body_max
                                                           : (unsigned long long)ORBIT_BODY_MAX);
                return;
        }
        if (http_has_device_headers(req->connection)) {
                if (orbit_authenticate(o, req, req->raw ? req->raw : "", req->raw_size) || orbit_authorize(o, req))
                        return;
        }
        if (req->who.kind == ORBIT_PRINCIPAL_DEVICE || req->who.kind == ORBIT_PRINCIPAL_DOWNLOAD)
                req->org_id = req->who.device_org_id;
        if (!req->route->raw_body && !req->route->bytes_body &&
            orbit_request_parse(&req->body, req->raw, req->raw_size, req->route->fields, error, sizeof(error)) < 0) {
                orbit_fail(req, 400, "%s", error);
                return;
        }
        orbit_db_lock(o->db);
        req->route->handler(o, req);
        orbit_db_unlock(o->db);
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_data_size,
                                   void **con_cls) {
        Orbit *o = cls;
        OrbitRequest *req = *con_cls;

        if (!req) {
                if (http_new_request(o, c, url, method, &req) == -ENOMEM)
                        return MHD_NO;
                *con_cls = req;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (!req->answer)
                        http_take_body(req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (req->suspended && !req->resumed)
                return MHD_YES;
        if (!req->answer && !req->response) {
                if (req->resumed) {
                        orbit_db_lock(o->db);
                        req->route->handler(o, req);
                        orbit_db_unlock(o->db);
                }
                else
                        http_handle(o, req);
                if (req->suspended && !req->resumed)
                        return MHD_YES;
        }
        return http_queue(req);
}

static void http_log(void *arg, const char *fmt, va_list ap) {
        char line[512];

        vsnprintf(line, sizeof(line), fmt, ap);
        line[strcspn(line, "\n")] = '\0';
        log_warning("http: %s", line);
}

int orbit_serve_start(Orbit *o, const char *address, uint16_t port, uint16_t *portp, unsigned threads) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        const union MHD_DaemonInfo *info;

        if (inet_pton(AF_INET, address, &sa.sin_addr) != 1)
                return -EINVAL;
        o->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                                     port, NULL, NULL, http_access, o,
                                     MHD_OPTION_EXTERNAL_LOGGER, http_log, o,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                     MHD_OPTION_THREAD_POOL_SIZE, threads,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)60000,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(ORBIT_LONG_POLL_MAX + 60),
                                     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
                                     MHD_OPTION_NOTIFY_COMPLETED, http_completed, o,
                                     MHD_OPTION_END);
        if (!o->daemon)
                return -EADDRINUSE;
        info = MHD_get_daemon_info(o->daemon, MHD_DAEMON_INFO_BIND_PORT);
        if (portp)
                *portp = info ? info->port : port;
        return 0;
}

void orbit_serve_stop(Orbit *o) {
        if (!o->daemon)
                return;
        MHD_quiesce_daemon(o->daemon);
        orbit_waiters_wake_all(o->waiters);
        MHD_stop_daemon(o->daemon);
        o->daemon = NULL;
}
