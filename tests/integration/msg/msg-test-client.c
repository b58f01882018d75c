// SPDX-License-Identifier: Apache-2.0
/*
 * msg-test-client: a C test app that keeps one channel and calls through it, the way a real
 * client does: when its publisher dies it gets an error (never a hang), looks the name up
 * again and carries on.
 *
 *   msg-test-client NAME COUNT INTERVAL_MS
 *
 * Makes COUNT successful calls ("call I") at INTERVAL_MS apart, printing each reply; prints
 * "reconnected" after each new lookup forced by a dead publisher, and finally
 * "calls=N reconnects=M". Exits 0 if all COUNT calls were answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kos/msg.h"

int main(int argc, char **argv) {
        KosMsgChannel *ch = NULL;
        int count, interval, done = 0, reconnects = 0, r;

        if (argc != 4)
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
                usleep((useconds_t)interval * 1000);
        }
        printf("calls=%d reconnects=%d\n", done, reconnects);
        kos_msg_channel_free(ch);
        return 0;
}
