// SPDX-License-Identifier: Apache-2.0
/*
 * The web UI's files, served from the binary (ui.h invariants 1 and 2).
 */
#include <microhttpd.h>
#include <string.h>

#include "orbit/ui.h"
#include "util/cleanup.h"

/* Scripts, styles and images come only from this server; the UI talks only to its API;
 * graphs are shown as images made from blob: URLs of the SVG the API gives. */
#define UI_CSP                                                                                           \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " \
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const struct {
        const char *suffix;
        const char *type;
} ui_types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
};

static const char *ui_content_type(const char *path) {
        size_t n = strlen(path);

        for (size_t i = 0; i < ELEMENTSOF(ui_types); i++) {
                size_t m = strlen(ui_types[i].suffix);
                if (n >= m && strcmp(path + n - m, ui_types[i].suffix) == 0)
                        return ui_types[i].type;
        }
        return "application/octet-stream";
}

static const OrbitUiFile *ui_file_find(const char *path) {
        if (strcmp(path, "/") == 0)
                path = "/index.html";
        for (size_t i = 0; i < orbit_ui_n_files; i++)
                if (strcmp(orbit_ui_files[i].path, path) == 0)
                        return &orbit_ui_files[i];
        return NULL;
}

static void ui_headers(struct MHD_Response *response, const char *type) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(response, "Content-Security-Policy", UI_CSP);
        MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
}

static bool ui_answer_text(OrbitRequest *req, unsigned status, const char *text) {
        req->response = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
        if (!req->response)
                return orbit_fail(req, 500, "out of memory"), true;
        ui_headers(req->response, "text/html; charset=utf-8");
        req->status = status;
        return true;
}

bool orbit_ui_answer(OrbitRequest *req) {
        const OrbitUiFile *file;
        const char *tag;

        if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0)
                return false;
        if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
                return orbit_fail(req, 405, "method %s is not allowed on the web UI's files", req->method), true;
        file = ui_file_find(req->path);
        if (!file)
                return ui_answer_text(req, 404, "<!doctype html><title>Not found</title>"
                                                "<p>No such page. Orbit's web UI is at <a href=\"/\">/</a>.</p>\n");
        tag = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (tag && strcmp(tag, file->etag) == 0) {
                req->response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
                req->status = 304;
        } else {
                req->response = MHD_create_response_from_buffer(file->size, (void *)file->data, MHD_RESPMEM_PERSISTENT);
                req->status = 200;
        }
        if (!req->response)
                return orbit_fail(req, 500, "out of memory"), true;
        ui_headers(req->response, ui_content_type(file->path));
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_ETAG, file->etag);
        return true;
}
