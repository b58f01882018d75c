/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest source: DTS compiled by dtc, and the map from DTB locations back to DTS lines.
 *
 * The DTB is the signed truth; the DTS is how people write it. dtc does the compiling. To
 * name the DTS line of a validation error, dtc is asked for its annotated output (-T -T),
 * which tags every node and property with the file and line it came from, /include/d
 * files included.
 */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"

/*
 * Compiles a DTS file with dtc. On a dtc error returns -EBADMSG and sets *errorp to a
 * one-line message "FILE:LINE: what" (owned by the caller). -ENOENT if dtc is missing.
 */
int manifest_compile_dts(const char *dts_path, char **dtbp, size_t *sizep, char **errorp);

typedef struct ManifestSourceMap ManifestSourceMap;

/* Builds the map for a DTS file that dtc compiles. */
int manifest_source_map_new(ManifestSourceMap **mapp, const char *dts_path);
ManifestSourceMap *manifest_source_map_free(ManifestSourceMap *map);

/*
 * Finds where node (path without leading '/', "" for the root) and property (NULL or ""
 * for the node itself) were written, falling back to the nearest enclosing node. Returns
 * a "FILE:LINE" string owned by the map, or NULL.
 */
const char *manifest_source_map_lookup(const ManifestSourceMap *map, const char *node, const char *property);

DEFINE_CLEANUP_FUNC(ManifestSourceMap, manifest_source_map_free)
