/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the store's state files (refs, generations, the floor): "key value" lines.
 * Internal to src/store.
 *
 * Invariants: a line is at most STORE_STATE_FILE_LINE_MAX bytes, a key is [a-z-]+, exactly
 * one space separates key and value, values hold no control characters; anything else
 * (NUL bytes, CR, tabs, blank lines, leading spaces) is -EBADMSG. Numbers are plain
 * decimal without sign or leading zeros.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

#define STORE_STATE_FILE_LINE_MAX 256

typedef struct StoreStateFileReader {
        const char *p, *end;
        char key[32];
        char value[STORE_STATE_FILE_LINE_MAX];
} StoreStateFileReader;

/* Starts reading lines from text[0..size); text must outlive the reader. */
void store_state_file_reader_init(StoreStateFileReader *reader, const char *text, size_t size);

/* 1 and *keyp, *valuep (pointing into reader) for a line, 0 at the end, -EBADMSG. */
int store_state_file_reader_next(StoreStateFileReader *reader, const char **keyp, const char **valuep);

/* 64 lowercase hex digits. */
int store_state_file_parse_digest(const char *value, Sha256Digest *digestp);

/* A decimal in [min, max]. */
int store_state_file_parse_unsigned(const char *value, unsigned min, unsigned long max, unsigned *valuep);
