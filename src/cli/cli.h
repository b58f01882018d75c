/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kos command: verb groups and their shared conventions.
 *
 * Exit status: 0 success, 1 the operation failed or a check did not hold, 2 usage error.
 * Errors are one line on stderr beginning "kos: ", naming the file and what is wrong.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

/* A verb group: "kos key ...", "kos manifest ...". run gets argv starting at the verb. */
typedef struct CliVerb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv);
} CliVerb;

/* Logs a usage error and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * True if writing output would replace input: the same file under any name (a symlink or
 * hard link to it included). An output that does not exist yet is never the input.
 */
bool cli_output_is_input(const char *output, const char *input);

/*
 * The usage error for what getopt_long() returned on a bad option, when it runs with
 * opterr = 0 and an optstring that starts with ':': '?' an unknown option, ':' a missing
 * value. what names the command ("ps", "msg lookup"). Returns CLI_EXIT_USAGE.
 */
int cli_option_error(const char *what, int c, char **argv);

/* True if argv holds -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);

/* The verbs: argv[0] is the verb's name. Each returns a CLI_EXIT_* status. */
int cli_key(int argc, char **argv);
int cli_manifest(int argc, char **argv);
int cli_upgrade(int argc, char **argv);
int cli_store(int argc, char **argv);
int cli_boot(int argc, char **argv);
int cli_msg(int argc, char **argv);
int cli_trace(int argc, char **argv);
int cli_keystore(int argc, char **argv);
int cli_ps(int argc, char **argv);
int cli_app(int argc, char **argv);
int cli_bootfs(int argc, char **argv);
int cli_simulate(int argc, char **argv);
int cli_seal(int argc, char **argv);
int cli_image(int argc, char **argv);

/* Orbit (orbit.c, release.c): a server, its token and the organisation worked on. */
typedef struct CliOrbit {
        const char *url;
        const char *token_file;
        const char *token;
        char *token_owned; /* owned */
        int64_t org;
} CliOrbit;
int cli_orbit(int argc, char **argv);
int cli_release(int argc, char **argv);
/* Reads the token, picks the organisation: 0 or a CLI_EXIT_* status (the error logged). */
int cli_orbit_setup(CliOrbit *orbit);
void cli_orbit_done(CliOrbit *orbit);
/* One request; on a 4xx/5xx the server's message is logged and a negative errno returned. */
int cli_orbit_request(const CliOrbit *orbit, const char *method, const char *path, const void *body, size_t body_size,
                      bool raw, json_t **answerp);
/* The same with a JSON body (stolen; may be NULL). */
int cli_orbit_request_json(const CliOrbit *orbit, const char *method, const char *path, json_t *body,
                           json_t **answerp);
