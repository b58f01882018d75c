/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the verbs that work on a store (kos store, kos boot): opening a store
 * with one-line errors, and one option parser and command dispatcher for both.
 *
 * Invariant: a command runs only with the options its CliStoreCommand lists; any other
 * option, or a bad value, is a usage error (exit 2) before the store is opened.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* The options a store or boot command may accept (a command lists its own). */
typedef enum CliStoreOption {
        CLI_STORE_OPTION_SIG = 1 << 0,   /* --sig SIG */
        CLI_STORE_OPTION_TRIES = 1 << 1, /* --tries N */
        CLI_STORE_OPTION_REF = 1 << 2,   /* --ref NAME */
        CLI_STORE_OPTION_JSON = 1 << 3,  /* --json */
        CLI_STORE_OPTION_KEEP = 1 << 4,  /* --keep N */
        CLI_STORE_OPTION_JOBS = 1 << 5,  /* --jobs N */
        CLI_STORE_OPTION_TRUST = 1 << 6, /* --trust KEYDIR */
        CLI_STORE_OPTION_AVERAGE = 1 << 7, /* --average BYTES */
} CliStoreOption;

typedef struct CliStoreOptions {
        const char *sig, *ref, *trust; /* point into argv */
        unsigned tries;                /* 0: not given */
        unsigned keep;                 /* STORE_GC_KEEP_DEFAULT unless given */
        unsigned jobs;                 /* 0: not given */
        unsigned average;              /* 0: not given */
        bool json;
} CliStoreOptions;

typedef struct CliStoreCommand {
        const char *name;
        unsigned options; /* CliStoreOption flags it accepts */
        int (*run)(char **args, size_t n, const CliStoreOptions *o);
} CliStoreCommand;

/* store_open() that reports failures as one "kos: DIR: ..." line. */
int cli_store_open(Store **storep, const char *dir, StoreOpenFlags flags);

/*
 * Runs "kos VERB COMMAND [OPTION|ARG]...": prints usage for no command or --help, parses
 * the options COMMAND accepts (usage errors name "VERB COMMAND"), and runs it with the
 * remaining arguments. Returns a CLI_EXIT_* status.
 */
int cli_store_dispatch(const char *verb, const char *usage, const CliStoreCommand *commands,
                       size_t n_commands, int argc, char **argv);
