// SPDX-License-Identifier: Apache-2.0
/*
 * newc cpio writer (see cpio.h).
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/cpio.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strv.h"

#define CPIO_MAX_FILE (512U * 1024U * 1024U)

struct Cpio {
        int fd;
        unsigned next_ino;
        char **dirs; /* directories written so far */
        unsigned long long offset;
};

int cpio_new(Cpio **cpiop, int fd) {
        Cpio *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->fd = fd;
        c->next_ino = 1;
        *cpiop = c;
        return 0;
}

Cpio *cpio_free(Cpio *c) {
        if (!c)
                return NULL;
        strv_free(c->dirs);
        free(c);
        return NULL;
}

static int cpio_write(Cpio *c, const void *data, size_t size) {
        int r = write_full(c->fd, data, size);

        if (r < 0)
                return r;
        c->offset += size;
        return 0;
}

/* Zero bytes up to the next multiple of align. */
static int cpio_pad(Cpio *c, unsigned align) {
        static const char zeros[512];
        size_t n = (align - c->offset % align) % align;

        return n ? cpio_write(c, zeros, n) : 0;
}

static bool cpio_name_valid(const char *name) {
        const char *p = name;

        if (name[0] == '\0' || name[0] == '/')
                return false;
        while (*p) {
                size_t len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += len;
                if (*p == '/')
                        p++;
        }
        return p[-1] != '/';
}

static int cpio_header(Cpio *c, const char *name, mode_t mode, size_t size, unsigned rmajor, unsigned rminor) {
        char header[256];
        size_t namesize = strlen(name) + 1;
        int r;

        /* newc fields are 8 hex digits: a file of 4 GiB or more does not fit. */
        if (size > UINT32_MAX || namesize > UINT32_MAX)
                return -EFBIG;
        snprintf(header, sizeof(header), "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                 c->next_ino++, (unsigned)mode, 0U, 0U, S_ISDIR(mode) ? 2U : 1U, 0U, size, 0U, 0U, rmajor,
                 rminor, namesize, 0U);
        r = cpio_write(c, header, 110);
        if (r < 0)
                return r;
        r = cpio_write(c, name, namesize);
        if (r < 0)
                return r;
        return cpio_pad(c, 4);
}

/* Adds the parent directories of name that are not in the archive yet, outermost first. */
static int cpio_add_parents(Cpio *c, const char *name) {
        _cleanup_free_ char *copy = strdup(name);
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *slash = strchr(copy, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (!strv_contains(c->dirs, copy)) {
                        r = cpio_header(c, copy, S_IFDIR | 0755, 0, 0, 0);
                        if (r < 0)
                                return r;
                        r = strv_extend(&c->dirs, copy);
                        if (r < 0)
                                return r;
                }
                *slash = '/';
        }
        return 0;
}

static int cpio_entry(Cpio *c, const char *name, mode_t mode, const void *data, size_t size, unsigned rmajor,
                      unsigned rminor) {
        int r;

        if (!cpio_name_valid(name))
                return -EINVAL;
        r = cpio_add_parents(c, name);
        if (r < 0)
                return r;
        r = cpio_header(c, name, mode, size, rmajor, rminor);
        if (r < 0)
                return r;
        if (size > 0) {
                r = cpio_write(c, data, size);
                if (r < 0)
                        return r;
        }
        return cpio_pad(c, 4);
}

int cpio_add_dir(Cpio *c, const char *name, mode_t mode) {
        int r;

        if (strv_contains(c->dirs, name))
                return 0;
        r = cpio_entry(c, name, S_IFDIR | (mode & 07777), NULL, 0, 0, 0);
        if (r < 0)
                return r;
        return strv_extend(&c->dirs, name);
}

int cpio_add_data(Cpio *c, const char *name, mode_t mode, const void *data, size_t size) {
        return cpio_entry(c, name, S_IFREG | (mode & 07777), data, size, 0, 0);
}

int cpio_add_file(Cpio *c, const char *name, mode_t mode, const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_file_full(path, CPIO_MAX_FILE, &data, &size);
        if (r < 0)
                return r;
        return cpio_add_data(c, name, mode, data, size);
}

int cpio_add_symlink(Cpio *c, const char *name, const char *target) {
        return cpio_entry(c, name, S_IFLNK | 0777, target, strlen(target), 0, 0);
}

int cpio_add_chardev(Cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor) {
        return cpio_entry(c, name, S_IFCHR | (mode & 07777), NULL, 0, major, minor);
}

int cpio_finish(Cpio *c) {
        int r = cpio_header(c, "TRAILER!!!", 0, 0, 0, 0);

        if (r < 0)
                return r;
        return cpio_pad(c, 512);
}
