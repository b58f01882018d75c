// SPDX-License-Identifier: Apache-2.0
/*
 * Read strategies for hashing store objects, compared in one process on the same files:
 * which way of getting page-cache bytes into SHA-256 comes closest to hashing from memory
 * (the floor: the same EVP calls on a buffer that is already in cache)?
 *
 *   read-N      read() into an N KiB buffer, hash each chunk (N = 16 .. 1024)
 *   mmap        mmap() the file, madvise(MADV_SEQUENTIAL), hash the mapping
 *   mmap-pop    the same with MAP_POPULATE (page tables filled before hashing)
 *   afalg       sendfile() into the kernel's AF_ALG sha256: hashed in place, no copy
 *   read-256-alloc  read-256 as sha256_fd() does it (context and buffer per file)
 *   memory      the floor: hash a 256 KiB buffer in place, as many bytes as the files
 *
 * Strategies run in alternating rounds (each round hashes every file once per strategy)
 * so that a neighbour's load falls on all of them alike; each figure is the best round,
 * by CPU time (user + system) of this thread, in MB/s (10^6 bytes), printed as
 * "NAME CPU-MB/s WALL-MB/s" (wall time of that same round), or "NAME n/a n/a" where the
 * strategy is not available (AF_ALG needs CONFIG_CRYPTO_USER_API_HASH).
 *
 *   direct-1024 read() with O_DIRECT, 1 MiB: from the device by DMA, past the page cache
 *
 * usage: store-hash-read ROUNDS FILE...
 * Built by bench/store-verify.sh: cc -O2 store-hash-read.c -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_alg.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

typedef struct Strategy {
        const char *name;
        size_t chunk;  /* read size, or 0 */
        int mmap_flags; /* -1: not mmap */
        int open_flags; /* extra open() flags for read-N (O_DIRECT) */
        double best;   /* MB per CPU second */
        double best_wall; /* MB per wall second, in the same round */
} Strategy;

static uint8_t sink[32];

static double cpu_seconds(void) {
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path) {
        fprintf(stderr, "store-hash-read: %s: %s: %s\n", what, path, strerror(errno));
        exit(1);
}

static double wall_seconds(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t hash_read(const char *path, uint8_t *buf, size_t chunk, int flags, EVP_MD_CTX *md) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
        uint64_t total = 0;

        if (fd < 0)
                die("open", path);
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        for (;;) {
                ssize_t n = read(fd, buf, chunk);
                if (n < 0)
                        die("read", path);
                if (n == 0)
                        break;
                EVP_DigestUpdate(md, buf, (size_t)n);
                total += (uint64_t)n;
        }
        EVP_DigestFinal_ex(md, sink, NULL);
        close(fd);
        return total;
}

static uint64_t hash_mmap(const char *path, int flags, EVP_MD_CTX *md) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        void *p;

        if (fd < 0 || fstat(fd, &st) < 0)
                die("open", path);
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        if (st.st_size > 0) {
                p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | flags, fd, 0);
                if (p == MAP_FAILED)
                        die("mmap", path);
                (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
                EVP_DigestUpdate(md, p, (size_t)st.st_size);
                munmap(p, (size_t)st.st_size);
        }
        EVP_DigestFinal_ex(md, sink, NULL);
        close(fd);
        return (uint64_t)st.st_size;
}

/*
 * The kernel hashes the page-cache pages in place: sendfile() into an AF_ALG sha256
 * socket (no copy to user space). alg is a bound AF_ALG socket; -1 if unavailable.
 */
static uint64_t hash_afalg(const char *path, int alg) {
        int fd = open(path, O_RDONLY | O_CLOEXEC), op;
        struct stat st;
        off_t off = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                die("open", path);
        op = accept(alg, NULL, 0);
        if (op < 0)
                die("accept", "AF_ALG");
        while (off < st.st_size) {
                ssize_t n = sendfile(op, fd, &off, (size_t)(st.st_size - off));
                if (n <= 0)
                        die("sendfile", path);
        }
        if (read(op, sink, sizeof(sink)) != (ssize_t)sizeof(sink))
                die("read digest", path);
        close(op);
        close(fd);
        return (uint64_t)st.st_size;
}

/* read-256 as sha256_fd() does it: a new EVP context and a new 256 KiB buffer per file. */
static uint64_t hash_read_alloc(const char *path) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        uint8_t *buf = malloc(256 << 10);
        uint64_t total;

        if (!md || !buf)
                die("malloc", path);
        total = hash_read(path, buf, 256 << 10, 0, md);
        free(buf);
        EVP_MD_CTX_free(md);
        return total;
}

/* The floor: the same bytes hashed from a buffer already in cache, in 256 KiB updates. */
static uint64_t hash_memory(uint64_t bytes, const uint8_t *buf, size_t file_size, EVP_MD_CTX *md) {
        uint64_t done = 0;

        while (done < bytes) {
                size_t n = file_size < bytes - done ? file_size : (size_t)(bytes - done);
                EVP_DigestInit_ex(md, EVP_sha256(), NULL);
                for (size_t off = 0; off < n; off += 256 * 1024)
                        EVP_DigestUpdate(md, buf, n - off < 256 * 1024 ? n - off : 256 * 1024);
                EVP_DigestFinal_ex(md, sink, NULL);
                done += n;
        }
        return done;
}

int main(int argc, char **argv) {
        Strategy strategies[] = {
                { "read-16", 16 << 10, -1, 0, 0, 0 },    { "read-64", 64 << 10, -1, 0, 0, 0 },
                { "read-128", 128 << 10, -1, 0, 0, 0 },  { "read-256", 256 << 10, -1, 0, 0, 0 },
                { "read-1024", 1 << 20, -1, 0, 0, 0 },   { "direct-1024", 1 << 20, -1, O_DIRECT, 0, 0 },
                { "mmap", 0, 0, 0, 0, 0 },               { "mmap-pop", 0, MAP_POPULATE, 0, 0, 0 },
                { "afalg", 0, -1, 0, 0, 0 },             { "read-256-alloc", 256 << 10, -1, 0, 0, 0 },
                { "memory", 0, -1, 0, 0, 0 },
        };
        size_t n_strategies = sizeof(strategies) / sizeof(strategies[0]);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        uint8_t *buf = aligned_alloc(4096, 1 << 20);
        uint64_t bytes = 0;
        size_t file_size = 0;
        struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash", .salg_name = "sha256" };
        int rounds, alg;

        if (argc < 3 || (rounds = atoi(argv[1])) < 1) {
                fprintf(stderr, "usage: store-hash-read ROUNDS FILE...\n");
                return 2;
        }
        memset(buf, 0x5a, 1 << 20);
        alg = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (alg >= 0 && bind(alg, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(alg);
                alg = -1;
        }
        for (int i = 2; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0)
                        die("stat", argv[i]);
                bytes += (uint64_t)st.st_size;
                if ((size_t)st.st_size > file_size)
                        file_size = (size_t)st.st_size;
        }
        if (file_size > (1 << 20))
                file_size = 1 << 20;
        for (int round = 0; round <= rounds; round++) { /* round 0 warms the page cache */
                for (size_t s = 0; s < n_strategies; s++) {
                        Strategy *st = &strategies[s];
                        uint64_t total = 0;
                        double t0 = cpu_seconds(), w0 = wall_seconds(), t, w;

                        if (strcmp(st->name, "memory") == 0)
                                total = hash_memory(bytes, buf, file_size, md);
                        else if (strcmp(st->name, "read-256-alloc") == 0) {
                                for (int i = 2; i < argc; i++)
                                        total += hash_read_alloc(argv[i]);
                        } else if (strcmp(st->name, "afalg") == 0) {
                                if (alg < 0)
                                        continue;
                                for (int i = 2; i < argc; i++)
                                        total += hash_afalg(argv[i], alg);
                        }
                        else
                                for (int i = 2; i < argc; i++)
                                        total += st->mmap_flags >= 0 ? hash_mmap(argv[i], st->mmap_flags, md)
                                                                     : hash_read(argv[i], buf, st->chunk, st->open_flags, md);
                        t = cpu_seconds() - t0;
                        w = wall_seconds() - w0;
                        if (round > 0 && t > 0 && (double)total / 1e6 / t > st->best) {
                                st->best = (double)total / 1e6 / t;
                                st->best_wall = (double)total / 1e6 / w;
                        }
                }
        }
        for (size_t s = 0; s < n_strategies; s++)
                if (strategies[s].best > 0)
                        printf("%s %.1f %.1f\n", strategies[s].name, strategies[s].best, strategies[s].best_wall);
                else
                        printf("%s n/a n/a\n", strategies[s].name);
        EVP_MD_CTX_free(md);
        free(buf);
        return 0;
}
