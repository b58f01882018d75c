// SPDX-License-Identifier: Apache-2.0
/*
 * kos ps, kos app start|stop|restart NAME: talk to a running kosd over its control socket
 * (src/supervisor/control-protocol.h). Root only, as kosd answers only root.
 *
 * Invariants: one request per invocation, and nothing is printed to stdout unless kosd
 * answered it with success; every failure (no kosd, not root, kosd's refusal) is one line
 * on stderr and exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "supervisor/control-protocol.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char ps_usage[] =
        "usage: kos ps [--run-dir DIR] [--json]\n"
        "\n"
        "Lists the apps a running kosd supervises, in start order: state, pid, restarts,\n"
        "uptime and the last STATUS= an app sent. --run-dir names kosd's run directory\n"
        "(default $KOS_RUN_DIR, else " CONTROL_DEFAULT_RUN_DIR ").\n";

static const char app_usage[] =
        "usage: kos app start|stop|restart NAME [--run-dir DIR]\n"
        "\n"
        "  stop NAME     stop NAME and the apps that depend on it, in reverse order\n"
        "  start NAME    start NAME and its stopped dependents, in order\n"
        "  restart NAME  stop and start NAME with its dependents (not counted as faults)\n";

static const char *app_run_dir(const char *arg) {
        const char *env = getenv("KOS_RUN_DIR");

        if (arg)
                return arg;
        return env && *env ? env : CONTROL_DEFAULT_RUN_DIR;
}

static int app_call(const char *run_dir, const ControlRequest *req, char **bodyp) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = control_call(run_dir, req, &body);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                log_error("%s/%s: no kosd is running there", run_dir, CONTROL_SOCKET_NAME);
                return CLI_EXIT_FAILURE;
        }
        if (r == -EACCES || r == -EPERM) {
                log_error("%s/%s: permission denied; kosd answers root only", run_dir, CONTROL_SOCKET_NAME);
                return CLI_EXIT_FAILURE;
        }
        if (r < 0) {
                log_error("%s/%s: %s", run_dir, CONTROL_SOCKET_NAME, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        if (r == CONTROL_E_REFUSED) {
                log_error("kosd: %s", body);
                return CLI_EXIT_FAILURE;
        }
        *bodyp = steal_ptr(&body);
        return CLI_EXIT_OK;
}

static void ps_format_uptime(unsigned long long ms, char *buf, size_t size) {
        unsigned long long s = ms / 1000;

        if (s < 60)
                snprintf(buf, size, "%llu.%03llus", s, ms % 1000);
        else if (s < 3600)
                snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
        else
                snprintf(buf, size, "%lluh%02llum", s / 3600, (s / 60) % 60);
}

int cli_ps(int argc, char **argv) {
        static const struct option options[] = {
                { "run-dir", required_argument, NULL, 'r' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        ControlRequest req = { .verb = CONTROL_PS };
        _cleanup_free_ char *body = NULL;
        const char *run_dir = NULL;
        json_t *array = NULL;
        bool json = false;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case 'r': run_dir = optarg; break;
                case 'j': json = true; break;
                case 'h': fputs(ps_usage, stdout); return CLI_EXIT_OK;
                default: return cli_option_error("ps", c, argv);
                }
        }
        if (optind < argc)
                return cli_usage_error("ps: unexpected argument \"%s\"", argv[optind]);
        r = app_call(app_run_dir(run_dir), &req, &body);
        if (r != CLI_EXIT_OK)
                return r;

        if (json)
                array = json_array();
        else
                printf("%-20s %-9s %8s %8s %10s  %s\n", "NAME", "STATE", "PID", "RESTARTS", "UPTIME", "STATUS");
        for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
                ControlPsRow row;
                char uptime[32];

                if (control_ps_parse_line(line, &row) < 0) {
                        json_decref(array);
                        log_error("kosd sent a malformed ps line");
                        return CLI_EXIT_FAILURE;
                }
                if (json) {
                        json_array_append_new(array, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "name", row.name,
                                                               "state", row.state, "pid", (json_int_t)row.pid,
                                                               "restarts", (json_int_t)row.restarts, "uptime_ms",
                                                               (json_int_t)row.uptime_ms, "status", row.status));
                        continue;
                }
                if (row.pid > 0)
                        ps_format_uptime(row.uptime_ms, uptime, sizeof(uptime));
                else
                        snprintf(uptime, sizeof(uptime), "-");
                printf("%-20s %-9s %8ld %8lu %10s  %s\n", row.name, row.state, row.pid, row.restarts, uptime,
                       row.status);
        }
        if (json) {
                char *text = json_dumps(array, JSON_INDENT(2));
                json_decref(array);
                if (!text)
                        return CLI_EXIT_FAILURE;
                puts(text);
                free(text);
        }
        return CLI_EXIT_OK;
}

int cli_app(int argc, char **argv) {
        static const struct option options[] = {
                { "run-dir", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        ControlRequest req = { 0 };
        _cleanup_free_ char *body = NULL;
        const char *run_dir = NULL;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case 'r': run_dir = optarg; break;
                case 'h': fputs(app_usage, stdout); return CLI_EXIT_OK;
                default: return cli_option_error("app", c, argv);
                }
        }
        if (argc - optind != 2)
                return cli_usage_error("app: expected start|stop|restart and an app name; see 'kos app --help'");
        if (strcmp(argv[optind], "start") == 0)
                req.verb = CONTROL_START;
        else if (strcmp(argv[optind], "stop") == 0)
                req.verb = CONTROL_STOP;
        else if (strcmp(argv[optind], "restart") == 0)
                req.verb = CONTROL_RESTART;
        else
                return cli_usage_error("app: unknown command \"%s\"; see 'kos app --help'", argv[optind]);
        if (strlen(argv[optind + 1]) >= CONTROL_NAME_MAX)
                return cli_usage_error("app: name too long");
        snprintf(req.name, sizeof(req.name), "%s", argv[optind + 1]);
        r = app_call(app_run_dir(run_dir), &req, &body);
        if (r != CLI_EXIT_OK)
                return r;
        if (*body)
                printf("%s\n", body);
        return CLI_EXIT_OK;
}
