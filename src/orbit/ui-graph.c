// SPDX-License-Identifier: Apache-2.0
/*
 * A release's manifest graph as SVG, drawn by Graphviz's dot from the DOT text
 * `kos manifest graph` prints, so the web UI shows a graph without a renderer of its own.
 *
 * Invariants:
 *  1. The DOT text is made here from a manifest that parsed and validated, never taken
 *     from a request; the release is selected by the authorized organisation (orbit.h
 *     invariant 2).
 *  2. dot runs as a child process, never in the server: Graphviz's library keeps global
 *     state that is not thread-safe and its dot layout leaks memory on every graph with
 *     clusters, which a server drawing graphs for as long as it runs cannot afford.
 *  3. dot gets UI_GRAPH_SECONDS: past that it is killed and the request fails; its output
 *     is read only up to UI_GRAPH_MAX bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "manifest/render.h"
#include "orbit/api.h"
#include "orbit/ui.h"
#include "store/store.h"
#include "util/fileio.h"

#define UI_GRAPH_SECONDS 20
#define UI_GRAPH_MAX (16U * 1024U * 1024U)

extern char **environ;

/* Waits for pid up to UI_GRAPH_SECONDS (killing it then); its exit status in *statusp. */
static int ui_graph_wait(pid_t pid, int *statusp) {
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n;
                while ((n = poll(&p, 1, UI_GRAPH_SECONDS * 1000)) < 0 && errno == EINTR)
                        ;
                close(pidfd);
                if (n == 0)
                        (void)kill(pid, SIGKILL);
        }
        /* without a pidfd (an old kernel), dot runs as long as it takes */
        while (waitpid(pid, statusp, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

/* DOT text to SVG (*svgp owned, *sizep bytes). 0; -EINVAL if dot fails or is killed. */
static int ui_graph_render(const char *dot, char **svgp, size_t *sizep) {
        _cleanup_close_ int in = memfd_create("graph-dot", MFD_CLOEXEC);
        _cleanup_close_ int out = memfd_create("graph-svg", MFD_CLOEXEC);
        char *argv[] = { "dot", "-Tsvg", NULL };
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        pid_t pid;
        int r, status;

        if (in < 0 || out < 0)
                return -errno;
        r = write_full(in, dot, strlen(dot));
        if (r < 0)
                return r;
        if (lseek(in, 0, SEEK_SET) < 0)
                return -errno;
        /* the server's threads block the signals it waits for: dot must not inherit that */
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGINT);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        r = ui_graph_wait(pid, &status);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EINVAL;
        if (lseek(out, 0, SEEK_SET) < 0)
                return -errno;
        return read_fd_full(out, UI_GRAPH_MAX, svgp, sizep);
}

/* The manifest digest's graph as SVG: -EBADMSG unreadable, -EPROTO not renderable, else
 * ui_graph_render()'s errors. Uses no database. */
static int ui_graph_draw(Orbit *o, const char *manifest, char **svgp, size_t *sizep) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *dtb = NULL, *dot = NULL;
        size_t size = 0;
        FILE *f;
        int q;

        if (store_object_read(o->store, manifest, MANIFEST_MAX_SIZE, &dtb, &size) != 0 ||
            manifest_parse(&m, dtb, size, NULL) < 0)
                return -EBADMSG;
        f = open_memstream(&dot, &size);
        if (!f)
                return -ENOMEM;
        q = manifest_render_dot(m, f);
        if (fclose(f) != 0 || q < 0)
                return -EPROTO;
        return ui_graph_render(dot, svgp, sizep);
}

int orbit_ui_release_graph(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_free_ char *svg = NULL;
        size_t svg_size = 0;
        int q;

        q = orbit_db_query(o->db, &r, "SELECT manifest FROM releases WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "release");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such release");
        /* dot may take seconds: the database is not held meanwhile (SQLite has one connection) */
        orbit_db_unlock(o->db);
        q = ui_graph_draw(o, orbit_db_cell(&r, 0, 0), &svg, &svg_size);
        orbit_db_lock(o->db);
        if (q == -EBADMSG)
                return orbit_fail(req, 500, "the release's manifest cannot be read from the store");
        if (q == -ENOMEM)
                return orbit_fail(req, 500, "out of memory");
        if (q == -EPROTO)
                return orbit_fail(req, 500, "cannot render the manifest graph");
        if (q == -ENOENT)
                return orbit_fail(req, 500, "cannot draw the graph: Graphviz's dot is not installed");
        if (q < 0)
                return orbit_fail(req, 500, "cannot draw the graph: dot failed (%s)", strerror(-q));
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
