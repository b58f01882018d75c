// SPDX-License-Identifier: Apache-2.0
/* kos: the one command users type. Dispatches to a verb group. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

static const CliVerb cli_verbs[] = {
        { "key", "generate Ed25519 signing keys, print key ids", cli_key },
        { "manifest", "build, check, show, graph, sign and verify manifests", cli_manifest },
        { "store", "init, add, commit, list, verify and gc a content-addressed store", cli_store },
        { "boot", "select, confirm and show the boot decision of a store", cli_boot },
        { "msg", "publish, look up, call and serve protocols on message servers", cli_msg },
        { "ps", "list the apps kosd supervises", cli_ps },
        { "app", "start, stop or restart an app under kosd", cli_app },
        { "upgrade", "fetch a signed release from another store (directory or HTTP)", cli_upgrade },
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

static void cli_help(FILE *f) {
        fprintf(f, "usage: kos VERB [ARGS...]\n\nVerbs:\n");
        for (size_t i = 0; i < sizeof(cli_verbs) / sizeof(cli_verbs[0]); i++)
                fprintf(f, "  %-10s %s\n", cli_verbs[i].name, cli_verbs[i].summary);
        fprintf(f, "  %-10s %s\n", "help", "this text");
        fprintf(f, "\n'kos VERB --help' describes a verb.\n"
                   "Exit status: 0 success, 1 failure or a check that did not hold, 2 usage error.\n");
}

int main(int argc, char **argv) {
        log_set_program("kos");

        if (argc < 2)
                return cli_help(stderr), CLI_EXIT_USAGE;
        if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
            strcmp(argv[1], "-h") == 0) {
                cli_help(stdout);
                return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(cli_verbs) / sizeof(cli_verbs[0]); i++)
                if (strcmp(argv[1], cli_verbs[i].name) == 0)
                        return cli_verbs[i].run(argc - 1, argv + 1);
        return cli_usage_error("unknown verb \"%s\"; see 'kos help'", argv[1]);
}
