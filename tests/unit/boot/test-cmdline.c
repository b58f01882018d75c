// SPDX-License-Identifier: Apache-2.0
/* The kernel command line: words, quotes, repeated keys, missing values, the "--" end. */
#include "boot/cmdline.h"
#include "test.h"

static BootCmdline *parse(const char *text) {
        BootCmdline *c = NULL;

        CHECK_OK(boot_cmdline_parse(&c, text, strlen(text)));
        return c;
}

TEST(words_and_values) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c =
                parse("console=ttyS0 quiet\tkos.imagefs=LABEL=KOS-IMAGEFS  kos.empty= \n");

        CHECK_EQ_INT(c->n, 4);
        CHECK_EQ_STR(boot_cmdline_value(c, "console"), "ttyS0");
        CHECK(boot_cmdline_find(c, "quiet"));
        CHECK(!boot_cmdline_value(c, "quiet")); /* present, no value */
        CHECK_EQ_STR(boot_cmdline_value(c, "kos.imagefs"), "LABEL=KOS-IMAGEFS"); /* first '=' splits */
        CHECK_EQ_STR(boot_cmdline_value(c, "kos.empty"), "");
        CHECK(!boot_cmdline_find(c, "missing"));
        CHECK(!boot_cmdline_value(c, "missing"));
}

TEST(quotes) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c =
                parse("a=\"x y\" \"b=p q\" c=\"\" d=un\"quo\"ted e=\"open ended");

        CHECK_EQ_STR(boot_cmdline_value(c, "a"), "x y");
        CHECK_EQ_STR(boot_cmdline_value(c, "b"), "p q");
        CHECK_EQ_STR(boot_cmdline_value(c, "c"), "");
        CHECK_EQ_STR(boot_cmdline_value(c, "d"), "unquoted");
        CHECK_EQ_STR(boot_cmdline_value(c, "e"), "open ended");
        CHECK_EQ_INT(c->n, 5);
}

TEST(repeated_key_means_the_last) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c = parse("k=1 k=2 other k k=3");

        CHECK_EQ_STR(boot_cmdline_value(c, "k"), "3");
        CHECK_EQ_INT(c->n, 5);

        _cleanup_(boot_cmdline_freep) BootCmdline *d = parse("k=1 k");
        CHECK(boot_cmdline_find(d, "k"));
        CHECK(!boot_cmdline_value(d, "k")); /* the last has no value */
}

TEST(empty_keys_and_the_end_of_kernel_words) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c = parse("=x \"\" a=1 -- kos.manifest=evil");
        _cleanup_(boot_cmdline_freep) BootCmdline *e = parse("");
        _cleanup_(boot_cmdline_freep) BootCmdline *q = parse("a=1 \"--\" b=2");

        CHECK_EQ_INT(c->n, 1);
        CHECK_EQ_STR(boot_cmdline_value(c, "a"), "1");
        CHECK(!boot_cmdline_find(c, "kos.manifest"));
        CHECK_EQ_INT(e->n, 0);
        CHECK(!boot_cmdline_find(q, "b"));
}

TEST(nul_ends_and_size_limit) {
        static const char text[] = "a=1\0b=2";
        BootCmdline *c = NULL;
        char *big;

        CHECK_OK(boot_cmdline_parse(&c, text, sizeof(text)));
        CHECK_EQ_INT(c->n, 1);
        boot_cmdline_free(c);

        big = calloc(BOOT_CMDLINE_MAX + 1, 1);
        CHECK(big);
        memset(big, 'a', BOOT_CMDLINE_MAX + 1);
        c = NULL;
        CHECK_EQ_INT(boot_cmdline_parse(&c, big, BOOT_CMDLINE_MAX + 1), -E2BIG);
        CHECK(!c);
        free(big);
}

TEST(append_parses_back) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(boot_cmdline_freep) BootCmdline *c = NULL;

        CHECK_OK(boot_cmdline_append(&text, "console", "ttyS0"));
        CHECK_OK(boot_cmdline_append(&text, "kos.imagefs", "LABEL=My Disk"));
        CHECK_OK(boot_cmdline_append(&text, "quiet", NULL));
        CHECK_EQ_STR(text, "console=ttyS0 \"kos.imagefs=LABEL=My Disk\" quiet");
        CHECK_EQ_INT(boot_cmdline_append(&text, "k", "a\"b"), -EINVAL);
        CHECK_EQ_INT(boot_cmdline_append(&text, "k=v", "x"), -EINVAL);
        CHECK_EQ_INT(boot_cmdline_append(&text, "", "x"), -EINVAL);
        CHECK_EQ_STR(text, "console=ttyS0 \"kos.imagefs=LABEL=My Disk\" quiet");

        CHECK_OK(boot_cmdline_parse(&c, text, strlen(text)));
        CHECK_EQ_STR(boot_cmdline_value(c, "kos.imagefs"), "LABEL=My Disk");
        CHECK(boot_cmdline_find(c, "quiet"));
}

TEST_MAIN()
