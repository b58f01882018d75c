// SPDX-License-Identifier: Apache-2.0
/*
 * Module closure from modules.dep (see modules.h), read with the parser the boot programs
 * load modules with (boot/modules.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/modules.h"
#include "image/modules.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strv.h"

/* True if path ("kernel/fs/ext4/ext4.ko") is the module name ("ext4"), '-' being '_'. */
static bool module_path_is(const char *path, const char *name) {
        const char *base = strrchr(path, '/');
        size_t len;

        base = base ? base + 1 : path;
        len = strlen(base);
        if (len < 3 || strcmp(base + len - 3, ".ko") != 0 || strlen(name) != len - 3)
                return false;
        for (size_t i = 0; i < len - 3; i++) {
                char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];
                if (a != b)
                        return false;
        }
        return true;
}

/* Marks module i and, first, what it depends on (boot_modules_parse() refused cycles'
 * dangling ends; depth bounds a cycle). */
static int closure_add(const BootModules *m, size_t i, bool *wanted, unsigned depth) {
        int r;

        if (wanted[i])
                return 0;
        if (depth > 64)
                return -ELOOP;
        wanted[i] = true;
        for (size_t d = 0; d < m->modules[i].n_deps; d++) {
                r = closure_add(m, m->modules[i].deps[d], wanted, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Appends module i's modules.dep line ("path: dep dep") to *textp. */
static int dep_line_append(const BootModules *m, size_t i, char **textp, size_t *sizep) {
        const BootModule *mod = &m->modules[i];
        size_t need = strlen(mod->path) + 2;
        char *grown, *p;

        for (size_t d = 0; d < mod->n_deps; d++)
                need += 1 + strlen(m->modules[mod->deps[d]].path);
        grown = realloc(*textp, *sizep + need + 1);
        if (!grown)
                return -ENOMEM;
        *textp = grown;
        p = grown + *sizep;
        p += sprintf(p, "%s:", mod->path);
        for (size_t d = 0; d < mod->n_deps; d++)
                p += sprintf(p, " %s", m->modules[mod->deps[d]].path);
        *p++ = '\n';
        *p = '\0';
        *sizep = (size_t)(p - grown);
        return 0;
}

int image_modules_closure(const char *moddir, char *const *names, char ***pathsp, char **depp,
                          char **missingp) {
        _cleanup_(boot_modules_freep) BootModules *m = NULL;
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL, *dep = NULL;
        _cleanup_free_ size_t *order = NULL;
        _cleanup_free_ bool *wanted = NULL;
        BootModulesError err;
        size_t size, dep_size = 0;
        int r;

        *missingp = NULL;
        if (asprintf(&path, "%s/modules.dep", moddir) < 0)
                return -ENOMEM;
        r = read_file_full(path, BOOT_MODULES_DEP_MAX, &text, &size);
        if (r < 0)
                return r;
        r = boot_modules_parse(&m, text, size, &err);
        if (r == 0)
                r = boot_modules_order(m, &order, &err);
        if (r < 0)
                return r;
        wanted = calloc(m->n ? m->n : 1, sizeof(bool));
        if (!wanted)
                return -ENOMEM;
        for (size_t n = 0; names && names[n]; n++) {
                size_t i = 0;
                while (i < m->n && !module_path_is(m->modules[i].path, names[n]))
                        i++;
                if (i == m->n) {
                        *missingp = strdup(names[n]);
                        return *missingp ? -ENOENT : -ENOMEM;
                }
                r = closure_add(m, i, wanted, 0);
                if (r < 0)
                        return r;
        }
        /* In load order: each module's line after the lines of what it needs. */
        for (size_t k = 0; k < m->n; k++) {
                size_t i = order[k];
                if (!wanted[i])
                        continue;
                if (strv_extend(&paths, m->modules[i].path) < 0 || dep_line_append(m, i, &dep, &dep_size) < 0)
                        return -ENOMEM;
        }
        *pathsp = steal_ptr(&paths);
        *depp = dep ? steal_ptr(&dep) : strdup("");
        return *depp ? 0 : -ENOMEM;
}
