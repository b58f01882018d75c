/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kosd's names for the message server instances it runs: the program and the prefix of
 * their units. The handover itself (control connection, app connections, the environment)
 * is ipc/handover.h.
 */
#pragma once

#define SUPERVISOR_MSGD_PROGRAM "kos-msgd"
#define SUPERVISOR_MSGD_UNIT_PREFIX "kos-msgd:" /* + the instance's name */
