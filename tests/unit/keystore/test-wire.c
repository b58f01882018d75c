// SPDX-License-Identifier: Apache-2.0
/* The key store's wire format (src/keystore/wire.c): what parses, what is refused and why. */
#include <errno.h>
#include <string.h>

#include "keystore/wire.h"
#include "util/cleanup.h"
#include "test.h"

static uint8_t buf[KEYSTORE_REQUEST_MAX];

static int parse(size_t n, KeystoreRequest *req, char *why) {
        return keystore_request_parse(buf, n, req, why, 160);
}

TEST(round_trip) {
        KeystoreRequest req;
        char why[160];
        int n;

        n = keystore_request_build(buf, KEYSTORE_OP_SIGN, KEYSTORE_FLAG_CONTEXT, 42, "orbit-identity", NULL, "hi", 2);
        CHECK_EQ_INT(n, 12 + 14 + 2);
        CHECK_OK(parse((size_t)n, &req, why));
        CHECK_EQ_INT(req.operation, KEYSTORE_OP_SIGN);
        CHECK_EQ_INT(req.flags, KEYSTORE_FLAG_CONTEXT);
        CHECK_EQ_INT(req.serial, 42);
        CHECK_EQ_STR(req.name, "orbit-identity");
        CHECK_EQ_INT(req.data_size, 2);
        CHECK(memcmp(req.data, "hi", 2) == 0);
        CHECK_EQ_INT(keystore_request_serial(buf, (size_t)n), 42);

        uint8_t key[16] = { 1, 2, 3 };
        n = keystore_request_build(buf, KEYSTORE_OP_WRAP, 0, 7, "disk", "component:site", key, sizeof(key));
        CHECK_OK(parse((size_t)n, &req, why));
        CHECK_EQ_STR(req.purpose, "component:site");
        CHECK_EQ_INT(req.payload_size, 16);
        CHECK(memcmp(req.payload, key, 16) == 0);

        n = keystore_request_build(buf, KEYSTORE_OP_LIST, 0, 1, NULL, NULL, NULL, 0);
        CHECK_EQ_INT(n, 12);
        CHECK_OK(parse((size_t)n, &req, why));
        CHECK_EQ_STR(req.name, "");
}

TEST(refusals) {
        static const struct {
                uint8_t op, flags;
                const char *name, *purpose;
                size_t data_size;
                const char *why;
        } cases[] = {
                { KEYSTORE_OP_PUBLIC_KEY, 1, "k", NULL, 0, "public-key: unknown flags 0x01" },
                { KEYSTORE_OP_PUBLIC_KEY, 0, "k", NULL, 1, "public-key takes no data" },
                { KEYSTORE_OP_AGREE, 0, "k", NULL, 31, "agree takes a 32-byte public key, not 31 bytes" },
                { KEYSTORE_OP_IMPORT, 0, "k", NULL, 33, "import takes a 32-byte private key, not 33 bytes" },
                { KEYSTORE_OP_WRAP, 0, "k", "p", 15, "wrap: a data key of 15 bytes (16-64)" },
                { KEYSTORE_OP_WRAP, 0, "k", "p", 65, "wrap: a data key of 65 bytes (16-64)" },
                { KEYSTORE_OP_UNWRAP, 0, "k", "p", 0, "unwrap: nothing to unwrap" },
        };
        static const uint8_t zeros[128];
        KeystoreRequest req;
        char why[160];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int n = keystore_request_build(buf, cases[i].op, cases[i].flags, 1, cases[i].name, cases[i].purpose,
                                               zeros, cases[i].data_size);
                CHECK(n > 0);
                CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
                CHECK_EQ_STR(why, cases[i].why);
        }

        /* Header-level faults, written by hand. */
        int n = keystore_request_build(buf, KEYSTORE_OP_SIGN, 0, 1, "k", NULL, "x", 1);
        CHECK_EQ_INT(parse(5, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "request of 5 bytes, shorter than its header");
        CHECK_EQ_INT(parse((size_t)n - 1, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "sign: sizes do not add up to the 13 bytes received");
        buf[0] = 2;
        CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "unknown version 2");
        buf[0] = 1, buf[1] = 99;
        CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "unknown operation 99");
        buf[1] = KEYSTORE_OP_SIGN, buf[12] = '-';
        CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "sign: invalid key name");
        buf[12] = 'k', buf[8] = 0xff, buf[9] = 0xff;
        CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "sign: 65535 bytes of data, more than 16384");

        /* What the builder refuses to write at all. */
        CHECK_EQ_INT(keystore_request_build(buf, KEYSTORE_OP_SIGN, 0, 1, "a/b", NULL, NULL, 0), -EINVAL);
        CHECK_EQ_INT(keystore_request_build(buf, KEYSTORE_OP_WRAP, 0, 1, "k", "has space", zeros, 16), -EINVAL);
        CHECK_EQ_INT(keystore_request_build(buf, KEYSTORE_OP_SIGN, 0, 1, "k", NULL, buf, KOS_KEYSTORE_DATA_MAX + 1),
                     -EINVAL);
}

/* Invariant 3: an app cannot have a plain signature made over a context-bound message. */
TEST(plain_sign_of_a_context_message_is_refused) {
        uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX + 4];
        KeystoreRequest req;
        char why[160];
        size_t size;
        int n;

        size = keystore_context_prefix("tunnel/vpn", prefix);
        memcpy(prefix + size, "msg", 3);
        n = keystore_request_build(buf, KEYSTORE_OP_SIGN, 0, 1, "vpn", NULL, prefix, size + 3);
        CHECK(n > 0);
        CHECK_EQ_INT(parse((size_t)n, &req, why), -EBADMSG);
        CHECK_EQ_STR(why, "sign: a plain signature of a message that starts with the context label");
        /* The label alone, without its NUL, is an ordinary message; with the flag, any message is. */
        n = keystore_request_build(buf, KEYSTORE_OP_SIGN, 0, 1, "vpn", NULL, KEYSTORE_CONTEXT_LABEL,
                                   sizeof(KEYSTORE_CONTEXT_LABEL) - 1);
        CHECK_OK(parse((size_t)n, &req, why));
        n = keystore_request_build(buf, KEYSTORE_OP_SIGN, KEYSTORE_FLAG_CONTEXT, 1, "vpn", NULL, prefix, size + 3);
        CHECK_OK(parse((size_t)n, &req, why));
}

TEST(reply) {
        uint8_t reply[KEYSTORE_REPLY_HEADER_SIZE + 3];
        const uint8_t *payload;
        size_t size;
        uint32_t status;

        keystore_reply_header(reply, KEYSTORE_OP_SIGN, 9, KEYSTORE_STATUS_DENIED, 3);
        memcpy(reply + KEYSTORE_REPLY_HEADER_SIZE, "why", 3);
        CHECK_OK(keystore_reply_parse(reply, sizeof(reply), KEYSTORE_OP_SIGN, 9, &status, &payload, &size));
        CHECK_EQ_INT(status, KEYSTORE_STATUS_DENIED);
        CHECK_EQ_INT(size, 3);
        /* Another serial, another operation, a short or unknown-status reply: -EPROTO. */
        CHECK_EQ_INT(keystore_reply_parse(reply, sizeof(reply), KEYSTORE_OP_SIGN, 8, &status, &payload, &size), -EPROTO);
        CHECK_EQ_INT(keystore_reply_parse(reply, sizeof(reply), KEYSTORE_OP_LIST, 9, &status, &payload, &size), -EPROTO);
        CHECK_EQ_INT(keystore_reply_parse(reply, sizeof(reply) - 1, KEYSTORE_OP_SIGN, 9, &status, &payload, &size),
                     -EPROTO);
        keystore_reply_header(reply, KEYSTORE_OP_SIGN, 9, _KEYSTORE_STATUS_MAX, 3);
        CHECK_EQ_INT(keystore_reply_parse(reply, sizeof(reply), KEYSTORE_OP_SIGN, 9, &status, &payload, &size), -EPROTO);
}

TEST(context) {
        char ctx[KEYSTORE_CONTEXT_MAX];
        uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX];
        static const uint8_t want[] = "KOS keystore context v1\0\x14" "admin/orbit-identity";
        size_t n;

        CHECK_EQ_INT(keystore_context("admin", "orbit-identity", ctx), 20);
        CHECK_EQ_STR(ctx, "admin/orbit-identity");
        n = keystore_context_prefix(ctx, prefix);
        CHECK_EQ_INT(n, sizeof(want) - 1);
        CHECK(memcmp(prefix, want, n) == 0);
        CHECK_EQ_INT(keystore_context("a/b", "k", ctx), -EINVAL);
}

TEST_MAIN()
