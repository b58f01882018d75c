// SPDX-License-Identifier: Apache-2.0
/*
 * One cgroup v2 per unit (see cgroup.h for the layout and the invariants).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/cgroup.h"
#include "util/clock.h"
#include "util/fileio.h"

struct CgroupTree {
        int parent_fd; /* owned: kosd's own cgroup */
        int base_fd;   /* owned: <kosd's cgroup>/kosd-<hash> */
        char name[32]; /* "kosd-<hash>" */
};

/* Undoes mountinfo's octal escapes (\040 for a space...) in place. */
static void cgroup_unescape(char *s) {
        char *o = s;

        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
}

/* The cgroup2 mount: its mount point and the hierarchy path at its root. */
static int cgroup_find_mount(char **mountp, char **rootp) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char root[2048], point[2048], type[64];
                const char *sep = strstr(line, " - ");

                if (!sep || sscanf(sep, " - %63s", type) != 1 || strcmp(type, "cgroup2") != 0)
                        continue;
                if (sscanf(line, "%*s %*s %*s %2047s %2047s", root, point) != 2)
                        continue;
                cgroup_unescape(root);
                cgroup_unescape(point);
                *mountp = strdup(point);
                *rootp = strdup(root);
                if (!*mountp || !*rootp) {
                        free(*mountp);
                        free(*rootp);
                        return -ENOMEM;
                }
                return 0;
        }
        return -EOPNOTSUPP;
}

/* kosd's own cgroup in the unified hierarchy ("0::/path" in /proc/self/cgroup). */
static int cgroup_find_own(char **pathp) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                *pathp = strdup(line + 3);
                return *pathp ? 0 : -ENOMEM;
        }
        return -EOPNOTSUPP;
}

/* FNV-1a: a short, stable name for a run directory. */
static uint64_t cgroup_hash(const char *s) {
        uint64_t h = 14695981039346656037ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

int cgroup_tree_open(CgroupTree **treep, const char *id) {
        _cleanup_free_ char *mount = NULL, *root = NULL, *own = NULL, *path = NULL;
        _cleanup_close_ int parent_fd = -1, base_fd = -1;
        const char *rel;
        CgroupTree *t;
        char name[32];
        int r;

        r = cgroup_find_mount(&mount, &root);
        if (r < 0)
                return r;
        r = cgroup_find_own(&own);
        if (r < 0)
                return r;
        /* A mount of a subtree (cgroup namespaces) shows the path below its root. */
        rel = own;
        if (strcmp(root, "/") != 0 && strncmp(own, root, strlen(root)) == 0 &&
            (own[strlen(root)] == '/' || own[strlen(root)] == '\0'))
                rel = own + strlen(root);
        if (asprintf(&path, "%s%s", mount, rel) < 0)
                return -ENOMEM;
        parent_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0)
                return errno == ENOENT || errno == EACCES || errno == ENOTDIR ? -EOPNOTSUPP : -errno;
        snprintf(name, sizeof(name), "kosd-%016llx", (unsigned long long)cgroup_hash(id));
        if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
                return errno == EACCES || errno == EPERM || errno == EROFS ? -EOPNOTSUPP : -errno;
        base_fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0)
                return -errno;
        /* A cgroup directory has cgroup.procs; anything else is not a cgroup2 hierarchy. */
        if (faccessat(base_fd, "cgroup.procs", W_OK, 0) < 0)
                return -EOPNOTSUPP;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->parent_fd = steal_fd(&parent_fd);
        t->base_fd = steal_fd(&base_fd);
        memcpy(t->name, name, sizeof(name));
        *treep = t;
        return 0;
}

/* Calls fn(tree, dir) for every unit cgroup directory of the tree. */
static int cgroup_tree_each(CgroupTree *tree, int (*fn)(CgroupTree *tree, const char *dir, void *userdata),
                            void *userdata) {
        int fd = openat(tree->base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int ret = 0;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                int r;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                r = fn(tree, de->d_name, userdata);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* True if the cgroup dir holds no process ("populated 0" in cgroup.events). */
static bool cgroup_dir_is_empty(CgroupTree *tree, const char *dir) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[512], line[64];
        int fd;

        snprintf(path, sizeof(path), "%s/cgroup.events", dir);
        fd = openat(tree->base_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return false;
        }
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "populated ", 10) == 0)
                        return line[10] == '0';
        return false;
}

static int cgroup_dir_check_empty(CgroupTree *tree, const char *dir, void *userdata) {
        if (!cgroup_dir_is_empty(tree, dir))
                *(bool *)userdata = false;
        return 0;
}

static int cgroup_dir_remove(CgroupTree *tree, const char *dir, void *userdata) {
        return unlinkat(tree->base_fd, dir, AT_REMOVEDIR) < 0 ? -errno : 0;
}

CgroupTree *cgroup_tree_free(CgroupTree *tree) {
        if (!tree)
                return NULL;
        /* Processes killed a moment ago are still on their way out: give them a second.
         * A cgroup with processes left after that (EBUSY) stays: the next kosd stops them. */
        for (uint64_t deadline = now_ms() + 1000;;) {
                bool empty = true;

                if (cgroup_tree_each(tree, cgroup_dir_check_empty, &empty) < 0 || empty || now_ms() >= deadline)
                        break;
                (void)poll(NULL, 0, 10);
        }
        (void)cgroup_tree_each(tree, cgroup_dir_remove, NULL);
        close(tree->base_fd);
        (void)unlinkat(tree->parent_fd, tree->name, AT_REMOVEDIR);
        close(tree->parent_fd);
        free(tree);
        return NULL;
}

/* A unit's cgroup directory: "u-<unit>", so that no unit name can be a cgroup interface
 * file's ("cgroup.events", "cpu.stat"...). */
#define CGROUP_UNIT_PREFIX "u-"

int cgroup_unit_open(CgroupTree *tree, const char *unit, int *dir_fdp) {
        char path[512];
        int fd;

        if (strchr(unit, '/') || strlen(unit) > 200)
                return -EINVAL;
        snprintf(path, sizeof(path), CGROUP_UNIT_PREFIX "%s", unit);
        if (mkdirat(tree->base_fd, path, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(tree->base_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Writable for joining, or it is no cgroup of ours. */
        if (faccessat(fd, "cgroup.procs", W_OK, 0) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        *dir_fdp = fd;
        return 0;
}

/* Reads a unit cgroup's (directory dir's) cgroup.procs and signals each process. Returns
 * the count or -errno. */
static int cgroup_dir_signal_each(CgroupTree *tree, const char *dir, int sig) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[512];
        int fd, n = 0;
        long pid;

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        fd = openat(tree->base_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -errno;
        }
        while (fscanf(f, "%ld", &pid) == 1)
                if (pid > 0 && kill((pid_t)pid, sig) == 0)
                        n++;
        return n;
}

/* Signals every process cgroup.procs lists; for SIGKILL twice, so one forked while the
 * first pass read the list is caught by the second. cgroup.kill is not used: on kernels
 * that count kills per cgroup (kill_seq), a child cloned into a cgroup that was ever
 * killed is killed at birth. */
static int cgroup_dir_kill(CgroupTree *tree, const char *dir, int sig) {
        int r = cgroup_dir_signal_each(tree, dir, sig);

        if (r >= 0 && sig == SIGKILL)
                (void)cgroup_dir_signal_each(tree, dir, sig);
        return r;
}

int cgroup_unit_kill(CgroupTree *tree, const char *unit, int sig) {
        char dir[512];

        snprintf(dir, sizeof(dir), CGROUP_UNIT_PREFIX "%s", unit);
        return cgroup_dir_kill(tree, dir, sig);
}

static int cgroup_dir_stop_leftover(CgroupTree *tree, const char *dir, void *userdata) {
        int *killed = userdata;
        int n = cgroup_dir_signal_each(tree, dir, SIGKILL);

        if (n > 0 && killed)
                *killed += n;
        return 0;
}


int cgroup_tree_stop_leftovers(CgroupTree *tree, unsigned timeout_ms) {
        uint64_t deadline = now_ms() + timeout_ms;
        int killed = 0, r;

        r = cgroup_tree_each(tree, cgroup_dir_stop_leftover, &killed);
        if (r < 0)
                return r;
        for (;;) {
                bool empty = true;

                r = cgroup_tree_each(tree, cgroup_dir_check_empty, &empty);
                if (r < 0)
                        return r;
                if (empty) {
                        /* Fresh cgroups for the units to come. */
                        (void)cgroup_tree_each(tree, cgroup_dir_remove, NULL);
                        return killed;
                }
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                /* A process forked during the walk was missed: again. */
                (void)cgroup_tree_each(tree, cgroup_dir_stop_leftover, NULL);
                /* Killed processes are reaped by their parent (init, or a subreaper):
                 * look again shortly. */
                (void)poll(NULL, 0, 10);
        }
}
