// SPDX-License-Identifier: Apache-2.0
/*
 * kos trace: control tracing on a device (start, stop, list, collect: over
 * kos_trace_admin_protocol, as an app the manifest lets administer tracing) and convert a
 * collected trace file (json, ctf: anywhere). `kostrace2json FILE` is `kos trace json FILE`.
 *
 * Invariant: every output (trace file, JSON, CTF directory) is written whole or not at all:
 * through a temporary name renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "kos/msg.h"
#include "kos/trace.h"
#include "trace/convert.h"
#include "trace/file.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/number.h"

#define CLI_TRACE_DEFAULT_TIMEOUT_MS 5000

DEFINE_CLEANUP_FUNC(KosTraceAdmin, kos_trace_admin_close)

typedef struct CliTraceOptions {
        const char *server;
        const char *categories;
        const char *output;
        KosTraceMode mode;
        int timeout_ms;
} CliTraceOptions;

static void cli_trace_help(FILE *f) {
        fprintf(f, "usage: kos trace start APP [--categories C,...] [--mode discard|overwrite]\n"
                   "       kos trace stop APP\n"
                   "       kos trace list\n"
                   "       kos trace collect [APP] -o FILE\n"
                   "       kos trace json FILE [-o OUT.json]      (also: kostrace2json FILE)\n"
                   "       kos trace ctf FILE -o DIR\n"
                   "\n"
                   "start, stop, list and collect talk to kos-traced over kos_trace_admin_protocol on\n"
                   "a message server (options --server NAME, --timeout MS): run them as an app the\n"
                   "manifest lets look that protocol up. json writes the Chrome/Perfetto trace event\n"
                   "format; ctf writes a CTF trace directory that babeltrace2 reads.\n");
}

static const char *cli_trace_strerror(int r) {
        switch (-r) {
        case EACCES:
                return "denied by the manifest's access matrix";
        case ENOENT:
                return "not found";
        case ENXIO:
                return "no connection to a message server";
        case ETIMEDOUT:
                return "timed out (is kos-traced running with the admin protocol?)";
        case EALREADY:
                return "already traced (stop it first)";
        case EBADMSG:
                return "the server refused the request as malformed";
        default:
                return strerror(-r);
        }
}

/* Returns the index of the first operand, or -1 after a usage error. */
static int cli_trace_parse(int argc, char **argv, CliTraceOptions *o) {
        static const struct option options[] = {
                { "server", required_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 't' },
                { "categories", required_argument, NULL, 'c' },
                { "mode", required_argument, NULL, 'm' },
                { "output", required_argument, NULL, 'o' },
                {},
        };
        char what[64];
        int c;

        *o = (CliTraceOptions){ .timeout_ms = CLI_TRACE_DEFAULT_TIMEOUT_MS };
        snprintf(what, sizeof(what), "trace %s", argv[0]);
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        o->server = optarg;
                        break;
                case 't':
                        if (number_parse_timeout_ms(optarg, &o->timeout_ms) < 0) {
                                cli_usage_error("%s: --timeout: not a number of milliseconds: \"%s\"", what, optarg);
                                return -1;
                        }
                        break;
                case 'c':
                        o->categories = optarg;
                        break;
                case 'm':
                        if (strcmp(optarg, "discard") == 0)
                                o->mode = KOS_TRACE_MODE_DISCARD;
                        else if (strcmp(optarg, "overwrite") == 0)
                                o->mode = KOS_TRACE_MODE_OVERWRITE;
                        else {
                                cli_usage_error("%s: --mode: \"%s\" is neither discard nor overwrite", what, optarg);
                                return -1;
                        }
                        break;
                case 'o':
                        o->output = optarg;
                        break;
                default:
                        cli_option_error(what, c, argv);
                        return -1;
                }
        }
        return optind;
}

static int cli_trace_connect(const char *verb, const CliTraceOptions *o, KosTraceAdmin **adminp) {
        int r;

        if (kos_msg_servers_error()) {
                log_error("trace %s: %s", verb, kos_msg_servers_error());
                return -EINVAL;
        }
        if (o->server && kos_msg_set_active_server(o->server) < 0) {
                log_error("trace %s: no connection to message server \"%s\"", verb, o->server);
                return -ENXIO;
        }
        r = kos_trace_admin_open(o->timeout_ms, adminp);
        if (r < 0)
                log_error("trace %s: %s: %s", verb, KOS_TRACE_ADMIN_PROTOCOL, cli_trace_strerror(r));
        return r;
}

static int cli_trace_control(int argc, char **argv) {
        _cleanup_(kos_trace_admin_closep) KosTraceAdmin *admin = NULL;
        CliTraceOptions o;
        bool start = strcmp(argv[0], "start") == 0;
        int first = cli_trace_parse(argc, argv, &o), r;

        if (first < 0)
                return CLI_EXIT_USAGE;
        if (argc - first != 1)
                return cli_usage_error("usage: kos trace %s APP%s", argv[0],
                                       start ? " [--categories C,...] [--mode discard|overwrite]" : "");
        if (!start && (o.categories || o.mode != KOS_TRACE_MODE_DISCARD))
                return cli_usage_error("trace stop: --categories and --mode go with start");
        if (cli_trace_connect(argv[0], &o, &admin) < 0)
                return CLI_EXIT_FAILURE;
        r = start ? kos_trace_admin_start(admin, argv[first], o.categories, o.mode)
                  : kos_trace_admin_stop(admin, argv[first]);
        if (r == -EINVAL)
                log_error("trace %s: \"%s\"%s%s: malformed name", argv[0], argv[first],
                          o.categories ? " or categories " : "", o.categories ? o.categories : "");
        else if (r == -ENOENT)
                log_error("trace stop: \"%s\" is not traced", argv[first]);
        else if (r < 0)
                log_error("trace %s \"%s\": %s", argv[0], argv[first], cli_trace_strerror(r));
        return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int cli_trace_list(int argc, char **argv) {
        _cleanup_(kos_trace_admin_closep) KosTraceAdmin *admin = NULL;
        _cleanup_free_ char *text = NULL;
        CliTraceOptions o;
        int first = cli_trace_parse(argc, argv, &o), r;

        if (first < 0)
                return CLI_EXIT_USAGE;
        if (argc != first)
                return cli_usage_error("usage: kos trace list");
        if (cli_trace_connect("list", &o, &admin) < 0)
                return CLI_EXIT_FAILURE;
        r = kos_trace_admin_list(admin, &text);
        if (r < 0) {
                log_error("trace list: %s", cli_trace_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        fputs(text, stdout);
        return CLI_EXIT_OK;
}

/*
 * Whether a trace file can be written at path, asked before the server hands its events
 * over and forgets them, so that a mistyped -o (a missing or read-only directory, a
 * directory in the file's place) loses no events: a probe file beside path is made and
 * removed. Returns 0 or a negative errno.
 */
static int cli_trace_output_probe(const char *path) {
        _cleanup_free_ char *probe = NULL;
        struct stat st;
        int fd;

        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                return -EISDIR;
        if (asprintf(&probe, "%s.probe-XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(probe, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        close(fd);
        (void)unlink(probe);
        return 0;
}

static int cli_trace_collect(int argc, char **argv) {
        _cleanup_(kos_trace_admin_closep) KosTraceAdmin *admin = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_(trace_file_freep) TraceFile *file = NULL;
        CliTraceOptions o;
        char err[256];
        size_t size;
        int first = cli_trace_parse(argc, argv, &o), r;

        if (first < 0)
                return CLI_EXIT_USAGE;
        if (argc - first > 1 || !o.output)
                return cli_usage_error("usage: kos trace collect [APP] -o FILE");
        r = cli_trace_output_probe(o.output);
        if (r < 0) {
                log_error("trace collect: %s: %s", o.output, r == -EISDIR ? "not a regular file" : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        if (cli_trace_connect("collect", &o, &admin) < 0)
                return CLI_EXIT_FAILURE;
        r = kos_trace_admin_collect(admin, argc > first ? argv[first] : NULL, &fd);
        if (r >= 0)
                r = read_fd_full(fd, TRACE_FILE_MAX_SIZE, &data, &size);
        if (r < 0) {
                log_error("trace collect%s%s: %s", argc > first ? " " : "", argc > first ? argv[first] : "",
                          cli_trace_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        /* What the server sent must be a trace file the converters read. */
        r = trace_file_parse(&file, data, size, err, sizeof(err));
        if (r < 0) {
                log_error("trace collect: the server sent a malformed trace file: %s",
                          r == -EBADMSG ? err : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        r = write_file_atomic(o.output, data, size, 0644);
        if (r < 0) {
                log_error("trace collect: %s: %s", o.output, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s: %zu events from %zu process%s\n", o.output, file->n_events, file->n_processes,
               file->n_processes == 1 ? "" : "es");
        return CLI_EXIT_OK;
}

static int cli_trace_load(const char *verb, const char *path, TraceFile **filep) {
        _cleanup_free_ char *data = NULL;
        char err[256];
        size_t size;
        int r;

        r = read_file_full(path, TRACE_FILE_MAX_SIZE, &data, &size);
        if (r < 0) {
                log_error("trace %s: %s: %s", verb, path, r == -EFBIG ? "larger than 1 GiB" : strerror(-r));
                return r;
        }
        r = trace_file_parse(filep, data, size, err, sizeof(err));
        if (r == -EBADMSG)
                log_error("%s: %s", path, err);
        else if (r < 0)
                log_error("trace %s: %s: %s", verb, path, strerror(-r));
        return r;
}

static int cli_trace_json(int argc, char **argv) {
        _cleanup_(trace_file_freep) TraceFile *file = NULL;
        _cleanup_free_ char *text = NULL, *default_output = NULL;
        TraceConvertStats stats;
        CliTraceOptions o;
        size_t size = 0;
        FILE *f;
        int first = cli_trace_parse(argc, argv, &o), r;

        if (first < 0)
                return CLI_EXIT_USAGE;
        if (argc - first != 1)
                return cli_usage_error("usage: kos trace json FILE [-o OUT.json]");
        if (!o.output) {
                const char *in = argv[first];
                size_t n = strlen(in);

                if (n > 9 && strcmp(in + n - 9, ".kostrace") == 0)
                        n -= 9;
                if (asprintf(&default_output, "%.*s.json", (int)n, in) < 0)
                        return CLI_EXIT_FAILURE;
                o.output = default_output;
        }
        if (cli_output_is_input(o.output, argv[first]))
                return cli_usage_error("trace json: the output %s is the input", o.output);
        if (cli_trace_load("json", argv[first], &file) < 0)
                return CLI_EXIT_FAILURE;
        f = open_memstream(&text, &size);
        if (!f)
                return CLI_EXIT_FAILURE;
        r = trace_convert_json(file, f, &stats);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_file_atomic(o.output, text, size, 0644);
        if (r < 0) {
                log_error("trace json: %s: %s", o.output, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s: %zu events\n", o.output, stats.events);
        return CLI_EXIT_OK;
}

static int cli_trace_ctf(int argc, char **argv) {
        _cleanup_(trace_file_freep) TraceFile *file = NULL;
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int dir_fd = -1;
        TraceConvertStats stats;
        CliTraceOptions o;
        int first = cli_trace_parse(argc, argv, &o), r;

        if (first < 0)
                return CLI_EXIT_USAGE;
        if (argc - first != 1 || !o.output)
                return cli_usage_error("usage: kos trace ctf FILE -o DIR");
        if (access(o.output, F_OK) == 0) {
                log_error("trace ctf: %s exists; give a new directory", o.output);
                return CLI_EXIT_FAILURE;
        }
        if (cli_trace_load("ctf", argv[first], &file) < 0)
                return CLI_EXIT_FAILURE;
        if (asprintf(&tmp, "%s.tmp-XXXXXX", o.output) < 0 || !mkdtemp(tmp)) {
                log_error("trace ctf: cannot create a directory beside %s: %s", o.output, strerror(errno));
                return CLI_EXIT_FAILURE;
        }
        dir_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = dir_fd < 0 ? -errno : trace_convert_ctf(file, dir_fd, &stats);
        if (r >= 0 && (chmod(tmp, 0755) < 0 || rename(tmp, o.output) < 0))
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dir_fd, "metadata", 0);
                (void)unlinkat(dir_fd, "stream_0", 0);
                (void)rmdir(tmp);
                log_error("trace ctf: %s: %s", o.output, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        (void)fsync_parent_dir(o.output);
        printf("%s: %zu events\n", o.output, stats.events);
        return CLI_EXIT_OK;
}

int cli_trace(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } verbs[] = {
                { "start", cli_trace_control }, { "stop", cli_trace_control }, { "list", cli_trace_list },
                { "collect", cli_trace_collect }, { "json", cli_trace_json },  { "ctf", cli_trace_ctf },
        };

        if (argc < 2 || cli_wants_help(argc, argv)) {
                cli_trace_help(argc < 2 ? stderr : stdout);
                return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        return cli_usage_error("trace: unknown command \"%s\"; see 'kos trace --help'", argv[1]);
}
