// SPDX-License-Identifier: Apache-2.0
/* The unit state machine's transition table matches the diagram in unit.h. */
#include "supervisor/unit.h"
#include "test.h"

TEST(table) {
        CHECK(unit_transition_allowed(UNIT_STOPPED, UNIT_WAITING));
        CHECK(!unit_transition_allowed(UNIT_STOPPED, UNIT_RUNNING));
        CHECK(!unit_transition_allowed(UNIT_STOPPED, UNIT_STOPPING));
        CHECK(unit_transition_allowed(UNIT_WAITING, UNIT_RUNNING));
        CHECK(unit_transition_allowed(UNIT_SETUP, UNIT_STOPPING));
        CHECK(unit_transition_allowed(UNIT_STARTING, UNIT_RUNNING));
        CHECK(!unit_transition_allowed(UNIT_RUNNING, UNIT_STARTING));
        CHECK(!unit_transition_allowed(UNIT_RUNNING, UNIT_SETUP));
        CHECK(unit_transition_allowed(UNIT_STOPPING, UNIT_WAITING));
        CHECK(!unit_transition_allowed(UNIT_STOPPING, UNIT_RUNNING));
        CHECK(!unit_transition_allowed(UNIT_STOPPING, UNIT_STOPPING));
        CHECK(!unit_transition_allowed(_UNIT_STATE_MAX, UNIT_STOPPED));
        /* Every state can end in STOPPED, directly or through STOPPING. */
        for (int s = 0; s < _UNIT_STATE_MAX; s++)
                CHECK(s == UNIT_STOPPED || unit_transition_allowed(s, UNIT_STOPPED) ||
                      unit_transition_allowed(s, UNIT_STOPPING));
}

TEST(names) {
        CHECK_EQ_STR(unit_state_to_string(UNIT_RUNNING), "running");
        CHECK_EQ_STR(unit_state_to_string(UNIT_STOPPING), "stopping");
        CHECK_EQ_STR(unit_state_to_string(_UNIT_STATE_MAX), "invalid");
}

TEST_MAIN()
