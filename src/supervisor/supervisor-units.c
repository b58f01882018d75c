// SPDX-License-Identifier: Apache-2.0
/*
 * Building the supervisor's units from a manifest and the service table.
 *
 * Invariants: units are in start order: one unit per instance of each service kind whose
 * program kosd has (rows in table order, instances in manifest order), then the apps in
 * manifest order. Each unit's dependents are the transitive closure of the supervision
 * node (plus, for a service, every app that lists its instance and their dependents),
 * sorted ascending, never including the unit. argv and envp are built once here; a start
 * allocates nothing for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "ipc/handover.h"
#include "util/fileio.h"
#include "util/memfd.h"
#include "store/object.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor-internal.h"
#include "util/log.h"
#include "util/strv.h"

/* The service unit for instance of kind, or NULL if kosd does not run that kind. */
static Unit *find_service_unit(UnitSet *set, const ServiceKind *kind, const char *instance) {
        for (size_t i = 0; i < set->n_units && set->units[i].service; i++) {
                Unit *u = &set->units[i];
                if (u->service == kind && strcmp(u->instance, instance) == 0)
                        return u;
        }
        return NULL;
}

/* Marks in mark[] every unit that must go down with unit i (not i itself). */
static void collect_dependents(Supervisor *s, size_t i, bool *mark) {
        UnitSet *set = &s->set;
        Unit *u = &set->units[i];

        if (u->service) {
                for (size_t j = 0; j < set->n_units; j++) {
                        Unit *v = &set->units[j];
                        if (v->app && !mark[j] && strv_contains((char **)u->service->app_instances(v->app), u->instance)) {
                                mark[j] = true;
                                collect_dependents(s, j, mark);
                        }
                        /* A service that is a message server's client goes down with it too. */
                        if (v->service && v->service->msg_servers && u->service == &service_kinds[SERVICE_MSG] &&
                            !mark[j] && strv_contains((char **)v->service->msg_servers(s->manifest), u->instance)) {
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
                Unit *d = unit_set_find(set, sup->dependents[k]);
                if (!d || mark[d->index] || d->index == i)
                        continue;
                mark[d->index] = true;
                collect_dependents(s, d->index, mark);
        }
}

static int unit_compute_dependents(Supervisor *s, Unit *u) {
        _cleanup_free_ bool *mark = calloc(s->set.n_units, sizeof(bool));
        size_t n = 0;

        if (!mark)
                return -ENOMEM;
        collect_dependents(s, u->index, mark);
        mark[u->index] = false;
        u->dependents = calloc(s->set.n_units, sizeof(size_t));
        if (!u->dependents)
                return -ENOMEM;
        for (size_t j = 0; j < s->set.n_units; j++)
                if (mark[j])
                        u->dependents[n++] = j;
        u->n_dependents = n;
        return 0;
}

/* Connections only to instances whose service kosd runs, and one variable per kind
 * naming them; fds are numbered across kinds in table order. */
static int unit_build_connections(Supervisor *s, Unit *u, char ***envp) {
        size_t max = 0;
        int r;

        for (size_t k = 0; k < _SERVICE_KIND_MAX; k++)
                max += strv_length((char **)service_kinds[k].app_instances(u->app));
        u->servers = calloc(max + 1, sizeof(size_t));
        if (!u->servers)
                return -ENOMEM;
        for (size_t k = 0; k < _SERVICE_KIND_MAX; k++) {
                char *const *instances = service_kinds[k].app_instances(u->app);
                _cleanup_strv_free_ char **connected = NULL;
                int first_fd = IPC_HANDOVER_FIRST_FD + (int)u->n_servers;
                char *entry;

                for (size_t i = 0; instances[i]; i++) {
                        Unit *server = find_service_unit(&s->set, &service_kinds[k], instances[i]);

                        if (!server)
                                continue;
                        u->servers[u->n_servers++] = server->index;
                        if (strv_extend(&connected, instances[i]) < 0)
                                return -ENOMEM;
                }
                if (!connected)
                        continue;
                r = ipc_handover_env_entry_named(service_kinds[k].env, connected, first_fd, &entry);
                if (r < 0)
                        return r;
                if (strv_push(envp, entry) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/*
 * A store image is run from a sealed copy whose bytes were hashed on the way in and match
 * the digest the signed manifest names: what runs is what was signed, at every start,
 * whatever happens to the object file later. Returns 0 and *fdp, -EBADMSG if the bytes
 * do not match, or another negative errno.
 */
static int unit_seal_image(const char *path, const char *digest, int *fdp) {
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        _cleanup_close_ int out = -1;
        _cleanup_(sha256_freep) Sha256 *ctx = NULL;
        Sha256Digest want, got;
        char buf[65536];
        int r;

        if (in < 0)
                return -errno;
        r = sha256_from_hex(digest, &want);
        if (r < 0)
                return r;
        r = memfd_new_sealable("kos-image", true, &out);
        if (r < 0)
                return r;
        ctx = sha256_new();
        if (!ctx)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                r = sha256_update(ctx, buf, (size_t)n);
                if (r < 0)
                        return r;
                r = write_full(out, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        r = sha256_final(ctx, &got);
        if (r < 0)
                return r;
        if (!sha256_equal(&want, &got))
                return -EBADMSG;
        r = memfd_seal(out);
        if (r < 0)
                return r;
        *fdp = steal_fd(&out);
        return 0;
}

static int unit_build_app(Supervisor *s, Unit *u) {
        const ManifestApp *app = u->app;
        UnitRuntime *rt = unit_runtime(u);
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (app->path) {
                path = strdup(app->path);
                if (!path)
                        return -ENOMEM;
        } else {
                if (!s->config.store_dir)
                        return log_error_errno(-EINVAL, "app %s: runs store image %.12s..., which needs --store",
                                               app->name, app->image);
                r = store_object_path_join(s->config.store_dir, app->image, &path);
                if (r < 0)
                        return r;
                r = unit_seal_image(path, app->image, &rt->image_fd);
                if (r == -EBADMSG)
                        return log_error_errno(r, "app %s: store image %s does not hash to its name", app->name,
                                               app->image);
                if (r < 0)
                        return log_error_errno(r, "app %s: store image %s: %s", app->name, app->image, strerror(-r));
        }
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
        r = unit_build_connections(s, u, &envp);
        if (r < 0)
                return r;
        if (app->ready == MANIFEST_READY_NOTIFY) {
                char *entry;

                if (asprintf(&rt->notify_path, "%s/notify/%s", s->config.run_dir, app->name) < 0) {
                        rt->notify_path = NULL;
                        return -ENOMEM;
                }
                r = notify_socket_open(rt->notify_path, &rt->notify_fd);
                if (r < 0)
                        return log_error_errno(r, "app %s: cannot bind notify socket %s: %s", app->name,
                                               rt->notify_path, strerror(-r));
                if (asprintf(&entry, "NOTIFY_SOCKET=%s", rt->notify_path) < 0)
                        return -ENOMEM;
                if (strv_push(&envp, entry) < 0)
                        return -ENOMEM;
        }
        u->path = steal_ptr(&path);
        u->argv = steal_ptr(&argv);
        u->envp = steal_ptr(&envp);
        u->setup_script = app->aux_device_setup_script;
        u->restart = app->restart;
        u->ready = app->ready;
        return 0;
}

/* A service's own connections to message servers: fds 5, 6... (after the control
 * connection and the manifest), named in KOS_MSG_SERVERS as an app's are. */
static int unit_build_service_connections(Supervisor *s, Unit *u) {
        char *const *instances = u->service->msg_servers ? u->service->msg_servers(s->manifest) : NULL;
        _cleanup_strv_free_ char **connected = NULL;
        char *entry;
        int r;

        if (!instances)
                return 0;
        u->servers = calloc(strv_length((char **)instances) + 1, sizeof(size_t));
        if (!u->servers)
                return -ENOMEM;
        for (size_t i = 0; instances[i]; i++) {
                Unit *server = find_service_unit(&s->set, &service_kinds[SERVICE_MSG], instances[i]);

                if (!server)
                        continue;
                if (strv_extend(&connected, instances[i]) < 0)
                        return -ENOMEM;
                u->servers[u->n_servers++] = server->index;
        }
        if (!connected)
                return 0;
        r = ipc_handover_env_entry_named(service_kinds[SERVICE_MSG].env, connected, SERVICE_FIRST_LINK_FD, &entry);
        if (r < 0)
                return r;
        return strv_push(&u->envp, entry) < 0 ? -ENOMEM : 0;
}

static int unit_build_service(Supervisor *s, Unit *u) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        u->path = strdup(s->config.service_paths[u->service - service_kinds]);
        if (!u->path)
                return -ENOMEM;
        if (strv_extend(&argv, u->path) < 0 || strv_extend(&argv, "--instance") < 0 ||
            strv_extend(&argv, u->instance) < 0 || strv_extend(&argv, "--manifest-fd") < 0 ||
            strv_extend(&argv, SERVICE_MANIFEST_FD_ARG) < 0)
                return -ENOMEM;
        u->envp = calloc(1, sizeof(char *));
        if (!u->envp)
                return -ENOMEM;
        r = unit_build_service_connections(s, u);
        if (r < 0)
                return r;
        u->argv = steal_ptr(&argv);
        u->restart = MANIFEST_RESTART_PERMANENT;
        u->ready = MANIFEST_READY_STARTED;
        return 0;
}

static int unit_open_output(UnitRuntime *rt) {
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rt->output_fd = pipefd[0];
        rt->output_write_fd = pipefd[1];
        if (fcntl(rt->output_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

/* Names the units: services of each kind kosd runs, then the apps. Returns the count. */
static size_t supervisor_count_units(const Supervisor *s) {
        size_t n = s->manifest->n_apps;

        for (size_t k = 0; k < _SERVICE_KIND_MAX; k++)
                if (s->config.service_paths[k])
                        n += service_kinds[k].n_instances(s->manifest);
        return n;
}

int supervisor_units_new(Supervisor *s, const UnitOps *ops) {
        const Manifest *m = s->manifest;
        UnitOps o = *ops;
        size_t n = supervisor_count_units(s), i = 0;
        int r;

        o.userdata = s;
        r = unit_set_init(&s->set, n, &m->node_manager, s->config.start_timeout_ms, &o);
        if (r < 0)
                return r;
        s->runtimes = calloc(n ? n : 1, sizeof(UnitRuntime));
        if (!s->runtimes)
                return -ENOMEM;
        for (i = 0; i < n; i++) {
                s->runtimes[i] = (UnitRuntime){ .supervisor = s, .unit = &s->set.units[i], .notify_fd = -1,
                                                .output_fd = -1, .output_write_fd = -1, .service_fd = -1,
                                                .cgroup_fd = -1, .image_fd = -1 };
                s->set.units[i].userdata = &s->runtimes[i];
        }
        i = 0;
        for (size_t k = 0; k < _SERVICE_KIND_MAX; k++) {
                if (!s->config.service_paths[k])
                        continue;
                for (size_t j = 0; j < service_kinds[k].n_instances(m); j++, i++) {
                        Unit *u = &s->set.units[i];
                        u->service = &service_kinds[k];
                        u->instance = service_kinds[k].instance(m, j);
                        if (asprintf(&u->name, "%s%s", u->service->unit_prefix, u->instance) < 0) {
                                u->name = NULL;
                                return -ENOMEM;
                        }
                }
        }
        for (size_t j = 0; j < m->n_apps; j++, i++) {
                Unit *u = &s->set.units[i];
                u->app = &m->apps[j];
                u->name = strdup(u->app->name);
                if (!u->name)
                        return -ENOMEM;
        }
        for (i = 0; i < n; i++) {
                Unit *u = &s->set.units[i];

                r = u->app ? unit_build_app(s, u) : unit_build_service(s, u);
                if (r < 0)
                        return r;
                r = unit_open_output(unit_runtime(u));
                if (r < 0)
                        return r;
                r = unit_compute_dependents(s, u);
                if (r < 0)
                        return r;
                if (s->cgroups) {
                        r = cgroup_unit_open(s->cgroups, u->name, &unit_runtime(u)->cgroup_fd);
                        if (r < 0)
                                return log_error_errno(r, "%s: cannot create its cgroup: %s", u->name, strerror(-r));
                }
        }
        return 0;
}

void supervisor_units_free(Supervisor *s) {
        for (size_t i = 0; s->runtimes && i < s->set.n_units; i++) {
                UnitRuntime *rt = &s->runtimes[i];

                if (rt->notify_path)
                        (void)unlink(rt->notify_path);
                free(rt->notify_path);
                closep(&rt->notify_fd);
                closep(&rt->output_fd);
                closep(&rt->output_write_fd);
                closep(&rt->service_fd);
                closep(&rt->cgroup_fd);
                closep(&rt->image_fd);
        }
        free(s->runtimes);
        s->runtimes = NULL;
        unit_set_done(&s->set);
}
