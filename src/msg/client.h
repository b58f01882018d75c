/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client library internals that tests need: forgetting what was read from the environment.
 *
 * Invariant: nothing outside tests calls this; an app reads KOS_MSG_SERVERS once.
 */
#pragma once

/*
 * Forgets the message server connections read from KOS_MSG_SERVERS (without closing them),
 * so the next kos_msg_* call reads the variable again. For tests only.
 */
void msg_client_reset(void);
