// SPDX-License-Identifier: Apache-2.0
/* EventLoop: io, timers, signals, child exits, deferred frees (util/event.h invariants). */
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/clock.h"
#include "util/event.h"

static int record[16];
static unsigned n_record;

static int on_timer(EventSource *source, uint64_t now, void *userdata) {
        record[n_record++] = (int)(intptr_t)userdata;
        return 0;
}

TEST(timers_fire_once_in_deadline_order) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        EventSource *a, *b, *c;
        uint64_t now = now_ms();

        CHECK_OK(event_loop_new(&loop));
        n_record = 0;
        CHECK_OK(event_loop_add_timer(loop, &a, now + 3, on_timer, (void *)1));
        CHECK_OK(event_loop_add_timer(loop, &b, now + 1, on_timer, (void *)2));
        CHECK_OK(event_loop_add_timer(loop, &c, 0, on_timer, (void *)3)); /* disarmed */
        while (n_record < 2)
                CHECK_OK(event_loop_dispatch(loop, -1));
        CHECK_EQ_INT(n_record, 2);
        CHECK_EQ_INT(record[0], 2);
        CHECK_EQ_INT(record[1], 1);
        CHECK_EQ_INT(event_source_get_deadline(a), 0);
        /* Nothing armed: a dispatch with a zero timeout returns at once and fires nothing. */
        CHECK_OK(event_loop_dispatch(loop, 0));
        CHECK_EQ_INT(n_record, 2);
        event_source_set_deadline(c, now_ms());
        CHECK_OK(event_loop_dispatch(loop, -1));
        CHECK_EQ_INT(n_record, 3);
        CHECK_EQ_INT(record[2], 3);
}

static EventSource *victim;
static int io_calls;

/* The first io callback frees the other source; its event of the same round is skipped. */
static int on_io_free_other(EventSource *source, int fd, uint32_t revents, void *userdata) {
        char ch;

        io_calls++;
        CHECK(read(fd, &ch, 1) == 1);
        victim = event_source_free(victim == source ? NULL : victim);
        return 0;
}

TEST(source_freed_during_round_is_skipped) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        int p1[2], p2[2];
        EventSource *s1, *s2;

        CHECK_OK(event_loop_new(&loop));
        CHECK(pipe(p1) == 0 && pipe(p2) == 0);
        CHECK_OK(event_loop_add_io(loop, &s1, p1[0], EPOLLIN, on_io_free_other, NULL));
        CHECK_OK(event_loop_add_io(loop, &s2, p2[0], EPOLLIN, on_io_free_other, NULL));
        CHECK(write(p1[1], "x", 1) == 1 && write(p2[1], "y", 1) == 1);
        /* Whichever fires first frees the other. */
        victim = s2;
        io_calls = 0;
        CHECK_OK(event_loop_dispatch(loop, -1));
        CHECK_EQ_INT(io_calls, 1);
        close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
}

static int on_io_fail(EventSource *source, int fd, uint32_t revents, void *userdata) {
        return -EPROTO;
}

TEST(callback_error_ends_run) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        int p[2];

        CHECK_OK(event_loop_new(&loop));
        CHECK(pipe(p) == 0);
        CHECK_OK(event_loop_add_io(loop, NULL, p[0], EPOLLIN, on_io_fail, NULL));
        CHECK(write(p[1], "x", 1) == 1);
        CHECK_EQ_INT(event_loop_run(loop), -EPROTO);
        close(p[0]), close(p[1]);
}

static int on_signal(EventSource *source, const struct signalfd_siginfo *info, void *userdata) {
        event_loop_exit(*(EventLoop **)userdata, (int)info->ssi_signo);
        return 0;
}

TEST(signal_is_delivered_through_loop) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        sigset_t before, during;

        sigprocmask(SIG_SETMASK, NULL, &before);
        CHECK_OK(event_loop_new(&loop));
        CHECK_OK(event_loop_add_signal(loop, NULL, SIGUSR1, on_signal, &loop));
        CHECK_EQ_INT(event_loop_add_signal(loop, NULL, SIGUSR1, on_signal, &loop), -EEXIST);
        sigprocmask(SIG_SETMASK, NULL, &during);
        CHECK(sigismember(&during, SIGUSR1) == 1);
        CHECK(kill(getpid(), SIGUSR1) == 0);
        CHECK_EQ_INT(event_loop_run(loop), SIGUSR1);
        /* One that arrives after the last dispatch must not kill the process once the loop
         * is gone: the signal stays blocked. */
        CHECK(kill(getpid(), SIGUSR1) == 0);
        loop = event_loop_free(loop);
        sigprocmask(SIG_SETMASK, NULL, &during);
        CHECK(sigismember(&during, SIGUSR1) == 1);
        (void)before;
}

static EventSource *other_timer;

/* The first timer to fire disarms the other, due in the same round: it must not fire. */
static int on_timer_disarm_other(EventSource *source, uint64_t now, void *userdata) {
        record[n_record++] = (int)(intptr_t)userdata;
        event_source_set_deadline(other_timer, 0);
        return 0;
}

TEST(timer_disarmed_in_the_same_round_does_not_fire) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        EventSource *a;
        uint64_t now = now_ms();

        CHECK_OK(event_loop_new(&loop));
        n_record = 0;
        CHECK_OK(event_loop_add_timer(loop, &a, now, on_timer_disarm_other, (void *)1));
        CHECK_OK(event_loop_add_timer(loop, &other_timer, now + 1, on_timer, (void *)2));
        while (now_ms() <= now + 1)
                ; /* both due when the round looks */
        CHECK_OK(event_loop_dispatch(loop, 0));
        CHECK_EQ_INT(n_record, 1);
        CHECK_EQ_INT(record[0], 1);
        CHECK_EQ_INT(event_source_get_deadline(other_timer), 0);
}

static unsigned prepare_calls[2];

static int on_prepare_free_self(EventSource *source, void *userdata) {
        prepare_calls[0]++;
        event_source_free(source);
        return 0;
}

static int on_prepare_count(EventSource *source, void *userdata) {
        prepare_calls[1]++;
        return 0;
}

TEST(prepare_hook_freeing_itself_skips_no_other) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;

        CHECK_OK(event_loop_new(&loop));
        CHECK_OK(event_loop_add_prepare(loop, NULL, on_prepare_free_self, NULL));
        CHECK_OK(event_loop_add_prepare(loop, NULL, on_prepare_count, NULL));
        CHECK_OK(event_loop_dispatch(loop, 0));
        CHECK_OK(event_loop_dispatch(loop, 0));
        CHECK_EQ_INT(prepare_calls[0], 1);
        CHECK_EQ_INT(prepare_calls[1], 2);
}

static char child_state;
static int child_status;

/* Runs before the reap: the child is a zombie ('Z'), so its pid is still its own. */
static int on_child(EventSource *source, const siginfo_t *info, void *userdata) {
        char path[64], buf[256];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)info->si_pid);
        f = fopen(path, "r");
        CHECK(f);
        CHECK(fgets(buf, sizeof(buf), f));
        fclose(f);
        child_state = strrchr(buf, ')')[2];
        child_status = info->si_code == CLD_EXITED ? info->si_status : -1;
        return 0;
}

TEST(child_callback_runs_before_reap_and_every_child_is_reaped) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        pid_t watched, orphan;
        siginfo_t si = { 0 };

        CHECK_OK(event_loop_new(&loop));
        orphan = fork();
        if (orphan == 0)
                _exit(0);
        watched = fork();
        if (watched == 0)
                _exit(7);
        /* Added after the child may already have exited: found all the same. */
        child_state = 0;
        CHECK_OK(event_loop_add_child(loop, NULL, watched, on_child, NULL));
        while (child_state == 0)
                CHECK_OK(event_loop_dispatch(loop, -1));
        CHECK_EQ_INT(child_state, 'Z');
        CHECK_EQ_INT(child_status, 7);
        /* The loop reaps the unwatched one too (WNOWAIT: this check reaps nothing). */
        for (int i = 0; i < 100 && waitid(P_PID, (id_t)orphan, &si, WEXITED | WNOHANG | WNOWAIT) == 0; i++)
                CHECK_OK(event_loop_dispatch(loop, 10));
        CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0);
        CHECK_EQ_INT(errno, ECHILD);
}

TEST_MAIN()
