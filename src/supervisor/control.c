// SPDX-License-Identifier: Apache-2.0
/*
 * kosd's control socket (protocol in control-protocol.h).
 *
 * Invariants: the socket file is mode 0600 and every accepted peer is checked with
 * SO_PEERCRED: only uid 0 gets an answer. At most CONTROL_CLIENTS_MAX connections are open;
 * each carries one request and is closed after the reply, so a silent client holds one
 * slot, never kosd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/credentials.h"
#include "supervisor/supervisor-internal.h"
#include "util/clock.h"
#include "util/log.h"

static int control_on_accept(EventSource *source, int fd, uint32_t revents, void *userdata);

int control_listen(Supervisor *s) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1, probe = -1;
        size_t len = strlen(s->control_path);
        mode_t old_umask;
        int r;

        if (len >= sizeof(sa.sun_path))
                return log_error_errno(-ENAMETOOLONG, "control socket path too long: %s", s->control_path);
        memcpy(sa.sun_path, s->control_path, len + 1);

        /* A socket someone answers on means another kosd owns this run directory. */
        probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return log_error_errno(-EADDRINUSE, "another kosd is running on %s", s->control_path);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(-errno, "cannot create control socket: %m");
        if (unlink(s->control_path) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "cannot remove stale %s: %m", s->control_path);
        old_umask = umask(0077);
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old_umask);
        if (r < 0)
                return log_error_errno(-errno, "cannot bind %s: %m", s->control_path);
        if (chmod(s->control_path, 0600) < 0 || listen(fd, CONTROL_CLIENTS_MAX) < 0)
                return log_error_errno(-errno, "cannot listen on %s: %m", s->control_path);
        r = event_loop_add_io(s->loop, NULL, fd, EPOLLIN, control_on_accept, s);
        if (r < 0)
                return log_error_errno(r, "cannot watch %s: %s", s->control_path, strerror(-r));
        s->control_fd = steal_fd(&fd);
        return 0;
}

static void control_reply(int fd, const char *text, size_t len) {
        (void)send(fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int control_on_client(EventSource *source, int fd, uint32_t revents, void *userdata);

static int control_on_accept(EventSource *source, int listen_fd, uint32_t revents, void *userdata) {
        Supervisor *s = userdata;

        for (;;) {
                struct ucred cred;
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                size_t slot;

                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning("control socket: accept: %m");
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return 0;
                }
                if (ipc_credentials_of_peer(fd, &cred) < 0 || cred.uid != 0) {
                        static const char denied[] = "error\npermission denied: kosd answers root only";
                        control_reply(fd, denied, sizeof(denied) - 1);
                        close(fd);
                        continue;
                }
                for (slot = 0; slot < CONTROL_CLIENTS_MAX; slot++)
                        if (s->clients[slot] < 0)
                                break;
                if (slot == CONTROL_CLIENTS_MAX ||
                    event_loop_add_io(s->loop, &s->client_sources[slot], fd, EPOLLIN, control_on_client, s) < 0) {
                        static const char busy[] = "error\nkosd is busy; try again";
                        control_reply(fd, busy, sizeof(busy) - 1);
                        close(fd);
                        continue;
                }
                s->clients[slot] = fd;
        }
}

static void control_ps(Supervisor *s, char *out, size_t size) {
        uint64_t now = now_ms();
        size_t n = (size_t)snprintf(out, size, "ok\n");

        for (size_t i = 0; i < s->set.n_units && n < size; i++) {
                Unit *u = &s->set.units[i];
                bool has_process = unit_is_active(u) && !u->in_setup_script;

                n += (size_t)snprintf(out + n, size - n, "%s\t%s\t%ld\t%u\t%llu\t%s\n", u->name,
                                      unit_state_to_string(u->state), has_process ? (long)u->pid : 0L,
                                      u->restarts,
                                      has_process ? (unsigned long long)(now - u->started_ms) : 0ULL,
                                      unit_runtime(u)->status);
        }
}

/* One request per connection: answered, then closed. */
static int control_on_client(EventSource *source, int client_fd, uint32_t revents, void *userdata) {
        Supervisor *s = userdata;
        _cleanup_close_ int fd = -1;
        char buf[CONTROL_REQUEST_MAX];
        _cleanup_free_ char *out = NULL;
        ControlRequest req;
        char err[256] = "";
        Unit *u;
        ssize_t n;
        int r;

        for (size_t slot = 0; slot < CONTROL_CLIENTS_MAX; slot++)
                if (s->clients[slot] == client_fd) {
                        s->client_sources[slot] = event_source_free(s->client_sources[slot]);
                        fd = steal_fd(&s->clients[slot]); /* closed on return */
                }
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
                return 0;
        if (control_request_parse(buf, (size_t)n, &req) < 0) {
                static const char bad[] = "error\nmalformed request";
                control_reply(fd, bad, sizeof(bad) - 1);
                return 0;
        }
        if (req.verb == CONTROL_PS) {
                out = malloc(CONTROL_REPLY_MAX);
                if (!out)
                        return 0;
                control_ps(s, out, CONTROL_REPLY_MAX);
                control_reply(fd, out, strnlen(out, CONTROL_REPLY_MAX - 1));
                return 0;
        }
        u = unit_set_find(&s->set, req.name);
        if (!u) {
                snprintf(err, sizeof(err), "no app named \"%s\"", req.name);
                r = -ENOENT;
        } else if (s->set.shutting_down) {
                snprintf(err, sizeof(err), "kosd is shutting down");
                r = -ESHUTDOWN;
        } else if (req.verb == CONTROL_START) {
                size_t started = unit_set_start(&s->set, u);
                snprintf(err, sizeof(err), "%s: %zu unit%s to start", u->name, started, started == 1 ? "" : "s");
                r = 0;
        } else if (req.verb == CONTROL_STOP) {
                unit_set_stop(&s->set, u);
                snprintf(err, sizeof(err), "%s: stopping with %zu dependent%s", u->name, u->n_dependents,
                         u->n_dependents == 1 ? "" : "s");
                r = 0;
        } else {
                unit_set_restart(&s->set, u);
                snprintf(err, sizeof(err), "%s: restarting with %zu dependent%s", u->name, u->n_dependents,
                         u->n_dependents == 1 ? "" : "s");
                r = 0;
        }
        {
                char reply[320];
                int len = snprintf(reply, sizeof(reply), r < 0 ? "error\n%s" : "ok\n%s", err);
                control_reply(fd, reply, (size_t)len < sizeof(reply) ? (size_t)len : sizeof(reply) - 1);
        }
        return 0;
}

void control_close_all(Supervisor *s) {
        for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                s->client_sources[i] = event_source_free(s->client_sources[i]);
                closep(&s->clients[i]), s->clients[i] = -1;
        }
        if (s->control_fd >= 0) {
                closep(&s->control_fd);
                s->control_fd = -1;
                if (s->control_path)
                        (void)unlink(s->control_path);
        }
}
