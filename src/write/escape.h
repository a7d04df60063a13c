/*
 * escape.h - making attacker-controlled text safe for each place it is
 * written: JSON strings, terminal messages, CSV cells.
 *
 * Strings from logs and file names are hostile (DESIGN.md Hostile input):
 * they may hold control characters, terminal escape sequences, invalid
 * UTF-8, unpaired UTF-16 surrogates (kept as WTF-8 by the readers), or
 * spreadsheet formulas. Each function here appends an escaped form that
 * keeps the original recoverable where the target allows it.
 * Errors: only the output buffer's KZ_ENOMEM / KZ_ELIMIT.
 * Threads: all functions are reentrant.
 */
#ifndef KZ_WRITE_ESCAPE_H
#define KZ_WRITE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Appends s[0..n) as the inside of a JSON string (no quotes):
 * '"' and '\' escaped; C0 controls as \b \f \n \r \t or \u00xx; DEL and
 * the C1 controls (U+0080..U+009F) and U+2028/U+2029 as \uXXXX; valid
 * UTF-8 kept; a WTF-8 surrogate (ED A0..BF xx) as \udxxx; every other
 * byte that is not valid UTF-8 as \ufffd. */
kz_status kz_json_escape(kz_strbuf *out, const char *s, size_t n);

/* Appends s[0..n) as a JSON string, quotes included. */
kz_status kz_json_string(kz_strbuf *out, const char *s, size_t n);

/* Appends n UTF-16LE code units at p as a quoted JSON string, converting
 * and escaping in one pass with the same rules as kz_json_escape (lone
 * surrogates as \udXXX; trailing NULs are not stripped here). */
kz_status kz_json_string_utf16(kz_strbuf *out, const uint8_t *p, size_t n);

/* Flags of kz_visible_escape(): where the one-line forms differ. */
enum {
    KZ_VIS_BACKSLASH = 1u << 0, /* '\' doubled (else kept as is) */
    KZ_VIS_WS_NAMES = 1u << 1,  /* LF, CR, TAB as \n \r \t (else \xHH) */
    KZ_VIS_LINE_SEPS = 1u << 2, /* U+2028/U+2029 as \xHH (else kept) */
    KZ_VIS_UPPER_HEX = 1u << 3, /* \xHH digits upper case (else lower) */
};

/* Appends s[0..n) as one line of visible text: printable ASCII and valid
 * printable UTF-8 kept; every byte of a control character (C0, DEL, ESC,
 * C1), of a bidirectional override (U+202A..E, U+2066..9), of a WTF-8
 * surrogate and of invalid UTF-8 shown as \xHH; flags (KZ_VIS_*) choose
 * the differences between kz_term_escape() and kz_tl_flatten(). */
kz_status kz_visible_escape(kz_strbuf *out, const char *s, size_t n,
                            unsigned flags);

/* Appends s[0..n) for a terminal or a log line: kz_visible_escape() with
 * KZ_VIS_BACKSLASH ('\' doubled, lower-case \xHH for every byte of a
 * control character, bidirectional override or invalid UTF-8). */
kz_status kz_term_escape(kz_strbuf *out, const char *s, size_t n);

/* True if a spreadsheet would read a cell holding s[0..n) as a formula:
 * it starts with '=', '+', '-', '@', TAB or CR. */
bool kz_csv_needs_guard(const char *s, size_t n);

/* Appends s[0..n) as one RFC 4180 CSV cell: a leading '\'' if
 * kz_csv_needs_guard(), and quotes (with '"' doubled) when it holds a
 * comma, quote, CR or LF, or was guarded. */
kz_status kz_csv_cell(kz_strbuf *out, const char *s, size_t n);

#endif /* KZ_WRITE_ESCAPE_H */
