// SPDX-License-Identifier: Apache-2.0
/*
 * kos msg: take part in messaging from a shell-script app, through the same client library
 * (include/kos/msg.h) C apps use.
 *
 *   kos msg servers                          the instances this app reaches
 *   kos msg publish NAME... [--server I]
 *   kos msg lookup NAME [--server I] [--timeout MS]
 *   kos msg call NAME [DATA|-] [--server I] [--timeout MS]
 *   kos msg serve NAME... [--server I] [-- CMD [ARGS...]]
 *
 * The app's identity is its connection (KOS_MSG_SERVERS, handed over by kosd), so these
 * verbs act as the app that runs them. One process at a time should use a connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "kos/msg.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/number.h"

#define CLI_MSG_DEFAULT_TIMEOUT_MS 5000

DEFINE_CLEANUP_FUNC(KosMsgChannel, kos_msg_channel_free)

typedef struct CliMsgOptions {
        const char *server;
        int timeout_ms;
} CliMsgOptions;

static const char *cli_msg_strerror(int r) {
        switch (-r) {
        case EACCES:
                return "denied by the manifest's access matrix";
        case ENOENT:
                return "not found (nobody publishes it)";
        case ENXIO:
                return "no connection to that message server (see 'kos msg servers')";
        case EEXIST:
                return "already published by another app";
        case ECONNRESET:
                return "the peer has gone";
        case ETIMEDOUT:
                return "timed out";
        default:
                return strerror(-r);
        }
}

/* The instance the verb acts on, for messages. */
static const char *cli_msg_active = "none";

static const char *cli_msg_instance(void) {
        return cli_msg_active;
}

/*
 * Parses the options shared by the msg verbs; returns the index of the first operand, -1
 * after reporting a usage error, or -2 after reporting another failure.
 */
static int cli_msg_parse(int argc, char **argv, CliMsgOptions *o) {
        static const struct option options[] = {
                { "server", required_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 't' },
                {},
        };
        int c;

        o->server = NULL;
        o->timeout_ms = CLI_MSG_DEFAULT_TIMEOUT_MS;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        o->server = optarg;
                        break;
                case 't':
                        if (number_parse_timeout_ms(optarg, &o->timeout_ms) < 0) {
                                cli_usage_error("msg %s: --timeout: not a number of milliseconds: \"%s\"",
                                                argv[0], optarg);
                                return -1;
                        }
                        break;
                default: {
                        char what[64];

                        snprintf(what, sizeof(what), "msg %s", argv[0]);
                        cli_option_error(what, c, argv);
                        return -1;
                }
                }
        }
        if (kos_msg_servers_error()) {
                log_error("msg %s: %s", argv[0], kos_msg_servers_error());
                return -2;
        }
        if (kos_msg_server_count() > 0)
                cli_msg_active = kos_msg_server_name(0);
        if (o->server) {
                cli_msg_active = o->server;
                int r = kos_msg_set_active_server(o->server);
                if (r < 0) {
                        log_error("msg %s: no connection to message server \"%s\"", argv[0], o->server);
                        return -2;
                }
        }
        return optind;
}

static int cli_msg_servers(int argc, char **argv) {
        if (argc != 1)
                return cli_usage_error("usage: kos msg servers");
        if (kos_msg_servers_error()) {
                log_error("msg servers: %s", kos_msg_servers_error());
                return CLI_EXIT_FAILURE;
        }
        for (unsigned i = 0; i < kos_msg_server_count(); i++)
                printf("%u %s\n", i, kos_msg_server_name(i));
        return CLI_EXIT_OK;
}

static int cli_msg_publish(int argc, char **argv) {
        CliMsgOptions o;
        int i = cli_msg_parse(argc, argv, &o);

        if (i == -2)
                return CLI_EXIT_FAILURE;
        if (i == -1)
                return CLI_EXIT_USAGE;
        if (i < 0 || i >= argc)
                return cli_usage_error("usage: kos msg publish NAME... [--server INSTANCE]");
        for (; i < argc; i++) {
                int r = kos_msg_publish(argv[i]);
                if (r < 0) {
                        log_error("msg publish \"%s\" on \"%s\": %s", argv[i], cli_msg_instance(),
                                  cli_msg_strerror(r));
                        return CLI_EXIT_FAILURE;
                }
        }
        return CLI_EXIT_OK;
}

static int cli_msg_lookup(int argc, char **argv) {
        _cleanup_(kos_msg_channel_freep) KosMsgChannel *ch = NULL;
        CliMsgOptions o;
        int i = cli_msg_parse(argc, argv, &o);

        if (i == -2)
                return CLI_EXIT_FAILURE;
        if (i == -1)
                return CLI_EXIT_USAGE;
        if (i < 0 || argc - i != 1)
                return cli_usage_error("usage: kos msg lookup NAME [--server INSTANCE] [--timeout MS]");
        int r = kos_msg_lookup(argv[i], o.timeout_ms, &ch);
        if (r < 0) {
                log_error("msg lookup \"%s\" on \"%s\": %s", argv[i], cli_msg_instance(), cli_msg_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s: published by %s\n", argv[i], kos_msg_channel_peer(ch));
        return CLI_EXIT_OK;
}

static int cli_msg_call(int argc, char **argv) {
        _cleanup_(kos_msg_channel_freep) KosMsgChannel *ch = NULL;
        _cleanup_free_ char *input = NULL;
        const char *data = "";
        size_t size = 0;
        KosMsgMessage reply;
        CliMsgOptions o;
        int i = cli_msg_parse(argc, argv, &o);

        if (i == -2)
                return CLI_EXIT_FAILURE;
        if (i == -1)
                return CLI_EXIT_USAGE;
        if (i < 0 || argc - i < 1 || argc - i > 2)
                return cli_usage_error("usage: kos msg call NAME [DATA|-] [--server INSTANCE] [--timeout MS]");
        if (argc - i == 2) {
                if (strcmp(argv[i + 1], "-") == 0) {
                        int r = read_fd_full(STDIN_FILENO, KOS_MSG_MAX_PAYLOAD, &input, &size);
                        if (r < 0) {
                                log_error("msg call: standard input: %s",
                                          r == -EFBIG ? "more than 64 KiB" : strerror(-r));
                                return CLI_EXIT_FAILURE;
                        }
                        data = input;
                } else {
                        data = argv[i + 1];
                        size = strlen(data);
                }
        }
        if (size > KOS_MSG_MAX_PAYLOAD) {
                log_error("msg call: DATA is larger than 64 KiB");
                return CLI_EXIT_FAILURE;
        }
        int r = kos_msg_lookup(argv[i], o.timeout_ms, &ch);
        if (r < 0) {
                log_error("msg call \"%s\" on \"%s\": lookup: %s", argv[i], cli_msg_instance(), cli_msg_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        r = kos_msg_call(ch, data, size, -1, o.timeout_ms, &reply);
        if (r < 0) {
                log_error("msg call \"%s\" (published by %s): %s", argv[i], kos_msg_channel_peer(ch),
                          cli_msg_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        if (reply.fd >= 0)
                close(reply.fd);
        if (write_full(STDOUT_FILENO, reply.data, reply.size) < 0)
                return CLI_EXIT_FAILURE;
        if (reply.status != 0) {
                log_error("msg call \"%s\": %s answered with status %u", argv[i], kos_msg_channel_peer(ch),
                          reply.status);
                return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
}

/* Runs cmd with the request on stdin; its stdout (up to 64 KiB) and exit status answer. */
static int cli_msg_run(char **cmd, KosMsgChannel *ch, const KosMsgMessage *m) {
        int in[2], out[2];
        _cleanup_free_ char *output = NULL;
        size_t size = 0;
        int status;

        if (pipe2(in, O_CLOEXEC) < 0)
                return kos_msg_reply(ch, m, EIO, NULL, 0, -1);
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return kos_msg_reply(ch, m, EIO, NULL, 0, -1);
        }
        pid_t pid = fork();
        if (pid == 0) {
                dup2(in[0], STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                setenv("KOS_MSG_PEER", kos_msg_channel_peer(ch), 1);
                setenv("KOS_MSG_PROTOCOL", kos_msg_channel_protocol(ch), 1);
                /* We ignore SIGPIPE; an ignored signal survives exec, and CMD must not
                 * inherit that (a pipeline in it would see EPIPE instead of ending). */
                signal(SIGPIPE, SIG_DFL);
                execvp(cmd[0], cmd);
                log_error("msg serve: %s: %s", cmd[0], strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        /* The request fits the pipe (64 KiB), so this write cannot wait for the reader. */
        if (pid > 0)
                (void)write_full(in[1], m->data, m->size);
        close(in[1]);
        if (pid > 0)
                (void)read_fd_full(out[0], KOS_MSG_MAX_PAYLOAD, &output, &size);
        close(out[0]);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return kos_msg_reply(ch, m, EIO, NULL, 0, -1);
        uint32_t code = WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 128U + (uint32_t)WTERMSIG(status);
        return kos_msg_reply(ch, m, code, output, output ? size : 0, -1);
}

static int cli_msg_handler(KosMsgChannel *ch, const KosMsgMessage *m, void *userdata) {
        char **cmd = userdata;
        int r;

        if (m->fd >= 0)
                close(m->fd);
        if (m->one_way)
                return 0;
        if (!cmd || !cmd[0])
                return kos_msg_reply(ch, m, 0, m->data, m->size, -1); /* echo */
        r = cli_msg_run(cmd, ch, m);
        return r;
}

static int cli_msg_serve(int argc, char **argv) {
        char **cmd = NULL;
        CliMsgOptions o;

        for (int k = 1; k < argc; k++)
                if (strcmp(argv[k], "--") == 0) {
                        cmd = argv + k + 1;
                        argv[k] = NULL;
                        argc = k;
                        break;
                }
        int i = cli_msg_parse(argc, argv, &o);
        if (i == -2)
                return CLI_EXIT_FAILURE;
        if (i == -1)
                return CLI_EXIT_USAGE;
        if (i < 0 || i >= argc)
                return cli_usage_error("usage: kos msg serve NAME... [--server INSTANCE] [-- CMD [ARGS...]]");
        for (; i < argc; i++) {
                int r = kos_msg_publish(argv[i]);
                if (r < 0) {
                        log_error("msg serve \"%s\" on \"%s\": %s", argv[i], cli_msg_instance(), cli_msg_strerror(r));
                        return CLI_EXIT_FAILURE;
                }
        }
        signal(SIGPIPE, SIG_IGN);
        int r = kos_msg_serve(cli_msg_handler, cmd);
        if (r == -ECONNRESET)
                return CLI_EXIT_OK; /* the server is gone: the system is shutting down */
        log_error("msg serve: %s", cli_msg_strerror(r));
        return CLI_EXIT_FAILURE;
}

static void cli_msg_help(FILE *f) {
        fprintf(f, "usage: kos msg servers\n"
                   "       kos msg publish NAME... [--server INSTANCE]\n"
                   "       kos msg lookup NAME [--server INSTANCE] [--timeout MS]\n"
                   "       kos msg call NAME [DATA|-] [--server INSTANCE] [--timeout MS]\n"
                   "       kos msg serve NAME... [--server INSTANCE] [-- CMD [ARGS...]]\n"
                   "\n"
                   "Act as this app on its message servers (KOS_MSG_SERVERS, set by kosd).\n"
                   "serve answers each call with CMD's output (the request on its stdin,\n"
                   "KOS_MSG_PEER naming the caller), or echoes it without CMD. lookup and call\n"
                   "wait up to --timeout ms (default 5000) for a publisher; a denial is final.\n");
}

int cli_msg(int argc, char **argv) {
        static const CliVerb verbs[] = {
                { "servers", NULL, cli_msg_servers }, { "publish", NULL, cli_msg_publish },
                { "lookup", NULL, cli_msg_lookup },   { "call", NULL, cli_msg_call },
                { "serve", NULL, cli_msg_serve },
        };

        if (argc < 2)
                return cli_msg_help(stderr), CLI_EXIT_USAGE;
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                cli_msg_help(stdout);
                return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        return cli_usage_error("msg: unknown verb \"%s\"; see 'kos msg --help'", argv[1]);
}
