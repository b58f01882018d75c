/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash-point injection, for proving crash safety.
 *
 * Every durable file system operation KOS performs on persistent state (each write(),
 * fsync(), rename(), unlink(), mkdir() and O_CREAT open) goes through the fault_*()
 * wrappers below, which first pass a numbered crash point:
 *
 *   KOS_FAULT_LOG=FILE   appends "N OP DETAIL\n" to FILE for each point reached, so a
 *                        harness can count the points a command performs;
 *   KOS_FAULT_CRASH_AT=N at the Nth point the process _exit()s with FAULT_EXIT_CODE
 *                        before performing the operation, as if power were cut there:
 *                        no atexit handlers, no stdio flush, no cleanup.
 *
 * Without these variables a point costs one branch. Points are counted per process.
 *
 * Reads of stored data pass a read fault point (fault_read_check()), which is not a crash
 * point and is not counted:
 *
 *   KOS_FAULT_READ_EIO=TEXT  reading a file whose path contains TEXT fails with EIO, as on a
 *                        failing medium, so tests can show how an unreadable object is
 *                        reported and that the damage stays confined to what needs it.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define FAULT_EXIT_CODE 86

/* Passes one crash point; op is "write", "fsync", ... and detail names the file. */
void fault_point(const char *op, const char *detail);

/* write_full() preceded by a crash point (one per call, whatever the size). */
int fault_write(int fd, const void *buf, size_t size, const char *detail);
/* Each returns 0 or a negative errno. */
int fault_fsync(int fd, const char *detail);
int fault_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int fault_unlinkat(int dirfd, const char *path, int flags);
int fault_mkdirat(int dirfd, const char *path, mode_t mode);
/* openat() with O_CREAT in flags; returns an fd or a negative errno. */
int fault_openat_create(int dirfd, const char *path, int flags, mode_t mode);
/* fsyncs the directory dirfd refers to. */
int fault_fsync_dir(int dirfd, const char *detail);

/*
 * A read fault point, passed before reading the bytes of the file path names (relative to
 * whatever the caller reads from): -EIO if KOS_FAULT_READ_EIO is set, not empty, and
 * occurs in path; 0 otherwise (always, without the variable).
 */
int fault_read_check(const char *path);
