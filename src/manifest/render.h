/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest renderings: a human summary, JSON, and a Graphviz graph.
 *
 * Invariant: a rendering reads only the validated model, so every name in it is from the
 * restricted identifier set and free text is escaped for the target format.
 */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "manifest/manifest.h"

/* Each rendering returns 0, or a negative errno (-ENOMEM, -EIO from a failed write). */

/* A readable summary: apps in start order, supervision, protocol connections, keys. */
int manifest_render_text(const Manifest *m, FILE *f);

/* The JSON object documented in docs/manifest.md. The caller owns *jsonp (json_decref). */
int manifest_render_json(const Manifest *m, json_t **jsonp);

/*
 * A Graphviz digraph: apps, message server instances (clusters) with their protocols,
 * publisher -> protocol and client -> protocol edges, supervision edges.
 */
int manifest_render_dot(const Manifest *m, FILE *f);
