/* Unit tests of src/read/dedup.c: the duplicate-record set. */
#include <string.h>

#include "read/dedup.h"
#include "t.h"

static kz_event
ev(const char *computer, const char *channel, uint64_t id, kz_time t)
{
    kz_event e;

    memset(&e, 0, sizeof(e));
    e.computer.p = computer;
    e.computer.len = strlen(computer);
    e.channel.p = channel;
    e.channel.len = strlen(channel);
    e.record_id = id;
    e.time = t;
    e.flags = KZ_EV_HAS_RECORD_ID;
    return e;
}

static const struct dedup_row {
    const char *computer;  /* Computer */
    const char *channel;   /* Channel */
    uint64_t id;           /* EventRecordID */
    kz_time t;             /* TimeCreated */
    bool dup;              /* expected verdict */
} rows[] = {
    { "WS01", "Security", 10, 1000000, false },
    { "WS01", "Security", 11, 2000000, false },
    { "WS01", "Security", 10, 1000000, true },       /* exact repeat */
    { "ws01", "security", 11, 2000000, true },       /* case differs */
    { "WS01", "Security", 11, 2000005, true },       /* us truncation */
    { "WS01", "System", 10, 1000000, false },        /* other channel */
    { "WS02", "Security", 10, 1000000, false },      /* other host */
    { "WS01", "Security", 13, 3000000, false },      /* gap */
    { "WS01", "Security", 12, 2500000, false },      /* fills the gap */
    { "WS01", "Security", 12, 2500000, true },       /* joined range */
    { "WS01", "Security", 11, 900000000, false },    /* reused id, new time */
    { "WS01", "Security", 11, 900000000, true },     /* ...then repeated */
    { "WS01", "Security", 12, 890000000, false },    /* the range was not
                                                        stretched by it */
    { "WS01", "Security", 12, 890000005, true },     /* a copy of that one */
    { "WS01", "Security", 10, KZ_TIME_NONE, false }, /* no time: not the
                                                        timed record */
    { "WS01", "Security", 10, KZ_TIME_NONE, true },  /* ...but its copy */
};

/* A log cleared and refilled (ids restart), read after an archive of the
 * old log: every record is distinct; the second reading of the archive is
 * all duplicates. */
static void
test_dedup_cleared_log_keeps_both_generations(void)
{
    kz_dedup *d = kz_dedup_new();
    const kz_time march = 1000000000000LL, january = 900000000000LL;
    uint64_t id;
    int pass, kept = 0, dropped = 0;

    for (pass = 0; pass < 3; pass++) {
        for (id = 1; id <= 4; id++) {
            kz_time t = (pass == 0 ? march : january) + (kz_time)id * 10000000;
            kz_event e = ev("DC01", "Security", id, t);

            if (kz_dedup_seen(d, &e))
                dropped++;
            else
                kept++;
        }
    }
    T_EQ_INT(kept, 8);
    T_EQ_INT(dropped, 4);
    kz_dedup_free(d);
}

static void
test_dedup_table(void)
{
    kz_dedup *d = kz_dedup_new();
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        kz_event e = ev(rows[i].computer, rows[i].channel, rows[i].id,
                        rows[i].t);

        T_CHECK(kz_dedup_seen(d, &e) == rows[i].dup, "row %zu", i);
    }
    T_CHECK(!kz_dedup_saturated(d), "not saturated");
    kz_dedup_free(d);
}

static void
test_dedup_without_record_id_never_drops(void)
{
    kz_dedup *d = kz_dedup_new();
    kz_event e = ev("WS01", "Security", 0, 1);

    e.flags = 0;
    T_CHECK(!kz_dedup_seen(d, &e), "first");
    T_CHECK(!kz_dedup_seen(d, &e), "second");
    kz_dedup_free(d);
}

static void
test_dedup_many_ranges_in_any_order(void)
{
    kz_dedup *d = kz_dedup_new();
    uint64_t i;
    int wrong = 0;

    /* Odd ids first, then even ids, then everything again. */
    for (i = 1; i < 20000; i += 2) {
        kz_event e = ev("H", "C", i, (kz_time)i * 100000);
        wrong += kz_dedup_seen(d, &e);
    }
    for (i = 0; i < 20000; i += 2) {
        kz_event e = ev("H", "C", i, (kz_time)i * 100000);
        wrong += kz_dedup_seen(d, &e);
    }
    for (i = 0; i < 20000; i++) {
        kz_event e = ev("H", "C", i, (kz_time)i * 100000);
        wrong += !kz_dedup_seen(d, &e);
    }
    T_EQ_INT(wrong, 0);
    kz_dedup_free(d);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_dedup_table),
        T_CASE(test_dedup_cleared_log_keeps_both_generations),
        T_CASE(test_dedup_without_record_id_never_drops),
        T_CASE(test_dedup_many_ranges_in_any_order),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
