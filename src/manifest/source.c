// SPDX-License-Identifier: Apache-2.0
/*
 * Manifest source: running dtc, and mapping DTB locations to DTS lines.
 *
 * dtc runs with its output and errors captured in memory files, never on a shell, with
 * argv built here. The annotated-DTS parser reads dtc's own output format, in which each
 * node and property sits on one line ending with a "/ * FILE:L:C-L:C * /" comment.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "manifest/source.h"
#include "util/fileio.h"

extern char **environ;

#define DTC_OUTPUT_MAX (8U * MANIFEST_MAX_SIZE)
/* Only the first error is reported; dtc may write megabytes of them. */
#define DTC_ERRORS_MAX (64U * 1024U)

/* Reads at most max bytes from the start of fd, NUL-terminated; the rest is ignored. */
static int read_head(int fd, size_t max, char **bufp) {
        _cleanup_free_ char *buf = malloc(max + 1);
        size_t size = 0;

        if (!buf)
                return -ENOMEM;
        while (size < max) {
                ssize_t n = pread(fd, buf + size, max - size, (off_t)size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        buf[size] = '\0';
        *bufp = steal_ptr(&buf);
        return 0;
}

/* Runs dtc with args; captures stdout and stderr. Returns dtc's exit status (>= 0). */
static int dtc_run(char *const argv[], char **outp, size_t *out_sizep, char **errp) {
        _cleanup_close_ int out = memfd_create("dtc-out", MFD_CLOEXEC);
        _cleanup_close_ int err = memfd_create("dtc-err", MFD_CLOEXEC);
        _cleanup_free_ char *out_buf = NULL, *err_buf = NULL;
        posix_spawn_file_actions_t actions;
        size_t size;
        pid_t pid;
        int r, status;

        if (out < 0 || err < 0)
                return -errno;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
        r = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -ECHILD;

        if (lseek(out, 0, SEEK_SET) < 0)
                return -errno;
        r = read_fd_full(out, DTC_OUTPUT_MAX, &out_buf, &size);
        if (r < 0)
                return r;
        r = read_head(err, DTC_ERRORS_MAX, &err_buf);
        if (r < 0)
                return r;
        *outp = steal_ptr(&out_buf);
        *out_sizep = size;
        if (errp)
                *errp = steal_ptr(&err_buf);
        return WEXITSTATUS(status);
}

static const char *skip_digits(const char *p) {
        const char *start = p;

        while (*p >= '0' && *p <= '9')
                p++;
        return p > start ? p : NULL;
}

/*
 * Finds dtc's position "L.C", "L.C-C" or "L.C-L.C" that follows a ':' and precedes a
 * space: the first such in text, so a file name holding ':' or '.' does not mislead it.
 * Returns where L starts and sets *endp to the space; NULL if there is none.
 */
static char *dtc_position(char *text, char **endp) {
        for (char *colon = strchr(text, ':'); colon; colon = strchr(colon + 1, ':')) {
                const char *p = skip_digits(colon + 1);

                if (!p || *p != '.' || !(p = skip_digits(p + 1)))
                        continue;
                if (*p == '-' && (p = skip_digits(p + 1)) && *p == '.')
                        p = skip_digits(p + 1);
                if (p && *p == ' ') {
                        *endp = (char *)p;
                        return colon + 1;
                }
        }
        return NULL;
}

/*
 * Turns dtc's first error into one line naming the file. dtc writes "Error: FILE:L.C-C
 * message" for syntax errors and "ERROR (check): PATH: message" for failed checks.
 */
static char *dtc_error_line(const char *dts_path, const char *text) {
        const char *line, *end;
        char *msg = NULL;

        if ((line = strstr(text, "Error: "))) {
                line += strlen("Error: ");
                end = strchrnul(line, '\n');
                msg = strndup(line, (size_t)(end - line));
        } else {
                line = strstr(text, "ERROR (");
                if (line && (line = strstr(line, "): ")))
                        line += strlen("): ");
                else if ((line = strstr(text, "FATAL ERROR: ")))
                        line += strlen("FATAL ERROR: ");
                else
                        line = text;
                end = strchrnul(line, '\n');
                if (asprintf(&msg, "%s: %.*s", dts_path, (int)(end - line), line) < 0)
                        msg = NULL;
        }
        if (!msg)
                return NULL;

        /* "FILE:L.C-C message" -> "FILE:L: message"; FILE may hold spaces, ':' and '.'. */
        char *end_of_line;
        char *line_no = dtc_position(msg, &end_of_line);
        if (line_no) {
                char *dot = strchr(line_no, '.');
                *dot = ':';
                memmove(dot + 1, end_of_line, strlen(end_of_line) + 1);
        }
        return msg;
}

int manifest_compile_dts(const char *dts_path, char **dtbp, size_t *sizep, char **errorp) {
        char *argv[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", "--", (char *)dts_path, NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        size_t size;
        int r;

        r = dtc_run(argv, &out, &size, &err);
        if (r < 0)
                return r;
        if (r != 0 || size == 0) {
                *errorp = dtc_error_line(dts_path, err && err[0] ? err : "dtc failed without a message");
                return *errorp ? -EBADMSG : -ENOMEM;
        }
        *dtbp = steal_ptr(&out);
        *sizep = size;
        return 0;
}

typedef struct SourceEntry {
        char *node;     /* owned: path without the leading '/' */
        char *property; /* owned: "" for the node itself */
        char *location; /* owned: "FILE:LINE" */
} SourceEntry;

struct ManifestSourceMap {
        SourceEntry *entries; /* owned */
        size_t n_entries;
};

ManifestSourceMap *manifest_source_map_free(ManifestSourceMap *map) {
        if (!map)
                return NULL;
        for (size_t i = 0; i < map->n_entries; i++) {
                free(map->entries[i].node);
                free(map->entries[i].property);
                free(map->entries[i].location);
        }
        free(map->entries);
        free(map);
        return NULL;
}

static int source_map_add(ManifestSourceMap *map, const char *node, const char *property, const char *location) {
        SourceEntry *e = realloc(map->entries, (map->n_entries + 1) * sizeof(SourceEntry));

        if (!e)
                return -ENOMEM;
        map->entries = e;
        e = &map->entries[map->n_entries];
        e->node = strdup(node);
        e->property = strdup(property);
        e->location = strdup(location);
        if (!e->node || !e->property || !e->location) {
                free(e->node);
                free(e->property);
                free(e->location);
                return -ENOMEM;
        }
        map->n_entries++;
        return 0;
}

/* Skips digits within [p, end); NULL if there are none. */
static const char *skip_digits_within(const char *p, const char *end) {
        const char *start = p;

        while (p < end && *p >= '0' && *p <= '9')
                p++;
        return p > start ? p : NULL;
}

/*
 * From "... / * FILE:L:C-L:C[, FILE:L:C-L:C...] * /" at the end of line, extracts the first
 * "FILE:L" (a node written in two blocks, or extended through a label, lists each). FILE
 * may hold any of ":-, ", so a location is recognised by its shape ":L:C-L:C" followed by
 * ", " or " * /".
 */
static bool annotation_location(const char *line, size_t len, char *buf, size_t size) {
        const char *start = NULL, *end = line + len, *p;

        for (p = line; p + 3 <= end; p++)
                if (memcmp(p, "/* ", 3) == 0)
                        start = p + 3;
        if (!start)
                return false;
        for (const char *colon = start; (colon = memchr(colon, ':', (size_t)(end - colon))); colon++) {
                const char *line_end = skip_digits_within(colon + 1, end);

                p = line_end;
                if (!p || p >= end || *p != ':' || !(p = skip_digits_within(p + 1, end)) || p >= end ||
                    *p != '-' || !(p = skip_digits_within(p + 1, end)) || p >= end || *p != ':' ||
                    !(p = skip_digits_within(p + 1, end)))
                        continue;
                if ((size_t)(end - p) < 3 || (memcmp(p, ", ", 2) != 0 && memcmp(p, " */", 3) != 0))
                        continue;
                if ((size_t)(line_end - start) >= size)
                        return false;
                snprintf(buf, size, "%.*s", (int)(line_end - start), start);
                return true;
        }
        return false;
}

int manifest_source_map_new(ManifestSourceMap **mapp, const char *dts_path) {
        char *argv[] = { "dtc", "-q", "-I", "dts", "-O", "dts", "-T", "-T", "--", (char *)dts_path, NULL };
        _cleanup_(manifest_source_map_freep) ManifestSourceMap *map = calloc(1, sizeof(ManifestSourceMap));
        _cleanup_free_ char *out = NULL;
        char path[512] = "";
        unsigned unpushed = 0; /* open nodes whose names did not fit in path */
        size_t size, pos = 0;
        int r;

        if (!map)
                return -ENOMEM;
        r = dtc_run(argv, &out, &size, NULL);
        if (r < 0)
                return r;
        if (r != 0)
                return -EBADMSG;

        while (pos < size) {
                char *line = out + pos, *nl = strchrnul(line, '\n');
                size_t len = (size_t)(nl - line);
                char location[512], name[256];
                const char *s = line;

                pos += len + 1;
                while (*s == '\t' || *s == ' ')
                        s++;
                if (!annotation_location(line, len, location, sizeof(location)))
                        continue;

                if (s[0] == '}') {
                        if (unpushed > 0) {
                                unpushed--;
                                continue;
                        }
                        char *slash = strrchr(path, '/');
                        if (slash)
                                *slash = '\0';
                        else
                                path[0] = '\0';
                        continue;
                }
                /* Skip labels "label: " before the name. */
                for (;;) {
                        size_t n = strcspn(s, " ;={");
                        if (n > 0 && s[n - 1] == ':' && s[n] == ' ')
                                s += n + 1;
                        else
                                break;
                }
                size_t n = strcspn(s, " ;=");
                const char *after = s + n;
                while (*after == ' ')
                        after++;
                if (n == 0)
                        continue;
                /* Inside a node that did not fit, nothing is mapped; its "}" still counts. */
                if (unpushed > 0 || n >= sizeof(name)) {
                        if (*after == '{')
                                unpushed++;
                        continue;
                }
                snprintf(name, sizeof(name), "%.*s", (int)n, s);

                if (*after == '{') {
                        if (strcmp(name, "/") != 0) {
                                size_t plen = strlen(path);
                                if (plen + 1 + n + 1 > sizeof(path)) {
                                        unpushed++;
                                        continue;
                                }
                                snprintf(path + plen, sizeof(path) - plen, "%s%s", plen ? "/" : "", name);
                        }
                        r = source_map_add(map, path, "", location);
                } else
                        r = source_map_add(map, path, name, location);
                if (r < 0)
                        return r;
        }
        *mapp = steal_ptr(&map);
        return 0;
}

const char *manifest_source_map_lookup(const ManifestSourceMap *map, const char *node, const char *property) {
        char path[512];

        if (property && property[0])
                for (size_t i = 0; i < map->n_entries; i++)
                        if (strcmp(map->entries[i].node, node) == 0 &&
                            strcmp(map->entries[i].property, property) == 0)
                                return map->entries[i].location;

        snprintf(path, sizeof(path), "%s", node);
        for (;;) {
                for (size_t i = 0; i < map->n_entries; i++)
                        if (strcmp(map->entries[i].node, path) == 0 && map->entries[i].property[0] == '\0')
                                return map->entries[i].location;
                if (path[0] == '\0')
                        return NULL;
                char *slash = strrchr(path, '/');
                if (slash)
                        *slash = '\0';
                else
                        path[0] = '\0';
        }
}
