// SPDX-License-Identifier: Apache-2.0
/*
 * msg-test-client: a C test app that keeps one channel and calls through it, the way a real
 * client does: when its publisher dies it gets an error (never a hang), looks the name up
 * again and carries on.
 *
 *   msg-test-client NAME COUNT INTERVAL_MS [PAUSE_FILE]
 *
 * Makes COUNT successful calls ("call I") at INTERVAL_MS apart, printing each reply; prints
 * "reconnected" after each new lookup forced by a dead publisher, and finally
 * "calls=N reconnects=M". Exits 0 if all COUNT calls were answered.
 * With PAUSE_FILE, after the first reply it creates that file and waits (at most 20 s)
 * until someone removes it, so a test can act at a known point of the conversation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kos/msg.h"

/* Creates path and waits until it is gone again: 0, or -1 after 20 s or on an error. */
static int pause_at(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        if (fd < 0)
                return -1;
        close(fd);
        for (int i = 0; i < 2000; i++) {
                if (access(path, F_OK) < 0)
                        return errno == ENOENT ? 0 : -1;
                usleep(10 * 1000);
        }
        return -1;
}

int main(int argc, char **argv) {
        KosMsgChannel *ch = NULL;
        int count, interval, done = 0, reconnects = 0, r;

        if (argc != 4 && argc != 5)
                return 2;
        count = atoi(argv[2]);
        interval = atoi(argv[3]);
        r = kos_msg_lookup(argv[1], 5000, &ch);
        if (r < 0) {
                fprintf(stderr, "msg-test-client: lookup %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        while (done < count) {
                char req[32];
                KosMsgMessage reply;
                snprintf(req, sizeof(req), "call %d", done);
                r = kos_msg_call(ch, req, strlen(req), -1, 5000, &reply);
                if (r == -ECONNRESET) {
                        kos_msg_channel_free(ch);
                        ch = NULL;
                        r = kos_msg_lookup(argv[1], 5000, &ch);
                        if (r < 0) {
                                fprintf(stderr, "msg-test-client: lookup again: %s\n", strerror(-r));
                                return 1;
                        }
                        reconnects++;
                        printf("reconnected\n");
                        continue;
                }
                if (r < 0) {
                        fprintf(stderr, "msg-test-client: call: %s\n", strerror(-r));
                        return 1;
                }
                printf("reply: %.*s\n", (int)reply.size, (const char *)reply.data);
                fflush(stdout);
                done++;
                if (done == 1 && argc == 5 && pause_at(argv[4]) < 0) {
                        fprintf(stderr, "msg-test-client: %s was not removed\n", argv[4]);
                        return 1;
                }
                usleep((useconds_t)interval * 1000);
        }
        printf("calls=%d reconnects=%d\n", done, reconnects);
        kos_msg_channel_free(ch);
        return 0;
}
