// SPDX-License-Identifier: Apache-2.0
/* Ref names and the ref and generation text formats: what is accepted, what is refused. */
#include <string.h>

#include "store/store.h"
#include "test.h"

TEST(ref_names) {
        CHECK(store_ref_name_is_valid("latest"));
        CHECK(store_ref_name_is_valid("v1.2_rc-3"));
        CHECK(!store_ref_name_is_valid(""));
        CHECK(!store_ref_name_is_valid(NULL));
        CHECK(!store_ref_name_is_valid("."));
        CHECK(!store_ref_name_is_valid(".."));
        CHECK(!store_ref_name_is_valid("../x"));
        CHECK(!store_ref_name_is_valid("a/b"));
        CHECK(!store_ref_name_is_valid(".hidden"));
        CHECK(!store_ref_name_is_valid("a b"));
        CHECK(!store_ref_name_is_valid("a\nb"));
        char longname[STORE_REF_NAME_MAX + 2];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        CHECK(!store_ref_name_is_valid(longname));
        longname[STORE_REF_NAME_MAX] = '\0';
        CHECK(store_ref_name_is_valid(longname));
        CHECK(store_ref_name_is_reserved("current"));
        CHECK(store_ref_name_is_reserved("booted"));
        CHECK(!store_ref_name_is_reserved("latest"));
}

#define D1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

TEST(ref_round_trip) {
        const char *text = "manifest " D1 "\nsignatures " D2 "\ngeneration 7\n";
        _cleanup_free_ char *out = NULL;
        StoreRef ref;

        CHECK_OK(store_ref_parse(text, strlen(text), &ref));
        CHECK(ref.has_signatures);
        CHECK_EQ_INT(ref.generation, 7);
        CHECK_OK(store_ref_format(&ref, &out));
        CHECK_EQ_STR(out, text);
}

TEST(ref_refuses) {
        static const char *const bad[] = {
                "",
                "signatures " D2 "\n",                         /* no manifest */
                "manifest ../../../../etc/passwd\n",          /* a path for a digest */
                "manifest " D1 "/..\n",
                "manifest 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
                "manifest " D1 "\nmanifest " D1 "\n",          /* duplicate */
                "manifest " D1 "\ngeneration 0\n",
                "manifest " D1 "\ngeneration 007\n",
                "manifest " D1 "\ngeneration 99999999999\n",
                "manifest " D1 "\nfoo bar\n",
                "manifest  " D1 "\n",
                "manifest " D1 "\r\n",
                "manifest " D1 "\n\n",
        };
        StoreRef ref;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (store_ref_parse(bad[i], strlen(bad[i]), &ref) != -EBADMSG)
                        TEST_FAIL("accepted: %s", bad[i]);
        /* An embedded NUL ends nothing: it is refused. */
        CHECK_EQ_INT(store_ref_parse("manifest " D1 "\0x\n", 9 + 64 + 3, &ref), -EBADMSG);
}

TEST(generation_round_trip) {
        const char *text = "manifest " D1 "\nversion 4294967295\nstate pending\ntries 3\n";
        _cleanup_free_ char *out = NULL;
        StoreGeneration gen;

        CHECK_OK(store_generation_parse(text, strlen(text), &gen));
        CHECK(!gen.has_signatures);
        CHECK_EQ_INT(gen.version, 4294967295U);
        CHECK_EQ_INT(gen.state, STORE_GENERATION_PENDING);
        CHECK_OK(store_generation_format(&gen, &out));
        CHECK_EQ_STR(out, text);
        const char *weird = "manifest " D1 "\nversion 1\nstate weird\ntries 3\n";
        CHECK_EQ_INT(store_generation_parse(weird, strlen(weird), &gen), -EBADMSG);
        const char *no_tries = "manifest " D1 "\nversion 1\nstate good\n";
        CHECK_EQ_INT(store_generation_parse(no_tries, strlen(no_tries), &gen), -EBADMSG);
        const char *too_many = "manifest " D1 "\nversion 1\nstate good\ntries 1001\n";
        CHECK_EQ_INT(store_generation_parse(too_many, strlen(too_many), &gen), -EBADMSG);
}

TEST_MAIN()
