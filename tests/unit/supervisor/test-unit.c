// SPDX-License-Identifier: Apache-2.0
/*
 * The unit state machine and the scheduling rules (unit.h, unit-set.h), driven through
 * fake UnitOps: no process runs, no clock is read, nothing sleeps. Every spawn and signal
 * the machine asks for is written to a log the tests compare.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "supervisor/unit-set.h"
#include "supervisor/unit.h"
#include "test.h"
#include "util/log.h"

typedef struct Fake {
        char log[4096];
        uint64_t now;
        pid_t next_pid;
        const char *fail_spawn; /* unit name whose spawn fails */
        unsigned settled;
} Fake;

static Fake fake;

static void fake_log(const char *fmt, const char *name, const char *what) {
        size_t n = strlen(fake.log);
        snprintf(fake.log + n, sizeof(fake.log) - n, fmt, name, what);
}

static int fake_spawn(void *userdata, Unit *u, bool script, pid_t *pidp) {
        if (fake.fail_spawn && strcmp(fake.fail_spawn, u->name) == 0) {
                fake_log("fail %s%s;", u->name, "");
                return -ENOENT;
        }
        fake_log("%s %s;", script ? "script" : "spawn", u->name);
        *pidp = ++fake.next_pid;
        return 0;
}

static void fake_kill(void *userdata, Unit *u, int sig) {
        if (sig != SIGCONT)
                fake_log("%s %s;", sig == SIGKILL ? "kill" : "term", u->name);
}

static uint64_t fake_now(void *userdata) {
        return fake.now;
}

static void fake_settled(void *userdata) {
        fake.settled++;
}

static const UnitOps fake_ops = {
        .spawn = fake_spawn, .kill = fake_kill, .now = fake_now, .settled = fake_settled,
};

static ManifestNodeManager settings = {
        .restart_intensity = 5, .restart_period_ms = 10000, .settle_time_ms = 50, .stop_timeout_ms = 500,
};

/* Units named names[], all restart = permanent and ready = started unless changed. */
static void set_up(UnitSet *set, const char *const *names, size_t n) {
        fake = (Fake){ .next_pid = 100 };
        CHECK_OK(unit_set_init(set, n, &settings, 0, &fake_ops));
        for (size_t i = 0; i < n; i++) {
                Unit *u = &set->units[i];
                u->name = strdup(names[i]);
                CHECK(u->name);
                u->restart = MANIFEST_RESTART_PERMANENT;
                u->ready = MANIFEST_READY_STARTED;
                u->dependents = calloc(n, sizeof(size_t));
                CHECK(u->dependents);
        }
}

static void depends(UnitSet *set, size_t unit, size_t dependent) {
        Unit *u = &set->units[unit];
        u->dependents[u->n_dependents++] = dependent;
}

static void expect_log(const char *expected) {
        CHECK_EQ_STR(fake.log, expected);
        fake.log[0] = '\0';
}

static void exit_with(Unit *u, int code, int status) {
        CHECK(unit_is_active(u));
        unit_handle_exit(u, code, status);
}

/* Every stop asked for completes: the stopping unit exits on SIGTERM, in turn. */
static void stops_complete(UnitSet *set) {
        for (bool again = true; again;) {
                again = false;
                unit_set_run(set);
                for (size_t i = 0; i < set->n_units; i++)
                        if (set->units[i].state == UNIT_STOPPING) {
                                exit_with(&set->units[i], CLD_KILLED, SIGTERM);
                                again = true;
                        }
        }
}

static const char *const example[] = { "ethernet", "tunnel", "hello-phx", "admin", "logger" };

static void set_up_example(UnitSet *set) {
        set_up(set, example, 5);
        depends(set, 0, 1), depends(set, 0, 2), depends(set, 0, 3); /* ethernet: tunnel, hello-phx, admin */
        depends(set, 1, 2), depends(set, 1, 3);                     /* tunnel: hello-phx, admin */
}

TEST(boot_starts_in_order) {
        UnitSet set;

        set_up_example(&set);
        unit_set_run(&set);
        expect_log("spawn ethernet;spawn tunnel;spawn hello-phx;spawn admin;spawn logger;");
        for (size_t i = 0; i < set.n_units; i++)
                CHECK_EQ_INT(set.units[i].state, UNIT_RUNNING);
        unit_set_done(&set);
}

TEST(fault_restarts_chain_in_reverse_then_forward) {
        UnitSet set;
        pid_t logger;

        set_up_example(&set);
        unit_set_run(&set);
        expect_log("spawn ethernet;spawn tunnel;spawn hello-phx;spawn admin;spawn logger;");
        logger = set.units[4].pid;
        exit_with(&set.units[0], CLD_EXITED, 1);
        CHECK_EQ_INT(set.units[0].state, UNIT_WAITING);
        stops_complete(&set);
        unit_set_run(&set);
        expect_log("term admin;term hello-phx;term tunnel;spawn ethernet;spawn tunnel;spawn hello-phx;spawn admin;");
        CHECK_EQ_INT(set.units[4].pid, logger); /* outside the chain: untouched */
        CHECK_EQ_INT(set.units[0].restarts, 1);
        CHECK_EQ_INT(set.units[3].restarts, 1);
        CHECK_EQ_INT(set.units[4].restarts, 0);
        unit_set_done(&set);
}

TEST(fault_of_a_middle_unit_leaves_the_units_before_it) {
        UnitSet set;

        set_up_example(&set);
        unit_set_run(&set);
        fake.log[0] = '\0';
        exit_with(&set.units[1], CLD_KILLED, SIGSEGV); /* tunnel */
        stops_complete(&set);
        expect_log("term admin;term hello-phx;spawn tunnel;spawn hello-phx;spawn admin;");
        unit_set_done(&set);
}

TEST(intensity_escalates_to_stopping_everything) {
        UnitSet set;

        settings.restart_intensity = 2;
        set_up_example(&set);
        settings.restart_intensity = 5;
        unit_set_run(&set);
        fake.log[0] = '\0';
        for (int i = 0; i < 2; i++) {
                fake.now += 10;
                exit_with(&set.units[4], CLD_EXITED, 1); /* logger: no dependents */
                unit_set_run(&set);
        }
        expect_log("spawn logger;spawn logger;");
        CHECK(!set.shutting_down);
        fake.now += 10;
        exit_with(&set.units[4], CLD_EXITED, 1); /* the third within the period */
        CHECK(set.shutting_down);
        CHECK_EQ_INT(set.units[4].state, UNIT_STOPPED);
        stops_complete(&set);
        expect_log("term admin;term hello-phx;term tunnel;term ethernet;");
        CHECK(unit_set_finished(&set));
        CHECK_EQ_INT(set.exit_status, 1);
        unit_set_done(&set);
}

TEST(faults_spread_over_time_do_not_escalate) {
        UnitSet set;

        settings.restart_intensity = 2;
        set_up_example(&set);
        settings.restart_intensity = 5;
        unit_set_run(&set);
        for (int i = 0; i < 10; i++) {
                fake.now += settings.restart_period_ms;
                exit_with(&set.units[4], CLD_EXITED, 1);
                unit_set_run(&set);
        }
        CHECK(!set.shutting_down);
        CHECK_EQ_INT(set.units[4].restarts, 10);
        unit_set_done(&set);
}

TEST(restart_types) {
        static const char *const names[] = { "perm", "trans", "temp" };
        UnitSet set;

        set_up(&set, names, 3);
        set.units[1].restart = MANIFEST_RESTART_TRANSIENT;
        set.units[2].restart = MANIFEST_RESTART_TEMPORARY;
        unit_set_run(&set);
        fake.log[0] = '\0';
        exit_with(&set.units[2], CLD_EXITED, 1); /* temporary: never again */
        exit_with(&set.units[1], CLD_EXITED, 0); /* transient, clean: not again */
        exit_with(&set.units[0], CLD_EXITED, 0); /* permanent, clean: again */
        unit_set_run(&set);
        expect_log("spawn perm;");
        CHECK_EQ_INT(set.units[1].state, UNIT_STOPPED);
        CHECK_EQ_INT(set.units[2].state, UNIT_STOPPED);
        CHECK_OK(unit_set_start(&set, &set.units[1]) == 1 ? 0 : -EINVAL);
        unit_set_run(&set);
        exit_with(&set.units[1], CLD_KILLED, SIGKILL); /* transient, abnormal: again */
        unit_set_run(&set);
        expect_log("spawn trans;spawn trans;");
        unit_set_done(&set);
}

TEST(notify_waits_for_ready_and_start_timeout_is_a_fault) {
        static const char *const names[] = { "slow", "after" };
        UnitSet set;

        set_up(&set, names, 2);
        set.start_timeout_ms = 100;
        set.units[0].ready = MANIFEST_READY_NOTIFY;
        unit_set_run(&set);
        expect_log("spawn slow;"); /* "after" waits for slow's READY=1 */
        CHECK_EQ_INT(set.units[0].state, UNIT_STARTING);
        CHECK_EQ_INT(unit_set_timers(&set), 100);
        fake.now = 100;
        /* The stop that the timeout queued went out at once: its SIGKILL deadline is next. */
        CHECK_EQ_INT(unit_set_timers(&set), 100 + settings.stop_timeout_ms);
        expect_log("term slow;");
        exit_with(&set.units[0], CLD_KILLED, SIGTERM);
        CHECK_EQ_INT(set.units[0].state, UNIT_WAITING); /* a fault: restarted */
        CHECK_EQ_INT(set.units[0].restarts, 1);
        unit_set_run(&set);
        expect_log("spawn slow;");
        CHECK(unit_handle(&set.units[0], UNIT_EVENT_READY));
        CHECK(!unit_handle(&set.units[0], UNIT_EVENT_READY)); /* means nothing twice */
        unit_set_run(&set);
        expect_log("spawn after;");
        unit_set_done(&set);
}

TEST(stop_timeout_sends_sigkill_once) {
        static const char *const names[] = { "stubborn" };
        UnitSet set;

        set_up(&set, names, 1);
        unit_set_run(&set);
        unit_set_shutdown(&set, 0);
        unit_set_run(&set);
        CHECK_EQ_INT(unit_set_timers(&set), settings.stop_timeout_ms);
        fake.now = settings.stop_timeout_ms;
        CHECK_EQ_INT(unit_set_timers(&set), 0);
        CHECK_EQ_INT(unit_set_timers(&set), 0);
        expect_log("spawn stubborn;term stubborn;kill stubborn;");
        CHECK(!unit_set_finished(&set));
        exit_with(&set.units[0], CLD_KILLED, SIGKILL);
        CHECK(unit_set_finished(&set));
        CHECK_EQ_INT(set.exit_status, 0);
        unit_set_done(&set);
}

TEST(setup_script_runs_first_and_its_failure_is_a_fault) {
        static const char *const names[] = { "eth" };
        UnitSet set;

        set_up(&set, names, 1);
        set.units[0].setup_script = "/usr/lib/kos/eth-clock.sh";
        unit_set_run(&set);
        CHECK_EQ_INT(set.units[0].state, UNIT_SETUP);
        exit_with(&set.units[0], CLD_EXITED, 0);
        CHECK_EQ_INT(set.units[0].state, UNIT_RUNNING);
        exit_with(&set.units[0], CLD_EXITED, 1);
        unit_set_run(&set);
        exit_with(&set.units[0], CLD_EXITED, 3); /* the script fails: the app never runs */
        CHECK_EQ_INT(set.units[0].state, UNIT_WAITING);
        expect_log("script eth;spawn eth;script eth;");
        unit_set_done(&set);
}

TEST(spawn_failure_is_a_fault) {
        static const char *const names[] = { "missing" };
        UnitSet set;

        settings.restart_intensity = 1;
        set_up(&set, names, 1);
        settings.restart_intensity = 5;
        fake.fail_spawn = "missing";
        unit_set_run(&set);
        expect_log("fail missing;fail missing;");
        CHECK(set.shutting_down);
        CHECK(unit_set_finished(&set));
        CHECK_EQ_INT(set.exit_status, 1);
        unit_set_done(&set);
}

TEST(control_requests_act_on_the_chain) {
        UnitSet set;

        set_up_example(&set);
        unit_set_run(&set);
        fake.log[0] = '\0';
        unit_set_stop(&set, &set.units[1]); /* tunnel and its dependents */
        stops_complete(&set);
        expect_log("term admin;term hello-phx;term tunnel;");
        CHECK_EQ_INT(set.units[1].state, UNIT_STOPPED);
        CHECK_EQ_INT(set.units[0].state, UNIT_RUNNING);
        CHECK_EQ_INT(unit_set_start(&set, &set.units[1]), 3);
        unit_set_run(&set);
        expect_log("spawn tunnel;spawn hello-phx;spawn admin;");
        unit_set_restart(&set, &set.units[3]); /* admin alone */
        stops_complete(&set);
        expect_log("term admin;spawn admin;");
        CHECK_EQ_INT(set.units[3].restarts, 1);
        unit_set_done(&set);
}

TEST(settle_confirms_once_after_everything_ready) {
        static const char *const names[] = { "a", "b" };
        UnitSet set;

        set_up(&set, names, 2);
        unit_set_run(&set);
        CHECK_EQ_INT(unit_set_timers(&set), settings.settle_time_ms);
        fake.now = 20;
        exit_with(&set.units[1], CLD_EXITED, 1); /* a restart starts the wait again */
        CHECK_EQ_INT(unit_set_timers(&set), 20 + settings.settle_time_ms);
        fake.now = 20 + settings.settle_time_ms;
        CHECK_EQ_INT(unit_set_timers(&set), 0);
        CHECK_EQ_INT(fake.settled, 1);
        fake.now += 1000;
        CHECK_EQ_INT(unit_set_timers(&set), 0);
        CHECK_EQ_INT(fake.settled, 1);
        unit_set_done(&set);
}

TEST(start_of_a_client_starts_its_stopped_service_first) {
        static const char *const names[] = { "kos-msgd:core", "pub", "other" };
        UnitSet set;

        set_up(&set, names, 3);
        depends(&set, 0, 1), depends(&set, 0, 2);
        for (size_t i = 1; i < 3; i++) {
                set.units[i].servers = calloc(1, sizeof(size_t));
                CHECK(set.units[i].servers);
                set.units[i].n_servers = 1; /* index 0 */
        }
        unit_set_run(&set);
        unit_set_stop(&set, &set.units[0]);
        stops_complete(&set);
        expect_log("spawn kos-msgd:core;spawn pub;spawn other;term other;term pub;term kos-msgd:core;");
        CHECK_EQ_INT(unit_set_start(&set, &set.units[1]), 2);
        unit_set_run(&set);
        expect_log("spawn kos-msgd:core;spawn pub;");
        CHECK_EQ_INT(set.units[2].state, UNIT_STOPPED); /* stopped by the user: stays so */
        CHECK_EQ_INT(set.units[1].restarts, 0);
        unit_set_done(&set);
}

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
        CHECK_EQ_STR(unit_event_to_string(UNIT_EVENT_DEPENDENCY_FAULT), "dependency-fault");
        CHECK_EQ_STR(unit_event_to_string(_UNIT_EVENT_MAX), "invalid");
}

TEST_MAIN()
