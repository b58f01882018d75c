// SPDX-License-Identifier: Apache-2.0
/*
 * keystore-test-client: the key store operations the kos verbs do not offer, for tests,
 * through the public library (libkos-keystore.so and include/kos/keystore.h only).
 *
 *   keystore-test-client agree KEY PEER_PUBLIC_HEX      prints the shared secret, hex
 *   keystore-test-client wrap KEY PURPOSE DATA_HEX      prints the wrapped key, hex
 *   keystore-test-client unwrap KEY PURPOSE WRAPPED_HEX prints the data key, hex
 *   keystore-test-client unwrap-short KEY PURPOSE WRAPPED_HEX
 *                                                       unwraps into 16 bytes, prints the
 *                                                       error, then unwraps into enough
 *   keystore-test-client stall KEY N                    sends N requests, reads no reply
 *
 * Exit 0 on success; 1 with "error: <errno name>: <the key store's reason>" otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kos/keystore.h"

static int unhex(const char *s, uint8_t *out, size_t max, size_t *np) {
        size_t n = strlen(s);

        if (n % 2 || n / 2 > max)
                return -1;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1)
                        return -1;
                out[i] = (uint8_t)v;
        }
        *np = n / 2;
        return 0;
}

static void print_hex(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                printf("%02x", p[i]);
        printf("\n");
}

static int fail(int r) {
        const char *why = kos_keystore_error();
        printf("error: %s: %s\n", r == -EACCES ? "EACCES" : r == -EKEYREJECTED ? "EKEYREJECTED" :
                                  r == -EOPNOTSUPP ? "EOPNOTSUPP" : r == -ENOENT ? "ENOENT" : r == -ENXIO ? "ENXIO" :
                                  r == -EBADMSG ? "EBADMSG" : strerror(-r),
               why ? why : "-");
        return 1;
}

/*
 * A client that never reads its replies: count requests of 16 KiB to sign with key, on
 * the connection from KOS_KEYSTORE, until the key store closes it. Prints how many went.
 */
static int stall(const char *key, int count) {
        static uint8_t req[12 + 63 + KOS_KEYSTORE_DATA_MAX];
        const char *env = getenv(KOS_KEYSTORE_ENV), *eq = env ? strchr(env, '=') : NULL;
        uint8_t name_size = (uint8_t)strlen(key);
        uint32_t data_size = KOS_KEYSTORE_DATA_MAX;
        int fd, sent = 0;

        if (!eq)
                return 2;
        fd = atoi(eq + 1);
        signal(SIGPIPE, SIG_IGN);
        req[0] = 1;
        req[1] = 3; /* sign */
        req[3] = name_size;
        memcpy(req + 8, &data_size, 4);
        memcpy(req + 12, key, name_size);
        for (; sent < count; sent++) {
                uint32_t serial = (uint32_t)sent + 1;
                memcpy(req + 4, &serial, 4);
                if (send(fd, req, 12 + name_size + data_size, MSG_NOSIGNAL) < 0)
                        break;
        }
        printf("sent %d of %d: %s\n", sent, count, sent < count ? "connection closed" : "all");
        return 0;
}

int main(int argc, char **argv) {
        uint8_t in[4096], out[4096];
        size_t n, m;
        int r;

        if (argc == 4 && strcmp(argv[1], "agree") == 0) {
                if (unhex(argv[3], in, 32, &n) < 0 || n != 32)
                        return 2;
                r = kos_keystore_agree(argv[2], in, out);
                if (r < 0)
                        return fail(r);
                print_hex(out, 32);
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "wrap") == 0) {
                void *wrapped;
                if (unhex(argv[4], in, sizeof(in), &n) < 0)
                        return 2;
                r = kos_keystore_wrap(argv[2], argv[3], in, n, &wrapped, &m);
                if (r < 0)
                        return fail(r);
                print_hex(wrapped, m);
                free(wrapped);
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "unwrap") == 0) {
                if (unhex(argv[4], in, sizeof(in), &n) < 0)
                        return 2;
                r = kos_keystore_unwrap(argv[2], argv[3], in, n, out, sizeof(out), &m);
                if (r < 0)
                        return fail(r);
                print_hex(out, m);
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "unwrap-short") == 0) {
                if (unhex(argv[4], in, sizeof(in), &n) < 0)
                        return 2;
                r = kos_keystore_unwrap(argv[2], argv[3], in, n, out, 16, &m);
                printf("%s ", r == -EMSGSIZE ? "EMSGSIZE" : r < 0 ? strerror(-r) : "fits");
                r = kos_keystore_unwrap(argv[2], argv[3], in, n, out, sizeof(out), &m);
                if (r < 0)
                        return fail(r);
                print_hex(out, m);
                return 0;
        }
        if (argc == 4 && strcmp(argv[1], "stall") == 0)
                return stall(argv[2], atoi(argv[3]));
        return 2;
}
