// SPDX-License-Identifier: Apache-2.0
/*
 * Building the supervisor's units from a manifest.
 *
 * Invariants: units are in start order: one kos-msgd per msg_servers instance (only when
 * kos-msgd is available), then the apps in manifest order. Each unit's dependents are the
 * transitive closure of the supervision node (plus, for a message server, every app that
 * lists its instance and their dependents), sorted ascending, never including the unit.
 * argv and envp are built once here; a start allocates nothing for them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/handover.h"
#include "supervisor/msgd.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor-internal.h"
#include "util/log.h"
#include "util/strv.h"

Unit *supervisor_find_unit(Supervisor *s, const char *name) {
        for (size_t i = 0; i < s->n_units; i++)
                if (strcmp(s->units[i].name, name) == 0)
                        return &s->units[i];
        return NULL;
}

static ssize_t find_index(Supervisor *s, const char *name) {
        Unit *u = supervisor_find_unit(s, name);
        return u ? (ssize_t)u->index : -1;
}

/* Marks in mark[] every unit that must go down with unit i (not i itself). */
static void collect_dependents(Supervisor *s, size_t i, bool *mark) {
        Unit *u = &s->units[i];

        if (u->kind == UNIT_KIND_MSG_SERVER) {
                const char *instance = u->msg_server->name;
                for (size_t j = 0; j < s->n_units; j++) {
                        Unit *v = &s->units[j];
                        if (v->kind == UNIT_KIND_APP && !mark[j] &&
                            strv_contains(v->app->msg_servers, instance)) {
                                mark[j] = true;
                                collect_dependents(s, j, mark);
                        }
                }
                return;
        }
        const ManifestSupervision *sup = manifest_find_supervision(s->manifest, u->name);
        if (!sup)
                return;
        for (size_t k = 0; sup->dependents[k]; k++) {
                ssize_t j = find_index(s, sup->dependents[k]);
                if (j < 0 || mark[j] || (size_t)j == i)
                        continue;
                mark[j] = true;
                collect_dependents(s, (size_t)j, mark);
        }
}

static int unit_compute_dependents(Supervisor *s, Unit *u) {
        _cleanup_free_ bool *mark = calloc(s->n_units, sizeof(bool));
        size_t n = 0;

        if (!mark)
                return -ENOMEM;
        collect_dependents(s, u->index, mark);
        mark[u->index] = false;
        u->dependents = calloc(s->n_units, sizeof(size_t));
        if (!u->dependents)
                return -ENOMEM;
        for (size_t j = 0; j < s->n_units; j++)
                if (mark[j])
                        u->dependents[n++] = j;
        u->n_dependents = n;
        return 0;
}

static int unit_build_app(Supervisor *s, Unit *u, const ManifestApp *app) {
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (app->path) {
                path = strdup(app->path);
        } else {
                if (!s->config.store_dir)
                        return log_error_errno(-EINVAL, "app %s: runs store image %.12s..., which needs --store",
                                               app->name, app->image);
                if (asprintf(&path, "%s/objects/%.2s/%s", s->config.store_dir, app->image, app->image + 2) < 0)
                        path = NULL;
        }
        if (!path)
                return -ENOMEM;
        if (strv_extend(&argv, path) < 0)
                return -ENOMEM;
        for (size_t i = 0; app->args[i]; i++)
                if (strv_extend(&argv, app->args[i]) < 0)
                        return -ENOMEM;
        envp = calloc(1, sizeof(char *));
        if (!envp)
                return -ENOMEM;
        for (size_t i = 0; app->env[i]; i++)
                if (strv_extend(&envp, app->env[i]) < 0)
                        return -ENOMEM;

        /* Connections only to instances whose kos-msgd kosd runs. */
        u->servers = calloc(strv_length(app->msg_servers) + 1, sizeof(size_t));
        if (!u->servers)
                return -ENOMEM;
        {
                _cleanup_strv_free_ char **connected = NULL;
                for (size_t i = 0; app->msg_servers[i]; i++) {
                        char unit_name[256];
                        Unit *server;

                        snprintf(unit_name, sizeof(unit_name), "%s%s", SUPERVISOR_MSGD_UNIT_PREFIX, app->msg_servers[i]);
                        server = supervisor_find_unit(s, unit_name);
                        if (!server)
                                continue;
                        u->servers[u->n_servers++] = server->index;
                        if (strv_extend(&connected, app->msg_servers[i]) < 0)
                                return -ENOMEM;
                }
                if (connected) {
                        char *entry;
                        r = ipc_handover_env_entry(connected, &entry);
                        if (r < 0)
                                return r;
                        if (strv_push(&envp, entry) < 0)
                                return -ENOMEM;
                }
        }
        if (app->ready == MANIFEST_READY_NOTIFY) {
                char *entry;

                if (asprintf(&u->notify_path, "%s/notify/%s", s->config.run_dir, app->name) < 0) {
                        u->notify_path = NULL;
                        return -ENOMEM;
                }
                r = notify_socket_open(u->notify_path, &u->notify_fd);
                if (r < 0)
                        return log_error_errno(r, "app %s: cannot bind notify socket %s: %s", app->name,
                                               u->notify_path, strerror(-r));
                r = supervisor_epoll_add(s, u->notify_fd, EVENT_NOTIFY, u->index);
                if (r < 0)
                        return r;
                if (asprintf(&entry, "NOTIFY_SOCKET=%s", u->notify_path) < 0)
                        return -ENOMEM;
                if (strv_push(&envp, entry) < 0)
                        return -ENOMEM;
        }
        u->path = steal_ptr(&path);
        u->argv = steal_ptr(&argv);
        u->envp = steal_ptr(&envp);
        u->restart = app->restart;
        u->ready = app->ready;
        return 0;
}

static int unit_build_msg_server(Supervisor *s, Unit *u, const ManifestMsgServer *ms) {
        _cleanup_strv_free_ char **argv = NULL;

        u->path = strdup(s->config.msgd_path);
        if (!u->path)
                return -ENOMEM;
        if (strv_extend(&argv, u->path) < 0 || strv_extend(&argv, "--instance") < 0 ||
            strv_extend(&argv, ms->name) < 0 || strv_extend(&argv, "--manifest") < 0 ||
            strv_extend(&argv, s->config.manifest_path) < 0)
                return -ENOMEM;
        u->envp = calloc(1, sizeof(char *));
        if (!u->envp)
                return -ENOMEM;
        u->argv = steal_ptr(&argv);
        u->restart = MANIFEST_RESTART_PERMANENT;
        u->ready = MANIFEST_READY_STARTED;
        return 0;
}

static int unit_open_output(Supervisor *s, Unit *u) {
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        u->output_fd = pipefd[0];
        u->output_write_fd = pipefd[1];
        if (fcntl(u->output_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        return supervisor_epoll_add(s, u->output_fd, EVENT_OUTPUT, u->index);
}

int supervisor_units_new(Supervisor *s) {
        const Manifest *m = s->manifest;
        size_t n_servers = s->config.msgd_path ? m->n_msg_servers : 0;
        int r;

        s->units = calloc(n_servers + m->n_apps, sizeof(Unit));
        if (!s->units)
                return -ENOMEM;
        for (size_t i = 0; i < n_servers + m->n_apps; i++) {
                Unit *u = &s->units[i];
                const char *name;
                char buf[256];

                *u = (Unit){ .index = i, .notify_fd = -1, .output_fd = -1, .output_write_fd = -1,
                             .msg_control_fd = -1 };
                if (i < n_servers) {
                        u->kind = UNIT_KIND_MSG_SERVER;
                        u->msg_server = &m->msg_servers[i];
                        snprintf(buf, sizeof(buf), "%s%s", SUPERVISOR_MSGD_UNIT_PREFIX, u->msg_server->name);
                        name = buf;
                } else {
                        u->kind = UNIT_KIND_APP;
                        u->app = &m->apps[i - n_servers];
                        name = u->app->name;
                }
                u->name = strdup(name);
                if (!u->name)
                        return -ENOMEM;
                s->n_units = i + 1;
        }
        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];

                r = u->kind == UNIT_KIND_APP ? unit_build_app(s, u, u->app)
                                             : unit_build_msg_server(s, u, u->msg_server);
                if (r < 0)
                        return r;
                r = unit_open_output(s, u);
                if (r < 0)
                        return r;
                r = unit_compute_dependents(s, u);
                if (r < 0)
                        return r;
                u->state = UNIT_WAITING;
        }
        return 0;
}
