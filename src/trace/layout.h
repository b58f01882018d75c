/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memory a traced app shares with kos-traced: one memfd per session, made and sized
 * by the server, mapped read-write by both (docs/tracing.md, "Shared buffer").
 *
 *   offset 0                      TraceShmHeader (one page)
 *   TRACE_SHM_HEADER_SIZE + k*B   buffer k (k < n_buffers), B = TraceShmBuffer + records
 *
 * Each buffer belongs to one thread of the app (claimed by compare-and-swap of its owner
 * from 0 to the thread id) and is a ring of buffer_records fixed-size records.
 *
 * Invariants:
 *  1. The server seals the memfd against growing and shrinking before it hands it over, so
 *     the app cannot make the server's mapping fault (SIGBUS) by truncating it.
 *  2. A record is published by the seqlock protocol: the writer stores seq = 0, then the
 *     fields, then seq = index + 1 (release), then head = index + 1 (release). A reader
 *     that sees the same seq = index + 1 before and after copying the record holds a whole
 *     record; anything else is a torn or overwritten record and is counted as lost.
 *  3. The server trusts nothing it reads here: it copies a record into its own memory
 *     before looking at it and validates every field of the copy (record.h); head, tail,
 *     owner and lost are read once per drain and checked for sense.
 *  4. The server writes enabled[], mode and tail, and frees a retired ring (retired and owner
 *     back to 0) after draining it; the app writes everything else.
 *  5. A ring is retired by its thread's exit (retired = 1 after its last record): the
 *     server drains it and frees it, so another thread can claim it.
 */
#pragma once

#include <assert.h>
#include <stdint.h>

#include "kos/trace.h"

#define TRACE_SHM_MAGIC 0x4b4f5354U /* "TSOK" in memory, little-endian "KOST" */
#define TRACE_SHM_VERSION 1U
#define TRACE_SHM_HEADER_SIZE 4096U
#define TRACE_RECORD_SIZE 128U

/* The server's defaults: 16 threads, 2048 records (256 KiB) each. */
#define TRACE_SHM_BUFFERS 16U
#define TRACE_SHM_BUFFER_RECORDS 2048U

typedef struct TraceArgValue {
        char key[KOS_TRACE_KEY_MAX]; /* NUL-padded; at least one byte */
        union {
                int64_t i;
                double d;
                char s[KOS_TRACE_STRING_MAX]; /* NUL-padded */
        } value;
} TraceArgValue;

/* One event, as the app writes it and as the trace file stores it (little-endian there). */
typedef struct TraceRecord {
        uint64_t seq;       /* index in its buffer + 1; 0 while being written */
        uint64_t timestamp; /* CLOCK_MONOTONIC, ns */
        uint8_t type;       /* KosTraceEventType */
        uint8_t category;   /* the session's category id */
        uint8_t n_args;     /* 0..KOS_TRACE_MAX_ARGS */
        uint8_t name_len;   /* 1..KOS_TRACE_NAME_MAX */
        uint8_t arg_types[KOS_TRACE_MAX_ARGS]; /* KosTraceArgType of args[i], i < n_args; 0 after */
        char name[KOS_TRACE_NAME_MAX];         /* name_len bytes, then NULs */
        TraceArgValue args[KOS_TRACE_MAX_ARGS];
} TraceRecord;
static_assert(sizeof(TraceRecord) == TRACE_RECORD_SIZE, "a record is 128 bytes");

typedef struct TraceShmHeader {
        uint32_t magic;          /* TRACE_SHM_MAGIC */
        uint32_t version;        /* TRACE_SHM_VERSION */
        uint32_t n_buffers;      /* buffers after the header */
        uint32_t buffer_records; /* records per buffer, a power of two */
        uint32_t mode;           /* KosTraceMode, written by the server */
        uint32_t n_categories;   /* as registered at session start */
        uint64_t lost_no_buffer; /* app: events dropped because every buffer was taken */
        uint8_t enabled[KOS_TRACE_MAX_CATEGORIES]; /* server: 1 while category i is traced */
} TraceShmHeader;
static_assert(sizeof(TraceShmHeader) <= TRACE_SHM_HEADER_SIZE, "the header fits its page");

typedef struct TraceShmBuffer {
        uint32_t owner;   /* thread id of the thread writing here; 0: free */
        uint32_t retired; /* app: 1 once that thread has exited; the server frees the ring */
        uint64_t head;  /* app: records written */
        uint64_t tail;  /* server: records consumed (discard mode) */
        uint64_t lost;  /* app: events dropped while the ring was full (discard mode) */
        uint8_t pad[32];
        TraceRecord records[];
} TraceShmBuffer;
static_assert(sizeof(TraceShmBuffer) == 64, "a buffer header is one cache line");

static inline uint64_t trace_shm_buffer_size(uint32_t records) {
        return sizeof(TraceShmBuffer) + (uint64_t)records * TRACE_RECORD_SIZE;
}

static inline uint64_t trace_shm_size(uint32_t buffers, uint32_t records) {
        return TRACE_SHM_HEADER_SIZE + (uint64_t)buffers * trace_shm_buffer_size(records);
}

static inline TraceShmBuffer *trace_shm_buffer(void *shm, uint32_t records, uint32_t k) {
        return (TraceShmBuffer *)((char *)shm + TRACE_SHM_HEADER_SIZE + k * trace_shm_buffer_size(records));
}

/* Session protocol (kos_trace_protocol): one call, HELLO, answered with the memfd. */
#define TRACE_HELLO_MAGIC 0x4c454854U /* "THEL" */
/*
 * HELLO payload: u32 magic, u32 version (1), u32 pid, u32 n_categories, then per category
 * its name and its description, each NUL-terminated. Reply: status 0 and the memfd, with
 * the payload u32 version, u32 reserved, u64 size of the memfd; or an errno as status.
 */
typedef struct TraceHelloHead {
        uint32_t magic;
        uint32_t version;
        uint32_t pid;
        uint32_t n_categories;
} TraceHelloHead;

typedef struct TraceHelloReply {
        uint32_t version;
        uint32_t reserved;
        uint64_t size;
} TraceHelloReply;
