// SPDX-License-Identifier: Apache-2.0
/*
 * A release's manifest graph as SVG, drawn by Graphviz's library from the DOT text
 * `kos manifest graph` prints, so the web UI shows a graph without a renderer of its own.
 *
 * Invariants: the DOT text is made here from a manifest that parsed and validated, never
 * taken from a request; the release is selected by the authorized organisation (orbit.h
 * invariant 2); Graphviz's library keeps global state and is not thread-safe, so one
 * rendering runs at a time (ui_graph_mutex).
 */
#include <errno.h>
#include <gvc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "manifest/render.h"
#include "orbit/api.h"
#include "orbit/ui.h"
#include "store/store.h"

static pthread_mutex_t ui_graph_mutex = PTHREAD_MUTEX_INITIALIZER;

/* DOT text to SVG bytes (*svgp owned, malloc'd). 0, -EINVAL if Graphviz refuses, -ENOMEM. */
static int ui_graph_render(const char *dot, char **svgp, size_t *sizep) {
        GVC_t *gvc;
        Agraph_t *graph;
        char *data = NULL;
        unsigned int length = 0;
        int r = -EINVAL;

        pthread_mutex_lock(&ui_graph_mutex);
        gvc = gvContext();
        graph = gvc ? agmemread(dot) : NULL;
        if (graph && gvLayout(gvc, graph, "dot") == 0) {
                if (gvRenderData(gvc, graph, "svg", &data, &length) == 0 && data) {
                        char *copy = malloc(length ? length : 1);
                        r = -ENOMEM;
                        if (copy) {
                                memcpy(copy, data, length);
                                *svgp = copy;
                                *sizep = length;
                                r = 0;
                        }
                }
                gvFreeRenderData(data);
                gvFreeLayout(gvc, graph);
        }
        if (graph)
                agclose(graph);
        if (gvc)
                gvFreeContext(gvc);
        pthread_mutex_unlock(&ui_graph_mutex);
        return r;
}

int orbit_ui_release_graph(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *dtb = NULL, *dot = NULL, *svg = NULL;
        size_t size = 0, svg_size = 0;
        FILE *f;
        int q;

        q = orbit_db_query(o->db, &r, "SELECT manifest FROM releases WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "release");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such release");
        if (store_object_read(o->store, orbit_db_cell(&r, 0, 0), MANIFEST_MAX_SIZE, &dtb, &size) != 0 ||
            manifest_parse(&m, dtb, size, NULL) < 0)
                return orbit_fail(req, 500, "the release's manifest cannot be read from the store");
        f = open_memstream(&dot, &size);
        if (!f)
                return orbit_fail(req, 500, "out of memory");
        q = manifest_render_dot(m, f);
        if (fclose(f) != 0 || q < 0)
                return orbit_fail(req, 500, "cannot render the manifest graph");
        q = ui_graph_render(dot, &svg, &svg_size);
        if (q < 0)
                return orbit_fail(req, 500, "Graphviz cannot draw the manifest graph");
        req->response = MHD_create_response_from_buffer(svg_size, svg, MHD_RESPMEM_MUST_FREE);
        if (!req->response)
                return orbit_fail(req, 500, "out of memory");
        svg = NULL;
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, "image/svg+xml");
        MHD_add_response_header(req->response, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        MHD_add_response_header(req->response, "X-Content-Type-Options", "nosniff");
        req->status = 200;
        return 0;
}
