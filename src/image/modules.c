// SPDX-License-Identifier: Apache-2.0
/*
 * Module closure from modules.dep (see modules.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/modules.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strv.h"

#define MODULES_DEP_MAX (16U * 1024U * 1024U)

typedef struct DepLine {
        char *path;  /* "kernel/fs/ext4/ext4.ko" */
        char **deps; /* paths */
        char *line;  /* the whole line */
} DepLine;

typedef struct DepFile {
        DepLine *lines;
        size_t n;
} DepFile;

static void dep_file_done(DepFile *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->lines[i].path);
                strv_free(f->lines[i].deps);
                free(f->lines[i].line);
        }
        free(f->lines);
}

/* True if path ("kernel/fs/ext4/ext4.ko") is the module name ("ext4"), '-' being '_'. */
static bool dep_path_is(const char *path, const char *name) {
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

static int dep_parse_line(DepLine *d, char *line) {
        char *colon = strchr(line, ':'), *save = NULL;

        if (!colon)
                return -EBADMSG;
        d->line = strdup(line);
        d->path = strndup(line, (size_t)(colon - line));
        if (!d->line || !d->path)
                return -ENOMEM;
        for (char *t = strtok_r(colon + 1, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                if (strv_extend(&d->deps, t) < 0)
                        return -ENOMEM;
        return 0;
}

static int dep_file_load(DepFile *f, const char *moddir) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size;
        char *save = NULL;
        int r;

        if (asprintf(&path, "%s/modules.dep", moddir) < 0)
                return -ENOMEM;
        r = read_file_full(path, MODULES_DEP_MAX, &text, &size);
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                DepLine *lines = reallocarray(f->lines, f->n + 1, sizeof(*lines));
                if (!lines)
                        return -ENOMEM;
                f->lines = lines;
                memset(&f->lines[f->n], 0, sizeof(DepLine));
                f->n++;
                r = dep_parse_line(&f->lines[f->n - 1], line);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const DepLine *dep_find_path(const DepFile *f, const char *path) {
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->lines[i].path, path) == 0)
                        return &f->lines[i];
        return NULL;
}

static const DepLine *dep_find_name(const DepFile *f, const char *name) {
        for (size_t i = 0; i < f->n; i++)
                if (dep_path_is(f->lines[i].path, name))
                        return &f->lines[i];
        return NULL;
}

/*
 * Adds d after its dependencies. depmod lists a module's dependencies transitively, in
 * the order they must be loaded last-first; adding each dependency before d, recursively,
 * gives a valid load order whatever that order is. depth bounds a malformed cyclic file.
 */
static int dep_add(const DepFile *f, const DepLine *d, char ***pathsp, unsigned depth) {
        int r;

        if (strv_contains(*pathsp, d->path))
                return 0;
        if (depth > 64)
                return -ELOOP;
        for (size_t i = strv_length(d->deps); i > 0; i--) {
                const DepLine *dep = dep_find_path(f, d->deps[i - 1]);
                if (!dep)
                        return -EBADMSG;
                r = dep_add(f, dep, pathsp, depth + 1);
                if (r < 0)
                        return r;
        }
        return strv_extend(pathsp, d->path);
}

int image_modules_closure(const char *moddir, char *const *names, char ***pathsp, char **depp,
                          char **missingp) {
        _cleanup_(dep_file_done) DepFile f = { 0 };
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_free_ char *dep = NULL;
        size_t dep_size = 0;
        int r;

        *missingp = NULL;
        r = dep_file_load(&f, moddir);
        if (r < 0)
                return r;
        for (size_t i = 0; names && names[i]; i++) {
                const DepLine *d = dep_find_name(&f, names[i]);
                if (!d) {
                        *missingp = strdup(names[i]);
                        return *missingp ? -ENOENT : -ENOMEM;
                }
                r = dep_add(&f, d, &paths, 0);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; paths && paths[i]; i++) {
                const char *line = dep_find_path(&f, paths[i])->line;
                size_t len = strlen(line);
                char *grown = realloc(dep, dep_size + len + 2);
                if (!grown)
                        return -ENOMEM;
                dep = grown;
                memcpy(dep + dep_size, line, len);
                dep[dep_size + len] = '\n';
                dep_size += len + 1;
                dep[dep_size] = '\0';
        }
        *pathsp = steal_ptr(&paths);
        *depp = dep ? steal_ptr(&dep) : strdup("");
        return *depp ? 0 : -ENOMEM;
}
