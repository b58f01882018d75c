/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kosd's side of the message-server handover (kos-msgd, src/msg/).
 *
 * For each msg_servers instance kosd runs `kos-msgd --instance NAME --manifest FILE.dtb`
 * before any app, with the control connection (SOCK_SEQPACKET) as its fd 3. Before each
 * start of an app, for each instance the app lists, kosd makes a fresh SOCK_SEQPACKET
 * socketpair, sends one end to that instance's kos-msgd as one message whose payload is
 * the app's name and whose SCM_RIGHTS carries the fd, and hands the other end to the app
 * at exec as fd 3, 4, ... in the app's msg_servers order. The app learns which fd is which
 * instance from KOS_MSG_SERVERS="core=3,secure=4". Identity is the connection: an app
 * reaches exactly the instances the manifest lists for it, and kos-msgd knows who is on
 * each connection without believing anything the app says.
 */
#pragma once

#include <stddef.h>

#define MSG_SERVER_PROGRAM "kos-msgd"
#define MSG_SERVER_UNIT_PREFIX "kos-msgd:"
#define MSG_SERVER_ENV "KOS_MSG_SERVERS"

/*
 * Creates the control connection for one kos-msgd start: *kosd_fdp stays with kosd
 * (non-blocking), *msgd_fdp is given to kos-msgd as fd 3. Both close-on-exec.
 */
int msg_server_control_pair(int *kosd_fdp, int *msgd_fdp);

/*
 * Makes the connection for app to the instance whose control connection is control_fd:
 * sends one end to kos-msgd, returns the other in *app_fdp (close-on-exec; the caller
 * closes it after exec). Returns 0 or a negative errno (-EAGAIN if kos-msgd is not
 * reading its control connection).
 */
int msg_server_connect_app(int control_fd, const char *app, int *app_fdp);

/*
 * The environment entry naming an app's connections: "KOS_MSG_SERVERS=core=3,secure=4"
 * for instances = {"core", "secure"}. The caller owns *entryp.
 */
int msg_server_env_entry(char *const *instances, char **entryp);

/* Transitional names (the IPC layer's). */
#define IPC_HANDOVER_ENV MSG_SERVER_ENV
#define ipc_handover_pair msg_server_control_pair
#define ipc_handover_send msg_server_connect_app
#define ipc_handover_env_entry msg_server_env_entry
