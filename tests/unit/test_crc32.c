/* Unit tests of src/base/crc32.c: the folding path agrees with zlib for
 * every length and alignment, and known check values hold. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/crc32.h"
#include "t.h"

static void
test_crc32_check_values(void)
{
    static const struct {
        const char *text;   /* input */
        uint32_t crc;       /* CRC-32 (IEEE) */
    } rows[] = {
        { "", 0x00000000u },
        { "123456789", 0xCBF43926u },
        { "The quick brown fox jumps over the lazy dog", 0x414FA339u },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_crc32((const uint8_t *)rows[i].text,
                         strlen(rows[i].text)) == rows[i].crc,
                "row %zu", i);
}

static void
test_crc32_matches_zlib_for_all_lengths(void)
{
    static uint8_t buf[65536 + 16];
    size_t n, off;
    int bad = 0;

    srand(7);
    for (n = 0; n < sizeof(buf); n++)
        buf[n] = (uint8_t)rand();
    for (n = 0; n < 1100; n++)
        for (off = 0; off < 4; off++)
            bad += kz_crc32(buf + off, n) != (uint32_t)crc32(0, buf + off,
                                                             (uInt)n);
    for (n = 65536 - 600; n <= 65536; n += 13)
        bad += kz_crc32(buf + 3, n) != (uint32_t)crc32(0, buf + 3, (uInt)n);
    T_EQ_INT(bad, 0);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_crc32_check_values),
        T_CASE(test_crc32_matches_zlib_for_all_lengths),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
