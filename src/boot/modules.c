// SPDX-License-Identifier: Apache-2.0
/*
 * Module loading from modules.dep (see modules.h for the invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/modules.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strv.h"

static int modules_error(BootModulesError *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int modules_error(BootModulesError *err, int r, const char *fmt, ...) {
        va_list ap;

        if (err) {
                va_start(ap, fmt);
                vsnprintf(err->message, sizeof(err->message), fmt, ap);
                va_end(ap);
        }
        return r;
}

BootModules *boot_modules_free(BootModules *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n; i++) {
                free(m->modules[i].path);
                free(m->modules[i].deps);
        }
        free(m->modules);
        free(m);
        return NULL;
}

/* A path relative to the module directory that stays inside it (invariant 3). */
static bool modules_path_is_safe(const char *path) {
        size_t n = strlen(path);

        if (n == 0 || path[0] == '/')
                return false;
        for (const char *s = path; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
                if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
                        return false;
        return true;
}

/* One parsed line before its dependencies are resolved. */
typedef struct ModulesLine {
        char **deps; /* owned strv */
        unsigned number;
} ModulesLine;

static int modules_compare_paths(const void *a, const void *b, void *arg) {
        const BootModule *m = arg;

        return strcmp(m[*(const size_t *)a].path, m[*(const size_t *)b].path);
}

/* Splits one line "path: dep dep" into the next module and its dependency names. */
static int modules_parse_line(BootModules *m, ModulesLine *lines, char *line, unsigned number,
                              BootModulesError *err) {
        char *colon = strchr(line, ':'), *save = NULL;
        BootModule *mod = &m->modules[m->n];
        ModulesLine *l = &lines[m->n];
        int r;

        if (!colon)
                return modules_error(err, -EBADMSG, "modules.dep:%u: expected \"module.ko: dependencies\"", number);
        *colon = '\0';
        if (!modules_path_is_safe(line) || strpbrk(line, " \t"))
                return modules_error(err, -EBADMSG, "modules.dep:%u: bad module path \"%.200s\"", number, line);
        *mod = (BootModule){ .path = strdup(line) };
        *l = (ModulesLine){ .number = number };
        if (!mod->path)
                return -ENOMEM;
        m->n++;
        for (char *w = strtok_r(colon + 1, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
                r = strv_extend(&l->deps, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Index of path in m (sorted: indexes of m by path), or -1. */
static ssize_t modules_lookup(const BootModules *m, const size_t *sorted, const char *path) {
        size_t lo = 0, hi = m->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(path, m->modules[sorted[mid]].path);

                if (c == 0)
                        return (ssize_t)sorted[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

/* Resolves each line's dependency names to indexes; refuses duplicates and unknown names. */
static int modules_resolve(BootModules *m, ModulesLine *lines, BootModulesError *err) {
        _cleanup_free_ size_t *sorted = calloc(m->n + 1, sizeof(size_t));

        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++)
                sorted[i] = i;
        qsort_r(sorted, m->n, sizeof(size_t), modules_compare_paths, m->modules);
        for (size_t i = 1; i < m->n; i++)
                if (strcmp(m->modules[sorted[i - 1]].path, m->modules[sorted[i]].path) == 0)
                        return modules_error(err, -EBADMSG, "modules.dep:%u: module %s listed twice",
                                             lines[sorted[i]].number, m->modules[sorted[i]].path);
        for (size_t i = 0; i < m->n; i++) {
                BootModule *mod = &m->modules[i];
                size_t n = strv_length(lines[i].deps);

                mod->deps = calloc(n + 1, sizeof(size_t));
                if (!mod->deps)
                        return -ENOMEM;
                for (size_t k = 0; k < n; k++) {
                        ssize_t d = modules_lookup(m, sorted, lines[i].deps[k]);

                        if (d < 0)
                                return modules_error(err, -EBADMSG,
                                                     "modules.dep:%u: %s depends on %.200s, which modules.dep does not list",
                                                     lines[i].number, mod->path, lines[i].deps[k]);
                        mod->deps[mod->n_deps++] = (size_t)d;
                }
        }
        return 0;
}

static void modules_lines_free(ModulesLine *lines, size_t n) {
        for (size_t i = 0; lines && i < n; i++)
                strv_free(lines[i].deps);
        free(lines);
}

int boot_modules_parse(BootModules **modulesp, const char *text, size_t size, BootModulesError *err) {
        _cleanup_(boot_modules_freep) BootModules *m = NULL;
        _cleanup_free_ char *copy = NULL;
        ModulesLine *lines = NULL;
        size_t n_lines = 1;
        unsigned number = 0;
        int r = 0;

        if (memchr(text, '\0', size))
                return modules_error(err, -EBADMSG, "modules.dep: contains a NUL byte");
        for (size_t i = 0; i < size; i++)
                n_lines += text[i] == '\n';
        m = calloc(1, sizeof(*m));
        copy = strndup(text, size);
        if (m)
                m->modules = calloc(n_lines, sizeof(BootModule));
        lines = calloc(n_lines, sizeof(ModulesLine));
        if (!m || !copy || !m->modules || !lines) {
                free(lines);
                return -ENOMEM;
        }
        /* strtok_r would merge empty lines and lose the numbering; strsep keeps them. */
        for (char *p = copy, *line; (line = strsep(&p, "\n"));) {
                number++;
                if (line[strspn(line, " \t\r")] == '\0')
                        continue;
                r = modules_parse_line(m, lines, line, number, err);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = modules_resolve(m, lines, err);
        modules_lines_free(lines, m->n);
        if (r < 0)
                return r;
        *modulesp = steal_ptr(&m);
        return 0;
}

typedef enum ModulesMark {
        MODULES_UNSEEN,
        MODULES_ON_PATH, /* on the current depth-first path: meeting it again is a cycle */
        MODULES_DONE,
} ModulesMark;

/*
 * Depth-first, iteratively (a hostile modules.dep must not overflow the stack): a module
 * joins the order once all its dependencies have.
 */
static int modules_visit(const BootModules *m, size_t start, ModulesMark *mark, size_t *stack, size_t *next,
                         size_t *order, size_t *n_order, BootModulesError *err) {
        size_t depth = 0;

        stack[depth] = start;
        next[depth++] = 0;
        mark[start] = MODULES_ON_PATH;
        while (depth > 0) {
                size_t i = stack[depth - 1];
                const BootModule *mod = &m->modules[i];

                if (next[depth - 1] == mod->n_deps) {
                        mark[i] = MODULES_DONE;
                        order[(*n_order)++] = i;
                        depth--;
                        continue;
                }
                size_t d = mod->deps[next[depth - 1]++];
                if (mark[d] == MODULES_DONE)
                        continue;
                if (mark[d] == MODULES_ON_PATH)
                        return modules_error(err, -ELOOP, "modules.dep: dependency cycle: %s depends on %s, which needs it",
                                             mod->path, m->modules[d].path);
                mark[d] = MODULES_ON_PATH;
                stack[depth] = d;
                next[depth++] = 0;
        }
        return 0;
}

int boot_modules_order(const BootModules *m, size_t **orderp, BootModulesError *err) {
        _cleanup_free_ ModulesMark *mark = calloc(m->n + 1, sizeof(ModulesMark));
        _cleanup_free_ size_t *stack = calloc(m->n + 1, sizeof(size_t));
        _cleanup_free_ size_t *next = calloc(m->n + 1, sizeof(size_t));
        _cleanup_free_ size_t *order = calloc(m->n + 1, sizeof(size_t));
        size_t n_order = 0;
        int r;

        if (!mark || !stack || !next || !order)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++) {
                if (mark[i] != MODULES_UNSEEN)
                        continue;
                r = modules_visit(m, i, mark, stack, next, order, &n_order, err);
                if (r < 0)
                        return r;
        }
        *orderp = steal_ptr(&order);
        return 0;
}

int boot_modules_check_files(const BootModules *m, int dirfd, BootModulesError *err) {
        struct stat st;

        for (size_t i = 0; i < m->n; i++) {
                if (fstatat(dirfd, m->modules[i].path, &st, 0) < 0)
                        return modules_error(err, -errno, "%s: %s", m->modules[i].path, strerror(errno));
                if (!S_ISREG(st.st_mode))
                        return modules_error(err, -EINVAL, "%s: not a regular file", m->modules[i].path);
        }
        return 0;
}

/* Loads one module file; 0 if it is loaded now (or was), else a negative errno. */
static int modules_load_one(int dirfd, const char *path) {
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return -errno;
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/*
 * One pass over the modules not loaded yet, in order: each whose dependencies are all
 * loaded is tried. errors[i] keeps the last failure (0: not tried). Returns how many loaded.
 */
static size_t modules_load_pass(const BootModules *m, int dirfd, const size_t *order, bool *loaded, int *errors) {
        size_t n = 0;

        for (size_t k = 0; k < m->n; k++) {
                size_t i = order[k];
                bool ready = !loaded[i];

                for (size_t d = 0; ready && d < m->modules[i].n_deps; d++)
                        ready = loaded[m->modules[i].deps[d]];
                if (!ready)
                        continue;
                errors[i] = modules_load_one(dirfd, m->modules[i].path);
                if (errors[i] == 0) {
                        loaded[i] = true;
                        n++;
                }
        }
        return n;
}

/* Warns about each module that did not load: its own error, or the dependency it lacks. */
static void modules_warn(const BootModules *m, const bool *loaded, const int *errors) {
        for (size_t i = 0; i < m->n; i++) {
                const BootModule *mod = &m->modules[i];

                if (loaded[i])
                        continue;
                if (errors[i] < 0) {
                        log_warning("module %s: %s", mod->path, strerror(-errors[i]));
                        continue;
                }
                for (size_t d = 0; d < mod->n_deps; d++)
                        if (!loaded[mod->deps[d]]) {
                                log_warning("module %s: not loaded: it needs %s, which did not load", mod->path,
                                            m->modules[mod->deps[d]].path);
                                break;
                        }
        }
}

/*
 * Loads in order, then tries again what failed while a pass makes progress: modules.dep
 * does not hold soft dependencies (libcrc32c needs a crc32c provider, which only
 * modules.softdep names), so a module may load only once a later one did.
 */
static int modules_load_all(const BootModules *m, int dirfd, const size_t *order, size_t *loadedp) {
        _cleanup_free_ bool *loaded = calloc(m->n + 1, sizeof(bool));
        _cleanup_free_ int *errors = calloc(m->n + 1, sizeof(int));
        size_t total = 0, n;

        if (!loaded || !errors)
                return -ENOMEM;
        do {
                n = modules_load_pass(m, dirfd, order, loaded, errors);
                total += n;
        } while (n > 0 && total < m->n);
        modules_warn(m, loaded, errors);
        *loadedp = total;
        return 0;
}

int boot_modules_load(const char *dir, size_t *loadedp, BootModulesError *err) {
        _cleanup_(boot_modules_freep) BootModules *m = NULL;
        _cleanup_free_ size_t *order = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dirfd = -1;
        _cleanup_close_ int depfd = -1;
        size_t size;
        int r;

        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return modules_error(err, -errno, "%s: %s", dir, strerror(errno));
        depfd = openat(dirfd, "modules.dep", O_RDONLY | O_CLOEXEC);
        if (depfd < 0)
                return modules_error(err, -errno, "%s/modules.dep: %s", dir, strerror(errno));
        r = read_fd_full(depfd, BOOT_MODULES_DEP_MAX, &text, &size);
        if (r < 0)
                return modules_error(err, r, "%s/modules.dep: %s", dir, strerror(-r));
        r = boot_modules_parse(&m, text, size, err);
        if (r < 0)
                return r;
        r = boot_modules_order(m, &order, err);
        if (r < 0)
                return r;
        r = boot_modules_check_files(m, dirfd, err);
        if (r < 0)
                return r;
        return modules_load_all(m, dirfd, order, loadedp);
}
