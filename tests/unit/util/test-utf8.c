// SPDX-License-Identifier: Apache-2.0
/* UTF-8 validation: well-formed text passes, everything RFC 3629 forbids fails. */
#include "test.h"
#include "util/utf8.h"

TEST(accepts_text) {
        CHECK(utf8_is_printable(""));
        CHECK(utf8_is_printable("weather station 1.2"));
        CHECK(utf8_is_printable("Zürich – 東京 🚀"));
}

TEST(rejects_controls) {
        CHECK(!utf8_is_printable("two\nlines"));
        CHECK(!utf8_is_printable("esc\x1b[31m"));
        CHECK(!utf8_is_printable("del\x7f"));
        CHECK(!utf8_is_printable("c1 csi \xc2\x9b" "31m")); /* U+009B */
        CHECK(!utf8_is_printable("\xc2\x80"));               /* U+0080 */
        CHECK(utf8_is_printable("nbsp\xc2\xa0\xc2\xbf"));     /* U+00A0, U+00BF */
}

TEST(rejects_malformed) {
        CHECK(!utf8_is_printable("\x80"));             /* lone continuation */
        CHECK(!utf8_is_printable("\xc3"));             /* truncated */
        CHECK(!utf8_is_printable("\xc0\xaf"));         /* overlong '/' */
        CHECK(!utf8_is_printable("\xe0\x80\xaf"));     /* overlong */
        CHECK(!utf8_is_printable("\xed\xa0\x80"));     /* surrogate */
        CHECK(!utf8_is_printable("\xf4\x90\x80\x80")); /* above U+10FFFF */
        CHECK(!utf8_is_printable("\xff"));
        CHECK(utf8_is_printable("\xf4\x8f\xbf\xbf"));  /* U+10FFFF itself */
}

TEST_MAIN()
