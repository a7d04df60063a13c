/*
 * report.h - the report renderers: report.html, report.md, report.json
 * and manifest.json from a kz_report model (model.h), and the input
 * hashing that fills the manifest. Reference: docs/report.md.
 *
 * Every renderer appends to a kz_strbuf (bounded by the buffer's max)
 * and reads the model only; strings from logs go through one escaper per
 * output kind (html.c, md.c; JSON through write/escape.h). Times are
 * formatted in the model's zone (meta.tz) with the offset shown; for a
 * named zone the caller (src/cli) must have called kz_tz_activate().
 * Output is deterministic: the same model gives the same bytes.
 * Errors: KZ_ENOMEM / KZ_ELIMIT from the buffer, KZ_EIO from files.
 * Threads: reentrant for distinct buffers (named zones: see tz.h).
 */
#ifndef KZ_REPORT_REPORT_H
#define KZ_REPORT_REPORT_H

#include <stdint.h>

#include "base/error.h"
#include "base/sha256.h"
#include "base/strbuf.h"
#include "report/model.h"

/* The build-time hook for an interactive graph: when the build defines
 * KZ_REPORT_GRAPH_JS as the path of a script file (cytoscape.js from
 * npm), report.html is meant to inline it; not implemented in this slice,
 * so the static SVG graph is always used (docs/report.md, Graph). */
#ifdef KZ_REPORT_GRAPH_JS
#define KZ_REPORT_GRAPH_JS_PATH KZ_REPORT_GRAPH_JS
#else
#define KZ_REPORT_GRAPH_JS_PATH NULL
#endif

/* Appends report.html: one self-contained page (inline CSS, inline
 * scripts allowed by their SHA-256 in a strict CSP meta tag, inline SVG;
 * no URL of any scheme). */
kz_status kz_report_html(const kz_report *r, kz_strbuf *out, kz_error *err);

/* Appends report.md (the same content as report.json). */
kz_status kz_report_md(const kz_report *r, kz_strbuf *out, kz_error *err);

/* Appends report.json, schema KZ_REPORT_SCHEMA. */
kz_status kz_report_json(const kz_report *r, kz_strbuf *out, kz_error *err);

/* Appends manifest.json, schema KZ_MANIFEST_SCHEMA: inputs with size and
 * SHA-256, tool version, flags, rule sources and counts. */
kz_status kz_report_manifest(const kz_report *r, kz_strbuf *out,
                             kz_error *err);

/* Writes report.html, report.md, report.json and manifest.json into the
 * existing directory dir (each through a temporary file renamed into
 * place). */
kz_status kz_report_write_dir(const kz_report *r, const char *dir,
                              kz_error *err);

/* Streams the file at path through SHA-256: *size gets its length in
 * bytes and hex the digest. KZ_EIO if it cannot be read. */
kz_status kz_report_hash_file(const char *path, uint64_t *size,
                              char hex[KZ_SHA256_HEX_LEN + 1],
                              kz_error *err);

/* Hashes the file at path and adds it to r->inputs; a file that cannot
 * be read is added with its reason in .note and no digest (not an
 * error). */
kz_status kz_report_add_input_file(kz_report *r, const char *path,
                                   kz_error *err);

#endif /* KZ_REPORT_REPORT_H */
