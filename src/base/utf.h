/*
 * utf.h - text conversions: UTF-16LE to UTF-8, UTF-8 repair, ANSI code
 * pages.
 *
 * UTF-16 from logs may hold unpaired surrogates. They are kept, encoded as
 * WTF-8 (the 3-byte form of the surrogate code point), so outputs can show
 * the original (\udXXX in JSON) while kz_utf8_repair() gives the matching
 * copy with U+FFFD. See docs/internals/base.md.
 * Threads: all functions are reentrant.
 */
#ifndef KZ_BASE_UTF_H
#define KZ_BASE_UTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Upper bound of UTF-8 bytes for n UTF-16 code units. */
#define KZ_UTF16_TO_UTF8_MAX(n) ((n) * 3)

/* Converts n UTF-16LE code units at p into out (which must hold
 * KZ_UTF16_TO_UTF8_MAX(n) bytes); returns bytes written. Lone surrogates
 * become WTF-8. Stops at nothing: NULs are converted too. */
size_t kz_utf16le_to_utf8(const uint8_t *p, size_t n, char *out);

/* As kz_utf16le_to_utf8; *valid is set to true when the bytes written are
 * valid UTF-8 (kz_utf8_valid would say so), false when a lone surrogate
 * was written as WTF-8. */
size_t kz_utf16le_to_utf8_checked(const uint8_t *p, size_t n, char *out,
                                  bool *valid);

/* Appends the conversion of n UTF-16LE code units to b. */
kz_status kz_utf16le_append(kz_strbuf *b, const uint8_t *p, size_t n);

/* As kz_utf16le_append; on KZ_OK *valid tells whether the appended bytes
 * are valid UTF-8 (no lone surrogate); false on any error. */
kz_status kz_utf16le_append_checked(kz_strbuf *b, const uint8_t *p, size_t n,
                                    bool *valid);

/* Writes the low bytes of the n UTF-16LE units at p to out (n bytes)
 * when every unit is in U+0001..U+007F: then they are the units' UTF-8
 * text (what kz_utf16le_to_utf8 gives). Returns false, with out partly
 * written, for any other unit. SSE2, eight units a step. */
bool kz_utf16le_ascii_pack(const uint8_t *p, size_t n, char *out);

/* True if s[0..n) is valid UTF-8 (WTF-8 surrogates count as invalid). */
bool kz_utf8_valid(const char *s, size_t n);

/* Appends s[0..n) to b with every invalid sequence or encoded surrogate
 * replaced by U+FFFD. */
kz_status kz_utf8_repair(kz_strbuf *b, const char *s, size_t n);

/* Length of the valid UTF-8 (or WTF-8 surrogate) sequence at s[0..n), or 0
 * if the bytes there are not one; *cp receives the code point. */
size_t kz_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Writes code point cp as UTF-8 (surrogates as WTF-8) at o, which must
 * hold 4 bytes; returns the bytes written. */
size_t kz_utf8_put(char *o, uint32_t cp);

/* Appends code point cp as UTF-8 (surrogates as WTF-8). */
kz_status kz_utf8_append_cp(kz_strbuf *b, uint32_t cp);

/* Appends n bytes of ANSI text in Windows code page `codepage` (1252, 932,
 * ...) converted to UTF-8 through iconv; bytes that do not convert become
 * U+FFFD. Code page 65001 means the bytes are UTF-8 already. */
kz_status kz_ansi_append(kz_strbuf *b, const uint8_t *p, size_t n,
                         unsigned codepage);

/* True if iconv knows codepage (checked once by the CLI). */
bool kz_ansi_codepage_supported(unsigned codepage);

#endif /* KZ_BASE_UTF_H */
