/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest renderings: a human summary, JSON, and a Graphviz graph. */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "manifest/manifest.h"

/* A readable summary: apps in start order, supervision, protocol connections, keys. */
int manifest_render_text(const Manifest *m, FILE *f);

/* The JSON object documented in docs/manifest.md. The caller owns *jsonp (json_decref). */
int manifest_render_json(const Manifest *m, json_t **jsonp);

/*
 * A Graphviz digraph: apps, message server instances (clusters) with their protocols,
 * publisher -> protocol and client -> protocol edges, supervision edges.
 */
int manifest_render_dot(const Manifest *m, FILE *f);
