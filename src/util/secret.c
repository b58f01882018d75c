// SPDX-License-Identifier: Apache-2.0
/*
 * Secret memory (see secret.h for invariants 1-4).
 *
 * Layout of one allocation, a mapping of whole pages:
 *
 *   [ SecretHeader | padding to SECRET_DATA_OFFSET | data ... | unused rest of the page ]
 *
 * The header records the mapping's length, so secret_free() needs only the pointer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/secret.h"

typedef struct SecretHeader {
        size_t map_size; /* bytes mapped, from the header on */
} SecretHeader;

/* Where the data starts: aligned for any type. */
#define SECRET_DATA_OFFSET 64

static SecretUnmapHook secret_unmap_hook;

void secret_set_unmap_hook(SecretUnmapHook hook) {
        secret_unmap_hook = hook;
}

static size_t secret_page_size(void) {
        long n = sysconf(_SC_PAGESIZE);

        return n > 0 ? (size_t)n : 4096;
}

int secret_alloc(void **memp, size_t size) {
        size_t page = secret_page_size(), map_size;
        uint8_t *map;

        if (size == 0)
                size = 1;
        if (size > SIZE_MAX - SECRET_DATA_OFFSET - page)
                return -ENOMEM;
        map_size = (SECRET_DATA_OFFSET + size + page - 1) / page * page;
        map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED)
                return -errno;
        if (madvise(map, map_size, MADV_DONTDUMP) < 0) {
                int r = -errno;
                (void)munmap(map, map_size);
                return r;
        }
        /* A forked child gets zeros here, not a copy of the secret (Linux 4.14 and later). */
        if (madvise(map, map_size, MADV_WIPEONFORK) < 0 && errno != EINVAL) {
                int r = -errno;
                (void)munmap(map, map_size);
                return r;
        }
        /*
         * Invariant 2: over RLIMIT_MEMLOCK the memory stays unlocked but is still wiped.
         * The system call itself, because sanitizer runtimes turn mlock() into a no-op.
         */
        if (syscall(SYS_mlock, map, map_size) < 0 && errno != EPERM && errno != ENOMEM && errno != EAGAIN) {
                int r = -errno;
                (void)munmap(map, map_size);
                return r;
        }
        ((SecretHeader *)map)->map_size = map_size;
        *memp = map + SECRET_DATA_OFFSET;
        return 0;
}

void *secret_free(void *mem) {
        uint8_t *map;
        size_t map_size;

        if (!mem)
                return NULL;
        map = (uint8_t *)mem - SECRET_DATA_OFFSET;
        map_size = ((SecretHeader *)map)->map_size;
        explicit_bzero(map, map_size);
        if (secret_unmap_hook)
                secret_unmap_hook(map, map_size);
        (void)syscall(SYS_munlock, map, map_size);
        (void)munmap(map, map_size);
        return NULL;
}

/* The bytes usable at mem, which may be more than were asked for. */
static size_t secret_capacity(const void *mem) {
        const uint8_t *map = (const uint8_t *)mem - SECRET_DATA_OFFSET;

        return ((const SecretHeader *)map)->map_size - SECRET_DATA_OFFSET;
}

int secret_read_fd(int fd, size_t max_size, char **datap, size_t *sizep) {
        _cleanup_secret_ char *buf = NULL;
        size_t size = 0, expected = 0;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                if ((uintmax_t)st.st_size > max_size)
                        return -EFBIG;
                expected = (size_t)st.st_size;
        }
        /* Room for the expected bytes, one more to see the end without growing, and a NUL. */
        r = secret_alloc((void **)&buf, expected + 2);
        if (r < 0)
                return r;

        for (;;) {
                size_t capacity = secret_capacity(buf);

                if (capacity - size < 2) {
                        /* The file grew: move to twice the room, wiping the old copy. */
                        _cleanup_secret_ char *old = steal_ptr(&buf);
                        size_t want = capacity > max_size / 2 ? max_size + 2 : capacity * 2;

                        if (want <= capacity)
                                return -EFBIG;
                        r = secret_alloc((void **)&buf, want);
                        if (r < 0)
                                return r;
                        memcpy(buf, old, size);
                        continue;
                }

                ssize_t n = read(fd, buf + size, capacity - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
                if (size > max_size)
                        return -EFBIG;
        }

        buf[size] = '\0';
        *datap = steal_ptr(&buf);
        *sizep = size;
        return 0;
}

int secret_read_file(const char *path, size_t max_size, char **datap, size_t *sizep) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        return secret_read_fd(fd, max_size, datap, sizep);
}
