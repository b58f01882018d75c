// SPDX-License-Identifier: Apache-2.0
/*
 * Example traced app "admin": asks the weather station for the weather every 10 ms; each
 * call is a slice in category "calls" with the answer as an instant.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <kos/msg.h>
#include <kos/trace.h>

KOS_TRACE_DEFINE_CATEGORY(calls, "calls to the weather station");

int main(void) {
        KosMsgChannel *channel = NULL;
        int r = kos_trace_open(5000);

        if (r < 0)
                fprintf(stderr, "admin: running untraced: %s\n", strerror(-r));
        for (long n = 1;; n++) {
                KosMsgMessage reply;
                struct timespec pause = { 0, 10 * 1000 * 1000 };

                if (!channel && (r = kos_msg_lookup("weather", 5000, &channel)) < 0) {
                        fprintf(stderr, "admin: lookup weather: %s\n", strerror(-r));
                        return 1;
                }
                KOS_TRACE_BEGIN(calls, "call weather", KOS_TRACE_INT("n", n));
                r = kos_msg_call(channel, "?", 1, -1, 5000, &reply);
                if (r == 0)
                        KOS_TRACE_INSTANT(calls, "answer", KOS_TRACE_STRING("is", (const char *)reply.data));
                KOS_TRACE_END(calls, "call weather");
                if (r < 0)
                        channel = kos_msg_channel_free(channel); /* the station restarted: look it up again */
                nanosleep(&pause, NULL);
        }
}
