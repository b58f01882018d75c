// SPDX-License-Identifier: Apache-2.0
/*
 * Refs: validated names, a strict text format, durable updates.
 *
 * Invariants: no name reaches the file system unless store_ref_name_is_valid() accepted
 * it; the parser accepts exactly the format store_ref_format() writes (modulo a missing
 * final newline) and nothing else, since refs come from remote stores.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dir.h"
#include "store/state-file.h"
#include "store/store.h"
#include "util/cleanup.h"

bool store_ref_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > STORE_REF_NAME_MAX || name[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

bool store_ref_name_is_reserved(const char *name) {
        return name && (strcmp(name, STORE_REF_CURRENT) == 0 || strcmp(name, STORE_REF_BOOTED) == 0);
}

int store_ref_parse(const char *text, size_t size, StoreRef *refp) {
        StoreRef ref = {};
        bool have_manifest = false, have_generation = false;
        StoreStateFileReader reader;
        const char *key, *value;
        int r;

        store_state_file_reader_init(&reader, text, size);
        while ((r = store_state_file_reader_next(&reader, &key, &value)) > 0) {
                if (strcmp(key, "manifest") == 0 && !have_manifest) {
                        if (store_state_file_parse_digest(value, &ref.manifest) < 0)
                                return -EBADMSG;
                        have_manifest = true;
                } else if (strcmp(key, "signatures") == 0 && !ref.has_signatures) {
                        if (store_state_file_parse_digest(value, &ref.signatures) < 0)
                                return -EBADMSG;
                        ref.has_signatures = true;
                } else if (strcmp(key, "generation") == 0 && !have_generation) {
                        if (store_state_file_parse_unsigned(value, 1, UINT32_MAX, &ref.generation) < 0)
                                return -EBADMSG;
                        have_generation = true;
                } else
                        return -EBADMSG;
        }
        if (r < 0)
                return r;
        if (!have_manifest)
                return -EBADMSG;
        *refp = ref;
        return 0;
}

int store_ref_format(const StoreRef *ref, char **textp) {
        char m[SHA256_HEX_LEN + 1], s[SHA256_HEX_LEN + 1];
        char sigline[16 + SHA256_HEX_LEN] = "", genline[32] = "";
        char *text;

        sha256_to_hex(&ref->manifest, m);
        if (ref->has_signatures) {
                sha256_to_hex(&ref->signatures, s);
                snprintf(sigline, sizeof(sigline), "signatures %s\n", s);
        }
        if (ref->generation > 0)
                snprintf(genline, sizeof(genline), "generation %u\n", ref->generation);
        if (asprintf(&text, "manifest %s\n%s%s", m, sigline, genline) < 0)
                return -ENOMEM;
        *textp = text;
        return 0;
}

int store_ref_read(const Store *store, const char *name, StoreRef *refp) {
        _cleanup_free_ char *text = NULL;
        char rel[8 + STORE_REF_NAME_MAX];
        size_t size;
        int r;

        if (!store_ref_name_is_valid(name))
                return -EINVAL;
        snprintf(rel, sizeof(rel), "refs/%s", name);
        r = store_read_file(store, rel, STORE_REF_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        return store_ref_parse(text, size, refp);
}

int store_ref_write(Store *store, const char *name, const StoreRef *ref) {
        _cleanup_free_ char *text = NULL;
        char rel[8 + STORE_REF_NAME_MAX];
        int r;

        if (!store_ref_name_is_valid(name))
                return -EINVAL;
        r = store_ref_format(ref, &text);
        if (r < 0)
                return r;
        snprintf(rel, sizeof(rel), "refs/%s", name);
        return store_replace_file(store, rel, text, strlen(text));
}

int store_ref_remove(Store *store, const char *name) {
        char rel[8 + STORE_REF_NAME_MAX];

        if (!store_ref_name_is_valid(name))
                return -EINVAL;
        snprintf(rel, sizeof(rel), "refs/%s", name);
        return store_remove_file(store, rel);
}

static bool store_ref_is_name(const struct dirent *de) {
        return store_ref_name_is_valid(de->d_name);
}

int store_ref_list(const Store *store, char ***namesp) {
        return store_dir_list_at(store_dirfd(store), "refs", store_ref_is_name, namesp);
}
