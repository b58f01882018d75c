/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kosd's control protocol, spoken over the SOCK_SEQPACKET socket RUN_DIR/kosd.sock.
 *
 * One request per connection, one message each way:
 *   request:  "ps" | "start NAME" | "stop NAME" | "restart NAME"
 *   reply:    "ok\n" BODY   or   "error\n" MESSAGE
 * The body of "ps" is one line per unit, in start order, fields separated by tabs:
 *   NAME STATE PID RESTARTS UPTIME_MS STATUS
 * (PID 0 and UPTIME_MS 0 when the unit has no process).
 * Only root may connect (the socket is mode 0600 and kosd checks SO_PEERCRED).
 */
#pragma once

#include <stddef.h>

#define CONTROL_SOCKET_NAME "kosd.sock"
#define CONTROL_DEFAULT_RUN_DIR "/run/kos"
#define CONTROL_REQUEST_MAX 256
#define CONTROL_REPLY_MAX (64 * 1024)
#define CONTROL_NAME_MAX 128

typedef enum ControlVerb {
        CONTROL_PS,
        CONTROL_START,
        CONTROL_STOP,
        CONTROL_RESTART,
} ControlVerb;

typedef struct ControlRequest {
        ControlVerb verb;
        char name[CONTROL_NAME_MAX]; /* "" for ps */
} ControlRequest;

/*
 * Parses a request of size bytes (untrusted, not NUL-terminated). Returns 0 and *requestp,
 * or -EBADMSG if it is not one of the forms above (names are 1..127 printable, non-space
 * ASCII characters).
 */
int control_request_parse(const void *data, size_t size, ControlRequest *requestp);

/* Writes the request's wire form into buf (NUL-terminated). Returns its length or -ENOBUFS. */
int control_request_format(const ControlRequest *request, char *buf, size_t size);

/*
 * One "ps" row, as parsed by control_ps_parse_line(). Strings point into the caller's
 * buffer, which the parser cuts at each tab.
 */
typedef struct ControlPsRow {
        const char *name;
        const char *state;
        long pid;
        unsigned long restarts;
        unsigned long long uptime_ms;
        const char *status;
} ControlPsRow;

/* Splits one ps line (modified in place, no newline). Returns 0 or -EBADMSG. */
int control_ps_parse_line(char *line, ControlPsRow *rowp);

/* control_call()'s verdict: kosd understood the request and refused it ("error"). */
#define CONTROL_E_REFUSED 1

/*
 * Sends request to the kosd whose run directory is run_dir and waits for its reply.
 * Returns 0 for an "ok" reply with *bodyp its body; CONTROL_E_REFUSED for an "error"
 * reply with *bodyp kosd's message; or a negative errno, *bodyp untouched (-ENOENT,
 * -ECONNREFUSED: no kosd there; -EACCES: not root; -EBADMSG: a reply of neither form).
 * *bodyp is NUL-terminated and owned by the caller.
 */
int control_call(const char *run_dir, const ControlRequest *request, char **bodyp);
