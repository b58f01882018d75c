/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel modules from modules.dep, loaded each after its dependencies.
 *
 * modules.dep is depmod's: one line a module, "path.ko: dep.ko dep.ko ...", paths relative
 * to /lib/modules/<kver>/. The boot image's builder picks which modules it holds; the
 * programs load every module the file lists.
 *
 * Invariants: 1. A module is loaded only after every module it depends on loaded.
 * 2. A dependency that modules.dep does not list, or a cycle, is refused before anything
 * is loaded, with a message that names the modules. 3. Paths never leave the module
 * directory: absolute paths and ".." components are refused. 4. A module that fails to
 * load skips the modules that depend on it, and only those.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

#define BOOT_MODULES_DEP_MAX (4U * 1024U * 1024U)

typedef struct BootModule {
        char *path;   /* owned: relative to the module directory */
        size_t *deps; /* owned: indexes of the modules it depends on */
        size_t n_deps;
} BootModule;

typedef struct BootModules {
        BootModule *modules; /* owned array, in modules.dep order */
        size_t n;
} BootModules;

/* What went wrong, for a one-line message: "modules.dep:3: ..." or "kernel/x.ko: ...". */
typedef struct BootModulesError {
        char message[512];
} BootModulesError;

/*
 * Parses modules.dep text. Returns 0 with *modulesp (owned by the caller); -EBADMSG for a
 * malformed line, a module listed twice, an unsafe path or a dependency that is not listed
 * itself, with err filled in; -ENOMEM.
 */
int boot_modules_parse(BootModules **modulesp, const char *text, size_t size, BootModulesError *err);

BootModules *boot_modules_free(BootModules *m);

/*
 * The load order: every index once, each after its dependencies (invariant 1). Returns 0
 * with *orderp (owned, m->n entries); -ELOOP with err naming the cycle; -ENOMEM.
 */
int boot_modules_order(const BootModules *m, size_t **orderp, BootModulesError *err);

/*
 * Checks that every module file exists under dirfd as a regular file. Returns 0, or -ENOENT
 * (or another negative errno) with err naming the first that does not.
 */
int boot_modules_check_files(const BootModules *m, int dirfd, BootModulesError *err);

/*
 * Loads the modules of dir/modules.dep in order with finit_module(); one already loaded
 * (EEXIST) counts as loaded. A module that still fails after the retries is logged as a
 * warning, as is each dependent it kept from loading (invariant 4). Returns 0 with
 * *loadedp (modules now loaded), or a negative errno with err filled in if modules.dep
 * cannot be read or used (nothing loaded then).
 */
int boot_modules_load(const char *dir, size_t *loadedp, BootModulesError *err);

DEFINE_CLEANUP_FUNC(BootModules, boot_modules_free)
