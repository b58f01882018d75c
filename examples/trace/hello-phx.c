// SPDX-License-Identifier: Apache-2.0
/*
 * Example traced app "hello-phx": the weather station. Publishes "weather" and answers
 * each call; every answer is a slice in category "weather", with a counter of calls served.
 * Tracing costs nothing until someone starts it (kos trace start hello-phx).
 */
#include <stdio.h>
#include <string.h>

#include <kos/msg.h>
#include <kos/trace.h>

KOS_TRACE_DEFINE_CATEGORY(weather, "weather requests served");
KOS_TRACE_DEFINE_CATEGORY(station, "the station's own life");

static long served;

static int serve(KosMsgChannel *channel, const KosMsgMessage *message, void *userdata) {
        static const char answer[] = "sunny";
        KOS_TRACE_SCOPE(weather, "answer", KOS_TRACE_STRING("from", kos_msg_channel_peer(channel)));

        served++;
        KOS_TRACE_COUNTER(weather, "served", served);
        return kos_msg_reply(channel, message, 0, answer, sizeof(answer) - 1, -1);
}

int main(void) {
        int r = kos_trace_open(5000);

        if (r < 0)
                fprintf(stderr, "hello-phx: running untraced: %s\n", strerror(-r));
        KOS_TRACE_INSTANT(station, "up");
        r = kos_msg_publish("weather");
        if (r < 0) {
                fprintf(stderr, "hello-phx: cannot publish weather: %s\n", strerror(-r));
                return 1;
        }
        printf("hello-phx: serving weather\n");
        fflush(stdout);
        return kos_msg_serve(serve, NULL) < 0 ? 1 : 0;
}
