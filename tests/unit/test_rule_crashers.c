/*
 * test_rule_crashers.c - every rule file that once crashed the loader,
 * compiler or matcher (fuzz/fuzz_rules.c findings, rewritten by hand in
 * tests/data/rule-crashers/) must load, compile and match cleanly. Run
 * under ASan+UBSan by `make test` too, which is where these fail.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "sigma/sigma.h"
#include "t.h"

static kz_status
on_hit(void *ctx, const kz_event *ev, uint32_t rule)
{
    (void)ev;
    (void)rule;
    (*(size_t *)ctx)++;
    return KZ_OK;
}

/* Loads, finishes, compiles and runs one file over a fixed event. */
static void
run_one(const char *path)
{
    kz_sigma_set *s = kz_sigma_set_new(NULL);
    kz_names *names = kz_names_new();
    kz_ruleset *rs = NULL;
    kz_matcher *m = NULL;
    kz_error err;
    kz_field f;
    kz_event ev;
    size_t hits = 0;
    kz_match_cb cb = { on_hit, NULL, &hits };

    kz_error_clear(&err);
    T_CHECK(s != NULL && names != NULL, "allocation");
    T_EQ_INT(kz_sigma_load_path(s, path, &err), KZ_OK);
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    T_CHECK(kz_ruleset_compile(s, names, NULL, &rs, &err) == KZ_OK,
            "%s: compile: %s", path, err.msg);
    kz_names_freeze(names);
    if (rs != NULL && (m = kz_matcher_new(rs)) != NULL) {
        memset(&ev, 0, sizeof(ev));
        ev.channel.p = "Security";
        ev.channel.len = 8;
        ev.event_id = 4625;
        ev.flags = KZ_EV_HAS_EVENT_ID;
        f.name.p = "TargetUserName";
        f.name.len = 14;
        f.id = kz_names_lookup(names, "TargetUserName", 14);
        f.group = KZ_FG_EVENTDATA;
        f.value = kz_value_utf8("admin", 5);
        ev.fields = &f;
        ev.nfields = 1;
        T_EQ_INT(kz_match_event(m, &ev, &cb), KZ_OK);
    }
    kz_matcher_free(m);
    kz_ruleset_free(rs);
    kz_names_free(names);
    kz_sigma_set_free(s);
}

static void
test_rule_crashers_stay_fixed(void)
{
    const char *src = getenv("KZ_SRC");
    char dir[4096], path[8192];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/rule-crashers",
             src != NULL ? src : ".");
    d = opendir(dir);
    T_CHECK(d != NULL, "cannot open %s", dir);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        run_one(path);
        n++;
    }
    closedir(d);
    T_CHECK(n > 0, "no crasher files in %s", dir);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_rule_crashers_stay_fixed),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
