// SPDX-License-Identifier: Apache-2.0
/*
 * kos: the one command users type. Dispatches to a verb group.
 *
 * Invariants: fds 0, 1 and 2 are open before any verb runs, so no file kos opens takes
 * their number; the exit status is one of CLI_EXIT_* (cli.h), and never 0 when standard
 * output could not be written in full.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/log.h"

static const CliVerb cli_verbs[] = {
        { "key", "generate Ed25519 signing keys, print key ids", cli_key },
        { "manifest", "build, check, show, graph, sign and verify manifests", cli_manifest },
        { "store", "init, add, commit, list, verify and gc a content-addressed store", cli_store },
        { "boot", "select, confirm and show the boot decision of a store", cli_boot },
        { "msg", "publish, look up, call and serve protocols on message servers", cli_msg },
        { "trace", "start, stop and collect traces of apps; convert them to JSON or CTF", cli_trace },
        { "keystore", "use this app's keys in the key store; verify its signatures", cli_keystore },
        { "ps", "list the apps kosd supervises", cli_ps },
        { "app", "start, stop or restart an app under kosd", cli_app },
        { "upgrade", "fetch a signed release from another store (directory or HTTP)", cli_upgrade },
        { "bootfs", "build a device's boot disk, boot initramfs and system initrd", cli_bootfs },
        { "simulate", "boot a device's boot disk in QEMU", cli_simulate },
        { "seal", "make device root keys and seal keys for a device's key store", cli_seal },
        { "image", "encrypt a component image for a device's key", cli_image },
        { "release", "upload a signed release to an Orbit project", cli_release },
        { "orbit", "the common owner actions on an Orbit server", cli_orbit },
};

int cli_usage_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_msgv(LOG_LEVEL_ERROR, fmt, ap);
        va_end(ap);
        return CLI_EXIT_USAGE;
}

bool cli_wants_help(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        return false;
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return true;
        }
        return false;
}

int cli_option_error(const char *what, int c, char **argv) {
        const char *arg = argv[optind - 1];
        char shortopt[3] = { '-', (char)optopt, '\0' };

        /* A short option in a cluster ("-qx") is named alone, not as the whole word. */
        if (optopt != 0 && !(arg[0] == '-' && arg[1] == '-'))
                arg = shortopt;
        if (c == ':')
                return cli_usage_error("%s: option \"%s\" needs a value", what, arg);
        return cli_usage_error("%s: unknown option \"%s\"", what, arg);
}

bool cli_output_is_input(const char *output, const char *input) {
        struct stat out, in;

        if (stat(output, &out) < 0 || stat(input, &in) < 0)
                return false;
        return out.st_dev == in.st_dev && out.st_ino == in.st_ino;
}

static void cli_help(FILE *f) {
        fprintf(f, "usage: kos VERB [ARGS...]\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(cli_verbs); i++)
                fprintf(f, "  %-10s %s\n", cli_verbs[i].name, cli_verbs[i].summary);
        fprintf(f, "  %-10s %s\n", "help", "this text; 'kos help VERB' describes a verb");
        fprintf(f, "\n'kos VERB --help' describes a verb.\n"
                   "Exit status: 0 success, 1 failure or a check that did not hold, 2 usage error.\n");
}

/*
 * Started with stdin, stdout or stderr closed, the next file kos opens would take that
 * number, and output meant for the terminal would land in it (a DTB, a key). /dev/null
 * takes their place instead.
 */
static void cli_open_standard_fds(void) {
        for (int fd = 0; fd <= STDERR_FILENO; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int null = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
                if (null >= 0 && null != fd) {
                        (void)dup2(null, fd);
                        close(null);
                }
        }
}

static const CliVerb *cli_find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(cli_verbs); i++)
                if (strcmp(name, cli_verbs[i].name) == 0)
                        return &cli_verbs[i];
        return NULL;
}

static int cli_run(int argc, char **argv) {
        const CliVerb *verb;

        if (argc < 2)
                return cli_help(stderr), CLI_EXIT_USAGE;
        if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
            strcmp(argv[1], "-h") == 0) {
                /* "kos help VERB" is "kos VERB --help". */
                if (argc == 3 && strcmp(argv[1], "help") == 0 && (verb = cli_find_verb(argv[2])))
                        return verb->run(2, (char *[]){ argv[2], (char *)"--help", NULL });
                if (argc > 2)
                        return cli_usage_error("help: unknown verb \"%s\"; see 'kos help'", argv[2]);
                cli_help(stdout);
                return CLI_EXIT_OK;
        }
        verb = cli_find_verb(argv[1]);
        if (verb)
                return verb->run(argc - 1, argv + 1);
        return cli_usage_error("unknown verb \"%s\"; see 'kos help'", argv[1]);
}

int main(int argc, char **argv) {
        int r;

        log_set_program("kos");
        cli_open_standard_fds();

        /* kostrace2json FILE... is kos trace json FILE... */
        const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        if (strcmp(self, "kostrace2json") == 0) {
                char *args[argc + 2];

                args[0] = (char *)"trace";
                args[1] = (char *)"json";
                for (int i = 1; i <= argc; i++)
                        args[i + 1] = argv[i];
                r = cli_trace(argc + 1, args);
        } else {
                r = cli_run(argc, argv);
        }
        /* Output that did not reach its file (a full disk, a closed pipe) is a failure. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error("cannot write output: %s", strerror(errno));
                if (r == CLI_EXIT_OK)
                        r = CLI_EXIT_FAILURE;
        }
        return r;
}
