/*
 * test_sha256.c - SHA-256 against the FIPS 180-2 / NIST CAVP example
 * vectors, and the streaming API cut at every kind of boundary.
 */
#include "base/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

/* hashlib.sha256(bytes((i * 31 + 7) & 255 for i in range(1000))) */
#define SPLIT_1000_WANT \
    "5097e7d587352f5097062ae679f37bda5802d9f875aba14c8cb4d1a188ada179"

static const struct sha_vec {
    const char *msg;   /* message, ASCII */
    size_t repeat;     /* the message is repeated this many times */
    const char *want;  /* hex digest */
} vecs[] = {
    { "", 1,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", 1,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    /* 448 bits */
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    /* 896 bits */
    { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    /* one million 'a' */
    { "a", 1000000,
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

static void
test_sha256_nist_vectors(void)
{
    for (size_t i = 0; i < T_COUNT(vecs); i++) {
        const struct sha_vec *v = &vecs[i];
        size_t n = strlen(v->msg);
        kz_sha256 c;
        uint8_t d[KZ_SHA256_LEN];
        char hex[KZ_SHA256_HEX_LEN + 1];

        kz_sha256_init(&c);
        for (size_t r = 0; r < v->repeat; r++)
            kz_sha256_update(&c, v->msg, n);
        kz_sha256_final(&c, d);
        kz_sha256_hex(d, hex);
        T_CHECK(strcmp(hex, v->want) == 0, "row %zu: %s != %s", i, hex,
                v->want);
    }
}

static void
test_sha256_one_shot(void)
{
    char hex[KZ_SHA256_HEX_LEN + 1];

    kz_sha256_hex_of("abc", 3, hex);
    T_EQ_STR(hex, vecs[1].want);
    kz_sha256_hex_of(NULL, 0, hex);
    T_EQ_STR(hex, vecs[0].want);
}

/* The same digest however the input is cut: piece sizes around the
 * block (64) and the padding boundary (55/56). */
static void
test_sha256_split_updates(void)
{
    static const size_t sizes[] = { 0, 1, 2, 3, 55, 56, 57, 63, 64, 65,
                                    119, 120, 127, 128, 129, 1000 };
    static const size_t cuts[] = { 1, 3, 7, 55, 56, 63, 64, 65, 100 };
    uint8_t *buf = malloc(1000);

    T_CHECK(buf != NULL, "malloc");
    if (buf == NULL)
        return;
    for (size_t i = 0; i < 1000; i++)
        buf[i] = (uint8_t)(i * 31 + 7);
    for (size_t s = 0; s < T_COUNT(sizes); s++) {
        char whole[KZ_SHA256_HEX_LEN + 1];

        kz_sha256_hex_of(buf, sizes[s], whole);
        for (size_t k = 0; k < T_COUNT(cuts); k++) {
            kz_sha256 c;
            uint8_t d[KZ_SHA256_LEN];
            char hex[KZ_SHA256_HEX_LEN + 1];
            size_t off = 0;

            kz_sha256_init(&c);
            while (off < sizes[s]) {
                size_t n = sizes[s] - off < cuts[k] ? sizes[s] - off
                                                    : cuts[k];
                kz_sha256_update(&c, buf + off, n);
                kz_sha256_update(&c, buf + off, 0);
                off += n;
            }
            kz_sha256_final(&c, d);
            kz_sha256_hex(d, hex);
            T_CHECK(strcmp(hex, whole) == 0, "size %zu cut %zu: %s != %s",
                    sizes[s], cuts[k], hex, whole);
        }
    }
    /* one byte at a time over 1000 bytes, against python's hashlib */
    {
        kz_sha256 c;
        uint8_t d[KZ_SHA256_LEN];
        char hex[KZ_SHA256_HEX_LEN + 1];

        kz_sha256_init(&c);
        for (size_t i = 0; i < 1000; i++)
            kz_sha256_update(&c, buf + i, 1);
        kz_sha256_final(&c, d);
        kz_sha256_hex(d, hex);
        T_EQ_STR(hex, SPLIT_1000_WANT);
    }
    free(buf);
}

/* Both block paths: this process uses the SHA extensions when the CPU
 * has them; the vectors and the split cases are then run again by a
 * child with KZ_NO_SHA_NI=1 (the portable rounds). */
static void
test_sha256_both_paths(void)
{
    char self[1024], cmd[4096];
    ssize_t n;
    int rc;

    if (!kz_sha256_accelerated()) {
        fprintf(stderr, "note: no SHA extensions here (or KZ_NO_SHA_NI): "
                        "the portable path ran the other cases\n");
        return;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    T_CHECK(n > 0 && strchr(self, '\'') == NULL, "readlink");
    if (n <= 0)
        return;
    self[n] = '\0';
    snprintf(cmd, sizeof(cmd),
             "KZ_NO_SHA_NI=1 '%s' test_sha256_nist_vectors && "
             "KZ_NO_SHA_NI=1 '%s' test_sha256_split_updates && "
             "KZ_NO_SHA_NI=1 '%s' test_sha256_portable_is_used",
             self, self, self);
    rc = system(cmd);
    T_CHECK(rc == 0, "the portable path failed (%d)", rc);
}

/* Run by test_sha256_both_paths' child: KZ_NO_SHA_NI is honoured. */
static void
test_sha256_portable_is_used(void)
{
    if (getenv("KZ_NO_SHA_NI") != NULL)
        T_CHECK(!kz_sha256_accelerated(), "KZ_NO_SHA_NI ignored");
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_sha256_nist_vectors),
        T_CASE(test_sha256_one_shot),
        T_CASE(test_sha256_split_updates),
        T_CASE(test_sha256_both_paths),
        T_CASE(test_sha256_portable_is_used),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
