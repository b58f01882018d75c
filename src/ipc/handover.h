/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handover: how kosd gives an app its connection to a service (a kos-msgd instance),
 * both halves and the environment contract, defined once.
 *
 *   kosd: ipc_handover_pair()   ──control connection, as fd 3──>   service (kos-msgd)
 *   before each start of an app, for each service the app lists:
 *   kosd: ipc_handover_send()   ──app name + one end (SCM_RIGHTS)──>   ipc_handover_receive()
 *                               ──the other end, fd 3, 4, ... at exec──>   app
 *   app:  ipc_handover_env_parse(getenv("KOS_MSG_SERVERS"))   "core=3,secure=4"
 *
 * Identity is the connection: kosd, which read the signed manifest, makes each connection
 * and tells the service whose it is over a channel only kosd holds; nothing the app sends
 * names the app.
 *
 * Invariants:
 *  1. A control message is the app's name (no NUL inside; one trailing NUL allowed) and
 *     exactly one descriptor. A message without a descriptor, with more than one, or too
 *     long for the service's buffer is malformed, and its descriptors are closed on
 *     receipt. Whether the name is one of its apps is the service's to judge.
 *  2. Every descriptor these functions create is handed over (sent, or returned to the
 *     caller) or closed before they return; a failed handover leaks nothing.
 *  3. The app's links are fds IPC_HANDOVER_FIRST_FD, +1, ... in the order of the services
 *     named in IPC_HANDOVER_ENV, and each must be an open SOCK_SEQPACKET socket; the app
 *     makes them close-on-exec, so programs it runs do not inherit its identity.
 *  4. kosd's end of the control connection is non-blocking: a service that stops reading
 *     costs a failed handover (-EAGAIN), never a stalled kosd.
 */
#pragma once

#include <stddef.h>

#define IPC_HANDOVER_ENV "KOS_MSG_SERVERS" /* "core=3,secure=4" */
#define IPC_HANDOVER_FIRST_FD 3
/* Service and app names: 1..IPC_HANDOVER_NAME_MAX characters. */
#define IPC_HANDOVER_NAME_MAX 127

/* One connection an app was handed: the service's name and the fd. */
typedef struct IpcHandoverLink {
        char name[IPC_HANDOVER_NAME_MAX + 1];
        int fd;
} IpcHandoverLink;

/*
 * kosd: creates the control connection for one service start. *kosd_fdp stays with kosd
 * (non-blocking, invariant 4); *service_fdp is given to the service as its fd 3. Both are
 * close-on-exec. Returns 0 or a negative errno.
 */
int ipc_handover_pair(int *kosd_fdp, int *service_fdp);

/*
 * kosd: makes a new connection for app to the service at the other end of control_fd,
 * sends one end with app's name, and returns the other in *app_fdp (close-on-exec; the
 * caller closes it after the exec). Returns 0 or a negative errno (-EAGAIN if the service
 * is not reading its control connection; -EINVAL for an app name that is empty or too
 * long).
 */
int ipc_handover_send(int control_fd, const char *app, int *app_fdp);

/*
 * Service: receives one handover from control_fd without blocking. Returns 1 with the
 * app's name in app (app_size bytes: a message longer than app_size - 1 bytes is
 * malformed; NUL-terminated; judged by the caller) and its connection
 * (close-on-exec) in *fdp; 0 once kosd hung up; -EAGAIN if nothing is pending; -EBADMSG
 * for a malformed message (invariant 1: its descriptors closed; the next one may be fine);
 * or another negative errno.
 */
int ipc_handover_receive(int control_fd, char *app, size_t app_size, int *fdp);

/*
 * kosd: the environment entry naming an app's links, "KOS_MSG_SERVERS=core=3,secure=4"
 * for services = {"core", "secure", NULL}. The caller owns *entryp. Returns 0 or -ENOMEM.
 */
int ipc_handover_env_entry(char *const *services, char **entryp);

/*
 * The same for another kind of service, whose links follow the first ones: variable names
 * them ("KOS_KEYSTORE=keystore=5" for {"keystore"}, first_fd 5). Returns 0 or -ENOMEM.
 */
int ipc_handover_env_entry_named(const char *variable, char *const *services, int first_fd, char **entryp);

/* Why IPC_HANDOVER_ENV was refused: one printable line, without the variable's name. */
typedef struct IpcHandoverEnvError {
        char message[192];
} IpcHandoverEnvError;

/*
 * App: parses value, the IPC_HANDOVER_ENV variable ("core=3,secure=4"), into at most max
 * links, checks each name (and that none comes twice) and that each fd is an open
 * SOCK_SEQPACKET socket, and makes the fds close-on-exec (invariant 3). Returns 0 and *np;
 * -EINVAL for a malformed value or more than max entries; -EBADF for an fd that is not
 * such a socket; or a negative errno. On failure, err (if not NULL) says which entry and
 * why. links[] is filled in either case; only *np says how many are valid.
 */
int ipc_handover_env_parse(const char *value, IpcHandoverLink *links, size_t max, size_t *np,
                           IpcHandoverEnvError *err);

/*
 * kosd: a memfd holding data (the manifest kosd validated), sealed so that nobody, kosd
 * included, can change, grow or shrink it; it is every service's fd 4. Returns 0 and *fdp
 * (close-on-exec), or a negative errno.
 */
int ipc_handover_seal(const void *data, size_t size, int *fdp);

/*
 * Service: reads all of such a sealed fd (from offset 0, with pread, so instances sharing
 * it never move each other's offset) into a buffer the caller frees. -EPERM if fd is not
 * sealed against writing, growing and shrinking (its bytes could change under the
 * reader); -EFBIG past max_size. Out-parameters are written only on success.
 */
int ipc_handover_read_sealed(int fd, size_t max_size, char **datap, size_t *sizep);
