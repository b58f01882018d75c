// SPDX-License-Identifier: Apache-2.0
/* multipart/byteranges bodies: what nginx sends parses to the ranges it names, fed whole
 * or byte by byte; boundaries from Content-Type; what breaks the format is refused. */
#include <string.h>

#include "test.h"
#include "update/byteranges.h"

typedef struct Collected {
        char bytes[256];
        uint64_t offsets[16];
        size_t n_calls, size;
} Collected;

static int collect(uint64_t offset, const void *data, size_t size, void *userdata) {
        Collected *c = userdata;

        if (c->size + size > sizeof(c->bytes) || c->n_calls == 16)
                return -ENOBUFS;
        if (size > 0 && (c->n_calls == 0 || offset != c->offsets[c->n_calls - 1]))
                c->offsets[c->n_calls++] = offset;
        memcpy(c->bytes + c->size, data, size);
        c->size += size;
        return 0;
}

static const char nginx_body[] = "\r\n--00000000001\r\n"
                                 "Content-Type: application/octet-stream\r\n"
                                 "Content-Range: bytes 0-4/100\r\n\r\n"
                                 "hello\r\n--00000000001\r\n"
                                 "Content-Type: application/octet-stream\r\n"
                                 "Content-Range: bytes 50-52/100\r\n\r\n"
                                 "abc\r\n--00000000001--\r\n";

TEST(boundary) {
        char b[UPDATE_BYTERANGES_BOUNDARY_MAX + 1];
        const char *v;

        v = "multipart/byteranges; boundary=00000000001";
        CHECK_OK(update_byteranges_boundary(v, strlen(v), b));
        CHECK_EQ_STR(b, "00000000001");
        v = " Multipart/Byteranges;charset=x; BOUNDARY=\"a b:c\"\r";
        CHECK_OK(update_byteranges_boundary(v, strlen(v) - 1, b));
        CHECK_EQ_STR(b, "a b:c");
        v = "text/html; boundary=x";
        CHECK(update_byteranges_boundary(v, strlen(v), b) == -EBADMSG);
        v = "multipart/byteranges";
        CHECK(update_byteranges_boundary(v, strlen(v), b) == -EBADMSG);
        v = "multipart/byteranges; boundary=";
        CHECK(update_byteranges_boundary(v, strlen(v), b) == -EBADMSG);
        v = "multipart/byteranges; boundary=\"open";
        CHECK(update_byteranges_boundary(v, strlen(v), b) == -EBADMSG);
        v = "multipart/byteranges; boundary=a<b";
        CHECK(update_byteranges_boundary(v, strlen(v), b) == -EBADMSG);
}

TEST(nginx_answer_whole_and_byte_by_byte) {
        for (int split = 0; split < 2; split++) {
                UpdateByteranges p;
                Collected c = {};

                update_byteranges_init(&p, "00000000001");
                if (split)
                        for (size_t i = 0; i < sizeof(nginx_body) - 1; i++)
                                CHECK_OK(update_byteranges_feed(&p, nginx_body + i, 1, collect, &c));
                else
                        CHECK_OK(update_byteranges_feed(&p, nginx_body, sizeof(nginx_body) - 1, collect, &c));
                CHECK_OK(update_byteranges_finish(&p));
                CHECK_EQ_INT(c.size, 8);
                CHECK(memcmp(c.bytes, "helloabc", 8) == 0);
                CHECK_EQ_INT(c.offsets[0], 0);
                CHECK_EQ_INT(c.offsets[c.n_calls - 1] + (split ? 1 : 3), 53);
        }
}

static int parse(const char *body, size_t size) {
        UpdateByteranges p;
        Collected c = {};
        int r;

        update_byteranges_init(&p, "B");
        r = update_byteranges_feed(&p, body, size, collect, &c);
        return r < 0 ? r : update_byteranges_finish(&p);
}

#define PARSE(s) parse(s, sizeof(s) - 1)

TEST(refusals) {
        CHECK_OK(PARSE("--B\nContent-Range: bytes 1-1/2\n\nx\n--B--\n"));
        CHECK_OK(PARSE("--B--"));
        /* cut short: in the bytes, before the closing delimiter */
        CHECK(PARSE("--B\r\nContent-Range: bytes 0-9/10\r\n\r\nabc") == -EPROTO);
        CHECK(PARSE("--B\r\nContent-Range: bytes 0-2/10\r\n\r\nabc\r\n") == -EPROTO);
        /* no Content-Range, a malformed one, two of them */
        CHECK(PARSE("--B\r\nContent-Type: x\r\n\r\nabc\r\n--B--\r\n") == -EPROTO);
        CHECK(PARSE("--B\r\nContent-Range: bytes 5-2/10\r\n\r\nabc\r\n--B--\r\n") == -EPROTO);
        CHECK(PARSE("--B\r\nContent-Range: bytes 0-0/10\r\nContent-Range: bytes 0-0/10\r\n\r\na\r\n--B--\r\n") == -EPROTO);
        /* something else than a delimiter after a part's bytes */
        CHECK(PARSE("--B\r\nContent-Range: bytes 0-0/10\r\n\r\naXX\r\n--B--\r\n") == -EPROTO);
        /* another boundary */
        CHECK(PARSE("--C\r\nContent-Range: bytes 0-0/10\r\n\r\na\r\n--C--\r\n") == -EPROTO);
        /* a header line longer than the bound */
        {
                char body[UPDATE_BYTERANGES_LINE_MAX + 64];

                strcpy(body, "--B\r\nX: ");
                memset(body + 8, 'a', UPDATE_BYTERANGES_LINE_MAX);
                strcpy(body + 8 + UPDATE_BYTERANGES_LINE_MAX, "\r\n");
                CHECK(parse(body, strlen(body)) == -EPROTO);
        }
}

TEST_MAIN()
