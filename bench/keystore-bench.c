// SPDX-License-Identifier: Apache-2.0
/*
 * keystore-bench: Ed25519 signatures of 64 bytes, one client, request to checked reply,
 * three ways in one run:
 *
 *   kos      kos_keystore_sign() over the connection kosd handed this app (KOS_KEYSTORE)
 *   agent    ssh-agent, driven over its own socket protocol (SSH_AGENTC_SIGN_REQUEST) by
 *            this C client on one connection: no process per signature
 *   openssl  EVP_DigestSign() in this process: the floor (no IPC, no key isolation)
 *
 * usage: keystore-bench KEY SSH_AUTH_SOCK CALLS OUT
 * Runs as an app under kosd. Each round is timed from the request to a reply checked for
 * form (status, sizes); every signature is then verified with the public key, outside
 * the timing. Writes "MODE p50_us p99_us calls_per_s" lines to OUT.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kos/keystore.h"

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static void report(FILE *out, const char *mode, uint64_t *ns, size_t n, uint64_t total) {
        qsort(ns, n, sizeof(*ns), cmp_u64);
        fprintf(out, "%s %.1f %.1f %.0f\n", mode, ns[n / 2] / 1000.0, ns[n * 99 / 100] / 1000.0,
                n / (total / 1e9));
}

static int verify(const uint8_t pub[32], const uint8_t *msg, size_t size, const uint8_t sig[64]) {
        EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        int ok = k && c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1 &&
                 EVP_DigestVerify(c, sig, 64, msg, size) == 1;
        EVP_MD_CTX_free(c);
        EVP_PKEY_free(k);
        return ok;
}

/* ---- ssh-agent's protocol (draft-miller-ssh-agent): uint32 length, byte type, body. */
static void put32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}
static uint32_t get32(const uint8_t *p) {
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static int full_read(int fd, uint8_t *p, size_t n) {
        while (n) {
                ssize_t r = read(fd, p, n);
                if (r <= 0)
                        return -1;
                p += r, n -= (size_t)r;
        }
        return 0;
}
/* One agent message: writes the request, reads the reply body into buf; returns its size. */
static ssize_t agent_call(int fd, const uint8_t *req, size_t size, uint8_t *buf, size_t cap) {
        uint8_t len[4];
        uint32_t n;

        if (write(fd, req, size) != (ssize_t)size || full_read(fd, len, 4) < 0)
                return -1;
        n = get32(len);
        if (n > cap || full_read(fd, buf, n) < 0)
                return -1;
        return n;
}

int main(int argc, char **argv) {
        static uint8_t sigs[3][20000][64];
        uint8_t msg[64], pub[32], agent_pub[32], buf[4096], req[512], blob[256];
        uint64_t *ns, start, total;
        size_t calls, blob_size = 0;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        FILE *out;
        int fd, r;

        if (argc != 5)
                return 2;
        calls = strtoul(argv[3], NULL, 10);
        if (calls < 100 || calls > 20000)
                return 2;
        out = fopen(argv[4], "w");
        ns = calloc(calls, sizeof(*ns));
        if (!out || !ns)
                return 1;
        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)i;

        /* kos: warm up (the key is generated on first need), then time. */
        if ((r = kos_keystore_public_key(argv[1], pub)) < 0) {
                fprintf(out, "error kos public key: %s\n", strerror(-r));
                return 1;
        }
        for (int i = 0; i < 100; i++)
                (void)kos_keystore_sign(argv[1], 0, msg, sizeof(msg), sigs[0][0]);
        start = now_ns();
        for (size_t i = 0; i < calls; i++) {
                uint64_t t = now_ns();
                if (kos_keystore_sign(argv[1], 0, msg, sizeof(msg), sigs[0][i]) < 0)
                        return fprintf(out, "error kos sign\n"), 1;
                ns[i] = now_ns() - t;
        }
        total = now_ns() - start;
        report(out, "kos", ns, calls, total);

        /* ssh-agent: its first identity's key blob, then sign requests on one connection. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return fprintf(out, "error agent connect\n"), 1;
        put32(req, 1);
        req[4] = 11; /* SSH_AGENTC_REQUEST_IDENTITIES */
        ssize_t n = agent_call(fd, req, 5, buf, sizeof(buf));
        if (n < 9 || buf[0] != 12 || get32(buf + 1) < 1) /* SSH_AGENT_IDENTITIES_ANSWER */
                return fprintf(out, "error agent identities\n"), 1;
        blob_size = get32(buf + 5);
        if (blob_size > sizeof(blob) || blob_size < 51 || (size_t)n < 9 + blob_size)
                return fprintf(out, "error agent key blob\n"), 1;
        memcpy(blob, buf + 9, blob_size);
        memcpy(agent_pub, blob + blob_size - 32, 32); /* string "ssh-ed25519", string pub */
        size_t req_size = 4 + 1 + 4 + blob_size + 4 + sizeof(msg) + 4;
        put32(req, (uint32_t)(req_size - 4));
        req[4] = 13; /* SSH_AGENTC_SIGN_REQUEST */
        put32(req + 5, (uint32_t)blob_size);
        memcpy(req + 9, blob, blob_size);
        put32(req + 9 + blob_size, sizeof(msg));
        memcpy(req + 13 + blob_size, msg, sizeof(msg));
        put32(req + 13 + blob_size + sizeof(msg), 0); /* flags */
        for (int i = 0; i < 100; i++)
                (void)agent_call(fd, req, req_size, buf, sizeof(buf));
        start = now_ns();
        for (size_t i = 0; i < calls; i++) {
                uint64_t t = now_ns();
                n = agent_call(fd, req, req_size, buf, sizeof(buf));
                /* SSH_AGENT_SIGN_RESPONSE: string(string "ssh-ed25519", string sig[64]) */
                if (n != 1 + 4 + 4 + 11 + 4 + 64 || buf[0] != 14 || get32(buf + 5 + 4 + 11) != 64)
                        return fprintf(out, "error agent sign\n"), 1;
                ns[i] = now_ns() - t;
                memcpy(sigs[1][i], buf + n - 64, 64);
        }
        total = now_ns() - start;
        report(out, "agent", ns, calls, total);
        close(fd);

        /* openssl in process: the floor. */
        EVP_PKEY *k = NULL;
        EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
        uint8_t floor_pub[32];
        size_t pl = 32;
        if (!kc || EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &k) != 1 ||
            EVP_PKEY_get_raw_public_key(k, floor_pub, &pl) != 1)
                return fprintf(out, "error openssl keygen\n"), 1;
        start = now_ns();
        for (size_t i = 0; i < calls; i++) {
                uint64_t t = now_ns();
                EVP_MD_CTX *c = EVP_MD_CTX_new();
                size_t sl = 64;
                if (!c || EVP_DigestSignInit(c, NULL, NULL, NULL, k) != 1 ||
                    EVP_DigestSign(c, sigs[2][i], &sl, msg, sizeof(msg)) != 1)
                        return fprintf(out, "error openssl sign\n"), 1;
                EVP_MD_CTX_free(c);
                ns[i] = now_ns() - t;
        }
        total = now_ns() - start;
        report(out, "openssl", ns, calls, total);

        /* Every signature verified, outside the timing. */
        for (size_t i = 0; i < calls; i++)
                if (!verify(pub, msg, sizeof(msg), sigs[0][i]) || !verify(agent_pub, msg, sizeof(msg), sigs[1][i]) ||
                    !verify(floor_pub, msg, sizeof(msg), sigs[2][i]))
                        return fprintf(out, "error: signature %zu does not verify\n", i), 1;
        fprintf(out, "verified %zu\n", 3 * calls);
        fclose(out);
        for (;;)
                pause();
}
