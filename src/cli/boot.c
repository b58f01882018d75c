// SPDX-License-Identifier: Apache-2.0
/*
 * kos boot: select, confirm and show the boot decision of a store (src/boot/boot.h).
 *
 * Invariants: trust comes only from --trust; select exits 1 only if nothing can boot (a
 * store too full or read-only to record the decision costs one warning line, not the
 * boot); every rejection is logged (notice level) with its reason, and listed with --json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "boot/boot.h"
#include "boot/report.h"
#include "cli/cli.h"
#include "cli/store.h"
#include "crypto/signature.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char boot_usage[] =
        "usage: kos boot COMMAND DIR ...\n"
        "\n"
        "  select DIR --trust KEYDIR [--json]  pick the generation to boot; takes one try from a\n"
        "                                      pending one; exit 1 only if nothing can boot\n"
        "  confirm DIR                         the last selected generation booted well: mark\n"
        "                                      it good and current, raise the version floor\n"
        "  status DIR [--json]                 current, booted, floor\n";

static json_t *cli_boot_generation_json(const StoreGeneration *g) {
        char m[SHA256_HEX_LEN + 1];

        sha256_to_hex(&g->manifest, m);
        return json_pack("{s:I, s:s, s:I, s:s, s:I, s:I}", "generation", (json_int_t)g->number,
                         "manifest", m, "version", (json_int_t)g->version,
                         "state", store_generation_state_to_string(g->state), "tries", (json_int_t)g->tries,
                         "unconfirmed_boots", (json_int_t)g->boots);
}

static int cli_boot_select(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_free_ char *bad_file = NULL;
        BootDecision d;
        int r, ret;

        if (n != 1)
                return cli_usage_error("boot select: expected DIR");
        if (!o->trust)
                return cli_usage_error("boot select: --trust KEYDIR is required");
        r = trust_store_load(&trust, o->trust, &bad_file);
        if (r < 0)
                return log_error("%s: %s", bad_file ? bad_file : o->trust, key_strerror(r)), CLI_EXIT_FAILURE;
        if (trust_store_size(trust) == 0)
                return log_error("%s: no trusted keys (*.pub)", o->trust), CLI_EXIT_FAILURE;
        if (cli_store_open(&store, args[0], STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;

        /*
         * boot_select() notes each rejected generation as it goes; the CLI reports them
         * itself below, so that a failure is one error line that says why.
         */
        LogLevel level = log_get_max_level();
        if (level > LOG_LEVEL_WARNING)
                log_set_max_level(LOG_LEVEL_WARNING);
        r = boot_select(store, trust, &d);
        log_set_max_level(level);
        if (r < 0)
                return log_error("%s: boot decision failed: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;

        if (o->json) {
                json_t *root = json_object(), *rejected = json_array();

                for (size_t i = 0; i < d.n_rejected; i++)
                        json_array_append_new(rejected, json_pack(
                                "{s:I, s:s, s:s}", "generation", (json_int_t)d.rejected[i].generation,
                                "reason", boot_rejection_to_string(d.rejected[i].reason),
                                "detail", d.rejected[i].detail));
                json_object_set_new(root, "chosen", d.found ? cli_boot_generation_json(&d.chosen) : json_null());
                json_object_set_new(root, "rejected", rejected);
                json_object_set_new(root, "last_resort", json_boolean(d.last_resort));
                json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(root);
                putchar('\n');
        } else if (d.found) {
                char m[SHA256_HEX_LEN + 1];
                sha256_to_hex(&d.chosen.manifest, m);
                printf("generation %u manifest %s\n", d.chosen.number, m);
        }
        if (d.found) {
                for (size_t i = 0; i < d.n_rejected; i++)
                        boot_report_rejection(&d.rejected[i]);
                boot_report_unrecorded(&d, args[0]);
                if (d.last_resort)
                        log_warning("warning: generation %u boots all the same: no other generation can boot",
                                    d.chosen.number);
        } else {
                _cleanup_free_ char *why = boot_report_rejections_text(&d);
                log_error("%s: no generation can boot (%zu rejected%s%s)", args[0], d.n_rejected,
                          why ? ": " : "", why ? why : "");
        }
        ret = d.found ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
        boot_decision_done(&d);
        if (fflush(stdout) != 0)
                return CLI_EXIT_FAILURE;
        return ret;
}

static int cli_boot_confirm(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        unsigned number;
        int r;

        if (n != 1)
                return cli_usage_error("boot confirm: expected DIR");
        if (cli_store_open(&store, args[0], STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;
        r = boot_confirm(store, &number);
        if (r == -ENOENT)
                return log_error("%s: no generation was selected; run 'kos boot select' first", args[0]),
                       CLI_EXIT_FAILURE;
        if (r == -EPERM)
                return log_error("%s: the selected generation has been marked bad; it cannot be confirmed",
                                 args[0]), CLI_EXIT_FAILURE;
        if (r == -ESTALE)
                return log_error("%s: refs/booted does not match its generation", args[0]), CLI_EXIT_FAILURE;
        if (r < 0)
                return log_error("%s: cannot confirm: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;
        printf("generation %u confirmed\n", number);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int cli_boot_status(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        StoreGeneration current = {}, booted = {};
        unsigned current_n, booted_n;
        uint32_t floor_version;
        int r;

        if (n != 1)
                return cli_usage_error("boot status: expected DIR");
        if (cli_store_open(&store, args[0], STORE_OPEN_READ) < 0)
                return CLI_EXIT_FAILURE;
        r = boot_ref_generation(store, STORE_REF_CURRENT, &current_n);
        if (r >= 0)
                r = boot_ref_generation(store, STORE_REF_BOOTED, &booted_n);
        if (r >= 0)
                r = boot_floor_get(store, current_n, &floor_version);
        if (r >= 0 && current_n > 0)
                r = store_generation_load(store, current_n, &current);
        if (r >= 0 && booted_n > 0)
                r = store_generation_load(store, booted_n, &booted);
        if (r < 0)
                return log_error("%s: cannot read boot state: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;

        if (o->json) {
                json_t *root = json_object();
                json_object_set_new(root, "current", current_n ? cli_boot_generation_json(&current) : json_null());
                json_object_set_new(root, "booted", booted_n ? cli_boot_generation_json(&booted) : json_null());
                json_object_set_new(root, "floor", json_integer(floor_version));
                json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(root);
                putchar('\n');
        } else {
                if (current_n)
                        printf("current: generation %u, version %u\n", current_n, (unsigned)current.version);
                else
                        printf("current: none (no boot confirmed yet)\n");
                if (booted_n)
                        printf("booted:  generation %u, version %u, %s, %u tries left, %u unconfirmed boot%s\n",
                               booted_n, (unsigned)booted.version, store_generation_state_to_string(booted.state),
                               booted.tries, booted.boots, booted.boots == 1 ? "" : "s");
                else
                        printf("booted:  none\n");
                printf("floor:   %u\n", (unsigned)floor_version);
        }
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cli_boot(int argc, char **argv) {
        static const CliStoreCommand commands[] = {
                { "select", CLI_STORE_OPTION_TRUST | CLI_STORE_OPTION_JSON, cli_boot_select },
                { "confirm", 0, cli_boot_confirm },
                { "status", CLI_STORE_OPTION_JSON, cli_boot_status },
        };

        return cli_store_dispatch("boot", boot_usage, commands, ELEMENTSOF(commands), argc, argv);
}
