// SPDX-License-Identifier: Apache-2.0
/* Logging: one line a message, whatever the message embeds. */
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

/* Logs one error with stderr redirected to a file and returns what was written. */
static char *capture(const char *fmt, const char *arg) {
        char path[] = "/tmp/kos-test-log.XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        char *text = NULL;
        size_t size;

        CHECK(fd >= 0 && saved >= 0);
        CHECK(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        log_error(fmt, arg);
        CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        close(fd);
        CHECK_OK(read_file_full(path, 1 << 20, &text, &size));
        unlink(path);
        return text;
}

TEST(plain_message) {
        _cleanup_free_ char *text = capture("%s: bad", "file.dts");

        CHECK_EQ_STR(text, "kos: file.dts: bad\n");
}

TEST(controls_are_escaped) {
        _cleanup_free_ char *text = capture("%s", "a\nb\tc\rd\x1b[31me\x7f f\xc2\x9bg Zürich");

        CHECK_EQ_STR(text, "kos: a b c\\x0dd\\x1b[31me\\x7f f\\xc2\\x9bg Zürich\n");
}

TEST(long_message_is_one_line) {
        _cleanup_free_ char *arg = malloc(10000), *text = NULL;

        CHECK(arg);
        for (size_t i = 0; i < 9999; i++)
                arg[i] = i % 2 ? '\x01' : 'x';
        arg[9999] = '\0';
        text = capture("%s", arg);
        CHECK(strlen(text) < 2048);
        CHECK_EQ_INT(text[strlen(text) - 1], '\n');
        CHECK(!strchr(text, '\x01'));
        CHECK(strchr(text, '\n') == text + strlen(text) - 1);
}

TEST_MAIN()
