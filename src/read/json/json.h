/*
 * json.h - what the JSON reader tells the rest of read/ and the CLI about a
 * file it opened with kz_format_json (format.h).
 *
 * The format itself is reached through kz_format_json; this header only
 * adds the facts the pipeline may want to print: the shape detected from
 * the first record (docs/json-shapes.md) and the layout of the records.
 *
 * Lifetime: the strings returned are static. Threads: the functions read
 * fields that kz_format_json.open() set and nothing changes afterwards, so
 * they may be called from any thread once open() has returned.
 */
#ifndef KZ_READ_JSON_JSON_H
#define KZ_READ_JSON_JSON_H

/* Name of the shape detected from the first record of the file opened as
 * file_state: "evtx_dump", "winlogbeat", "winlogbeat6", "nxlog", "flat" or
 * "ecs" (unsupported), or NULL if the first block held no record. Records
 * are still mapped one by one, so a file mixing shapes is read whole. */
const char *kz_json_shape_name(const void *file_state);

/* Layout of the file: "lines" (JSON Lines: one record per line; event
 * positions are line numbers) or "document" (an array or concatenated,
 * possibly pretty-printed objects; event positions are record ordinals). */
const char *kz_json_layout_name(const void *file_state);

/* Encoding of the file: "utf-8", "utf-16le" or "utf-16be". */
const char *kz_json_encoding_name(const void *file_state);

#endif /* KZ_READ_JSON_JSON_H */
