// SPDX-License-Identifier: Apache-2.0
/*
 * kos-msgd: one message server instance, started by kosd.
 *
 *   kos-msgd --instance NAME --manifest FILE.dtb [--control-fd N]
 *
 * kosd's control connection is fd 3 (SOCK_SEQPACKET) unless --control-fd says otherwise.
 * The access matrix comes from the manifest's msg_servers/NAME node and nothing else. The
 * server exits 0 when kosd closes the control connection, and on SIGTERM (through its event
 * loop, between two requests).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/handover.h"
#include "manifest/load.h"
#include "manifest/manifest.h"
#include "util/fileio.h"
#include "msg/server.h"
#include "util/event.h"
#include "util/log.h"
#include "util/number.h"
#include "util/strv.h"

/* event_loop_exit() code of a SIGTERM; the control connection's end exits with 0. */
#define MSGD_EXIT_TERMINATED 1

typedef struct MsgdPolicy {
        const Manifest *manifest;
        const char *instance;
} MsgdPolicy;

static bool msgd_has_app(void *userdata, const char *app) {
        const MsgdPolicy *p = userdata;
        return manifest_name_reaches_instance(p->manifest, app, p->instance);
}

static bool msgd_may_publish(void *userdata, const char *protocol, const char *app) {
        const MsgdPolicy *p = userdata;
        return manifest_app_may_publish(p->manifest, p->instance, protocol, app);
}

static bool msgd_may_lookup(void *userdata, const char *protocol, const char *app) {
        const MsgdPolicy *p = userdata;
        return manifest_app_may_lookup(p->manifest, p->instance, protocol, app);
}

static int msgd_on_sigterm(EventSource *source, const struct signalfd_siginfo *info, void *userdata) {
        event_loop_exit(userdata, MSGD_EXIT_TERMINATED);
        return 0;
}

static void msgd_usage(FILE *f) {
        fprintf(f, "usage: kos-msgd --instance NAME (--manifest-fd N | --manifest FILE.dtb) [--control-fd N]\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "instance", required_argument, NULL, 'i' },
                { "manifest", required_argument, NULL, 'm' },
                { "manifest-fd", required_argument, NULL, 'f' },
                { "control-fd", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        const char *instance = NULL, *manifest_path = NULL;
        int control_fd = 3, manifest_fd = -1, c, r;
        char fd_name[32];

        log_set_program("kos-msgd");
        if (getenv("JOURNAL_STREAM"))
                log_set_priority_prefix(true);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        instance = optarg;
                        break;
                case 'm':
                        manifest_path = optarg;
                        break;
                case 'c':
                case 'f':
                        if (number_parse_fd_option(c == 'c' ? "control-fd" : "manifest-fd", optarg,
                                                   c == 'c' ? &control_fd : &manifest_fd) < 0)
                                return 2;
                        break;
                case 'h':
                        msgd_usage(stdout);
                        return 0;
                default:
                        msgd_usage(stderr);
                        return 2;
                }
        }
        if (!instance || !manifest_path == (manifest_fd < 0) || optind != argc) {
                msgd_usage(stderr);
                return 2;
        }

        /* From kosd: the sealed bytes it validated, never a file to read again. */
        if (manifest_load_handed(manifest_path, manifest_fd, &m) < 0)
                return 1;
        if (manifest_fd >= 0) {
                snprintf(fd_name, sizeof(fd_name), "manifest fd %d", manifest_fd);
                manifest_path = fd_name;
        }
        if (!manifest_find_msg_server(m, instance)) {
                log_error("%s: msg_servers: no instance \"%s\"", manifest_path, instance);
                return 1;
        }

        MsgdPolicy data = { .manifest = m, .instance = instance };
        MsgPolicy policy = {
                .has_app = msgd_has_app,
                .may_publish = msgd_may_publish,
                .may_lookup = msgd_may_lookup,
                .userdata = &data,
        };
        signal(SIGPIPE, SIG_IGN);
        r = msg_server_new(&s, instance, &policy);
        if (r < 0)
                return log_error_errno(r, "[%s] cannot start: %s", instance, strerror(-r)), 1;
        r = msg_server_set_control(s, control_fd);
        if (r < 0)
                return log_error_errno(r, "[%s] control fd %d: %s", instance, control_fd, strerror(-r)), 1;
        EventLoop *loop = msg_server_get_event_loop(s);
        r = event_loop_add_signal(loop, NULL, SIGTERM, msgd_on_sigterm, loop);
        if (r < 0)
                return log_error_errno(r, "[%s] cannot watch SIGTERM: %s", instance, strerror(-r)), 1;
        log_info("[%s] serving", instance);
        r = msg_server_run(s);
        if (r < 0)
                return log_error_errno(r, "[%s] %s", instance, strerror(-r)), 1;
        if (r == MSGD_EXIT_TERMINATED)
                log_info("[%s] terminated: exiting", instance);
        else
                log_info("[%s] control connection closed: exiting", instance);
        return 0;
}
