// SPDX-License-Identifier: Apache-2.0
/* Restart intensity: more than N restarts within T escalate; older ones age out. */
#include "supervisor/intensity.h"
#include "test.h"

TEST(allows_n_restarts_within_period) {
        _cleanup_(restart_intensity_freep) RestartIntensity *ri = NULL;

        CHECK_OK(restart_intensity_new(&ri, 3, 1000));
        CHECK(!restart_intensity_record(ri, 100));
        CHECK(!restart_intensity_record(ri, 200));
        CHECK(!restart_intensity_record(ri, 300));
        CHECK(restart_intensity_record(ri, 400)); /* the 4th within 1000 ms */
}

TEST(old_restarts_age_out) {
        _cleanup_(restart_intensity_freep) RestartIntensity *ri = NULL;

        CHECK_OK(restart_intensity_new(&ri, 2, 1000));
        CHECK(!restart_intensity_record(ri, 0));
        CHECK(!restart_intensity_record(ri, 500));
        CHECK(!restart_intensity_record(ri, 1000)); /* the one at 0 is exactly a period old */
        CHECK(!restart_intensity_record(ri, 1600));
        CHECK(restart_intensity_record(ri, 1700)); /* 1000, 1600, 1700 */
}

TEST(zero_escalates_at_once) {
        _cleanup_(restart_intensity_freep) RestartIntensity *ri = NULL;

        CHECK_OK(restart_intensity_new(&ri, 0, 10000));
        CHECK(restart_intensity_record(ri, 5));
}

TEST(slow_crash_loop_never_escalates) {
        _cleanup_(restart_intensity_freep) RestartIntensity *ri = NULL;

        CHECK_OK(restart_intensity_new(&ri, 5, 10000));
        for (uint64_t t = 0; t < 1000000; t += 2001)
                CHECK(!restart_intensity_record(ri, t));
}

TEST_MAIN()
