/*
 * set.c - the rule set: walking paths, one verdict per document, duplicate
 * ids, and kz_sigma_set_finish (filters, logsource mapping, correlation
 * references).
 *
 * Order of finish: filters are applied first (so the mapping sees the
 * filtered rule), then every rule is mapped to EVTX (unmappable rules
 * leave the set as UNMAPPED unless keep_unmapped), then correlation
 * references are resolved against what remains (by id, then by name;
 * correlations may reference correlations); unresolved ones go to
 * set->missing.
 */
#include "sigma/sigma.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/grow.h"
#include "base/hash.h"
#include "sigma/logsource.h"
#include "sigma/sigma_int.h"

/* The set with its private bookkeeping (s must stay first). */
typedef struct set_int {
    kz_sigma_set s;          /* the public part */
    size_t rcap, repcap, mcap; /* allocated rules / reports / missing */
    size_t *rule_report;     /* report index of each rule (with rules) */
    const char **ids;        /* open-addressing table of rule ids */
    size_t idcap, nids;      /* slots / used */
    bool finished;           /* kz_sigma_set_finish ran */
} set_int;

kz_sigma_set *
kz_sigma_set_new(const kz_sigma_load_opts *o)
{
    set_int *si = calloc(1, sizeof(*si));

    if (si == NULL)
        return NULL;
    if (o != NULL)
        si->s.opts = *o;
    kz_arena_init(&si->s.arena, 65536, 0);
    return &si->s;
}

void
kz_sigma_set_free(kz_sigma_set *s)
{
    set_int *si = (set_int *)s;
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nrules; i++)
        kz_sg_rule_free(s->rules[i]);
    free(s->rules);
    free(s->reports);
    free(s->missing);
    free(si->rule_report);
    free(si->ids);
    kz_arena_fini(&s->arena);
    free(si);
}

static const char *
set_str(kz_sigma_set *s, const char *p)
{
    return p == NULL ? NULL : kz_arena_strndup(&s->arena, p, strlen(p));
}

static kz_status
add_report(set_int *si, const char *path, unsigned doc, unsigned line,
           kz_sg_verdict v, const char *title, const char *reason)
{
    kz_sigma_set *s = &si->s;
    kz_sg_report *r;

    if (kz_grow(&s->reports, &si->repcap, s->nreports + 1,
                sizeof(*s->reports), 64) != KZ_OK)
        return KZ_ENOMEM;
    r = &s->reports[s->nreports];
    r->path = path;
    r->doc = doc;
    r->line = line;
    r->verdict = (uint8_t)v;
    r->title = set_str(s, title);
    r->reason = set_str(s, reason);
    if ((title != NULL && r->title == NULL) ||
        (reason != NULL && r->reason == NULL))
        return KZ_ENOMEM;
    s->nreports++;
    s->counts[v]++;
    return KZ_OK;
}

/* Looks id up in the id table; adds it when absent. *dup says it was
 * there already. */
static kz_status
id_check(set_int *si, const char *id, bool *dup)
{
    size_t i, mask;
    uint64_t h;

    *dup = false;
    if (si->nids * 2 >= si->idcap) {
        size_t cap = si->idcap ? si->idcap * 2 : 256, k;
        const char **n = calloc(cap, sizeof(*n));

        if (n == NULL)
            return KZ_ENOMEM;
        for (k = 0; k < si->idcap; k++) {
            if (si->ids[k] == NULL)
                continue;
            h = kz_hash(si->ids[k], strlen(si->ids[k]));
            for (i = h & (cap - 1); n[i] != NULL; i = (i + 1) & (cap - 1))
                ;
            n[i] = si->ids[k];
        }
        free(si->ids);
        si->ids = n;
        si->idcap = cap;
    }
    mask = si->idcap - 1;
    h = kz_hash(id, strlen(id));
    for (i = h & mask; si->ids[i] != NULL; i = (i + 1) & mask)
        if (strcmp(si->ids[i], id) == 0) {
            *dup = true;
            return KZ_OK;
        }
    if ((si->ids[i] = set_str(&si->s, id)) == NULL)
        return KZ_ENOMEM;
    si->nids++;
    return KZ_OK;
}

static kz_status
add_rule(set_int *si, kz_sigma_rule *r, size_t report)
{
    kz_sigma_set *s = &si->s;

    if (s->nrules == si->rcap) {
        size_t cap = si->rcap ? si->rcap * 2 : 64;
        kz_sigma_rule **n = realloc(s->rules, cap * sizeof(*n));
        size_t *m;

        if (n == NULL)
            return KZ_ENOMEM;
        s->rules = n;
        if ((m = realloc(si->rule_report, cap * sizeof(*m))) == NULL)
            return KZ_ENOMEM;
        si->rule_report = m;
        si->rcap = cap;
    }
    s->rules[s->nrules] = r;
    si->rule_report[s->nrules] = report;
    s->nrules++;
    return KZ_OK;
}

/* One document: build, then report and keep it, or report why not. */
static kz_status
load_doc(set_int *si, const char *path, unsigned doc, const kz_yn *root,
         kz_error *err)
{
    kz_sigma_rule *r = NULL;
    kz_sg_ctx c;
    kz_status st;
    bool dup = false;

    st = kz_sg_build(root, path, doc, &si->s.opts, &r, &c);
    if (st == KZ_EFORMAT) {
        st = add_report(si, path, doc, c.line, (kz_sg_verdict)c.verdict,
                        r ? r->title : NULL, c.reason);
        kz_sg_rule_free(r);
        return st == KZ_OK ? KZ_OK
                           : kz_error_set(err, st, "out of memory");
    }
    if (st != KZ_OK) {
        kz_sg_rule_free(r);
        return kz_error_set(err, st, "%s: out of memory", path);
    }
    if (r->id != NULL && (st = id_check(si, r->id, &dup)) != KZ_OK)
        goto oom;
    if (dup) {
        char msg[160];

        snprintf(msg, sizeof(msg), "duplicate id %.64s", r->id);
        st = add_report(si, path, doc, r->line, KZ_SGV_DUPLICATE, r->title,
                        msg);
        kz_sg_rule_free(r);
        return st == KZ_OK ? KZ_OK
                           : kz_error_set(err, st, "out of memory");
    }
    if ((st = add_report(si, path, doc, 0, KZ_SGV_LOADED, r->title,
                         c.warning)) != KZ_OK ||
        (st = add_rule(si, r, si->s.nreports - 1)) != KZ_OK)
        goto oom;
    return KZ_OK;
oom:
    kz_sg_rule_free(r);
    return kz_error_set(err, st, "%s: out of memory", path);
}

kz_status
kz_sigma_load_buffer(kz_sigma_set *s, const char *path, const char *text,
                     size_t len, kz_error *err)
{
    set_int *si = (set_int *)s;
    kz_arena scratch;
    kz_yaml *y = NULL;
    unsigned doc = 0;
    kz_status st = KZ_OK;
    const char *p;

    if ((p = set_str(s, path ? path : "-")) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    s->files++;
    if (len > KZ_SG_MAX_FILE) {
        st = add_report(si, p, 0, 0, KZ_SGV_INVALID, NULL,
                        "file larger than 4 MiB");
        return st == KZ_OK ? KZ_OK : kz_error_set(err, st, "out of memory");
    }
    kz_arena_init(&scratch, 65536, 0);
    if ((y = kz_yaml_open(text, len, &scratch)) == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "out of memory");
        goto out;
    }
    for (;; doc++) {
        kz_yn *root;
        const char *why;
        unsigned line;

        st = kz_yaml_next(y, &root, &why, &line);
        if (st == KZ_EFORMAT) {
            char msg[300];

            snprintf(msg, sizeof(msg), "YAML: %s", why ? why : "error");
            if ((st = add_report(si, p, doc, line, KZ_SGV_INVALID, NULL,
                                 msg)) != KZ_OK)
                st = kz_error_set(err, st, "out of memory");
            break;
        }
        if (st != KZ_OK) {
            kz_error_set(err, st, "%s: out of memory", p);
            break;
        }
        if (root == NULL) {
            if (doc == 0 &&
                (st = add_report(si, p, 0, 0, KZ_SGV_NOT_RULE, NULL,
                                 "no YAML document")) != KZ_OK)
                kz_error_set(err, st, "out of memory");
            break;
        }
        if ((st = load_doc(si, p, doc, root, err)) != KZ_OK)
            break;
    }
out:
    kz_yaml_close(y);
    kz_arena_fini(&scratch);
    return st;
}

/* Reads a whole file (<= 4 MiB + 1 byte, so larger files are seen). */
static kz_status
read_file(const char *path, char **text, size_t *len, int *eno)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    *text = NULL;
    if (f == NULL) {
        *eno = errno;
        return KZ_EIO;
    }
    if ((buf = malloc(KZ_SG_MAX_FILE + 1)) == NULL) {
        fclose(f);
        return KZ_ENOMEM;
    }
    n = fread(buf, 1, KZ_SG_MAX_FILE + 1, f);
    if (ferror(f)) {
        *eno = errno ? errno : EIO;
        fclose(f);
        free(buf);
        return KZ_EIO;
    }
    fclose(f);
    *text = buf;
    *len = n;
    return KZ_OK;
}

static kz_status
load_file(set_int *si, const char *path, bool top, kz_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int eno = 0;
    kz_status st = read_file(path, &text, &len, &eno);

    if (st == KZ_EIO) {
        const char *p;

        if (top)
            return kz_error_set(err, KZ_EIO, "%s: %s", path, strerror(eno));
        if ((p = set_str(&si->s, path)) == NULL)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        si->s.files++;
        st = add_report(si, p, 0, 0, KZ_SGV_INVALID, NULL, strerror(eno));
        return st == KZ_OK ? KZ_OK : kz_error_set(err, st, "out of memory");
    }
    if (st != KZ_OK)
        return kz_error_set(err, st, "out of memory");
    st = kz_sigma_load_buffer(&si->s, path, text, len, err);
    free(text);
    return st;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
yaml_name(const char *n)
{
    size_t l = strlen(n);

    return (l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
           (l > 5 && strcmp(n + l - 5, ".yaml") == 0);
}

static kz_status
walk(set_int *si, const char *dir, unsigned depth, kz_error *err)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    kz_status st = KZ_OK;

    if (depth > KZ_SG_MAX_DIR_DEPTH)
        return KZ_OK;
    if ((d = opendir(dir)) == NULL)
        return depth == 0 ? kz_error_set(err, KZ_EIO, "%s: %s", dir,
                                         strerror(errno))
                          : KZ_OK;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof(*nn));

            if (nn == NULL) {
                st = KZ_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            st = KZ_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (st == KZ_OK && n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n && st == KZ_OK; i++) {
        char *full;
        size_t fl = strlen(dir) + strlen(names[i]) + 2;
        struct stat sb;

        if ((full = malloc(fl)) == NULL) {
            st = KZ_ENOMEM;
            break;
        }
        snprintf(full, fl, "%s/%s", dir, names[i]);
        if (lstat(full, &sb) == 0 && !S_ISLNK(sb.st_mode)) {
            if (S_ISDIR(sb.st_mode))
                st = walk(si, full, depth + 1, err);
            else if (S_ISREG(sb.st_mode) && yaml_name(names[i]))
                st = load_file(si, full, false, err);
        }
        free(full);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (st == KZ_ENOMEM)
        kz_error_set(err, st, "out of memory");
    return st;
}

kz_status
kz_sigma_load_path(kz_sigma_set *s, const char *path, kz_error *err)
{
    set_int *si = (set_int *)s;
    struct stat sb;

    if (stat(path, &sb) != 0)
        return kz_error_set(err, KZ_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return walk(si, path, 0, err);
    return load_file(si, path, true, err);
}

/* Moves rule i out of the set with verdict v (report updated). */
static void
drop_rule(set_int *si, size_t i, kz_sg_verdict v, const char *reason)
{
    kz_sigma_set *s = &si->s;
    kz_sg_report *rep = &s->reports[si->rule_report[i]];

    s->counts[rep->verdict]--;
    s->counts[v]++;
    rep->verdict = (uint8_t)v;
    rep->reason = reason;
    rep->line = s->rules[i]->line;
    kz_sg_rule_free(s->rules[i]);
    s->rules[i] = NULL;
}

static kz_status
add_missing(set_int *si, const kz_sigma_rule *c, const char *ref)
{
    kz_sigma_set *s = &si->s;
    kz_sg_missing_ref *m;

    if (kz_grow(&s->missing, &si->mcap, s->nmissing + 1,
                sizeof(*s->missing), 16) != KZ_OK)
        return KZ_ENOMEM;
    m = &s->missing[s->nmissing];
    m->path = c->path;
    m->corr = set_str(s, c->title);
    m->ref = set_str(s, ref);
    if (m->ref == NULL || (c->title != NULL && m->corr == NULL))
        return KZ_ENOMEM;
    s->nmissing++;
    return KZ_OK;
}

static bool
find_ref(const kz_sigma_set *s, const char *ref)
{
    size_t i;

    for (i = 0; i < s->nrules; i++)
        if (s->rules[i]->kind != KZ_SG_FILTER && s->rules[i]->id != NULL &&
            strcmp(s->rules[i]->id, ref) == 0)
            return true;
    for (i = 0; i < s->nrules; i++)
        if (s->rules[i]->kind != KZ_SG_FILTER && s->rules[i]->name != NULL &&
            strcmp(s->rules[i]->name, ref) == 0)
            return true;
    return false;
}

kz_status
kz_sigma_set_finish(kz_sigma_set *s, kz_error *err)
{
    set_int *si = (set_int *)s;
    kz_arena scratch;
    size_t i, k, n;
    unsigned fidx = 0;
    kz_status st = KZ_OK;

    if (si->finished)
        return kz_error_set(err, KZ_EUSAGE, "set already finished");
    si->finished = true;
    /* 1. Filters. */
    for (i = 0; i < s->nrules; i++) {
        const kz_sigma_rule *f = s->rules[i];

        if (f->kind != KZ_SG_FILTER)
            continue;
        for (k = 0; k < s->nrules; k++) {
            bool applied;

            if ((st = kz_sg_filter_apply(f, fidx, s->rules[k], &applied)) !=
                KZ_OK)
                return kz_error_set(err, st, "applying filter %s: %s",
                                    f->path, kz_status_str(st));
        }
        fidx++;
    }
    /* 2. Logsource mapping. */
    kz_arena_init(&scratch, 16384, 0);
    for (i = 0; i < s->nrules; i++) {
        const kz_ls_target *t = NULL;
        size_t nt = 0;
        const char *why = NULL;

        if (s->rules[i]->kind != KZ_SG_RULE)
            continue;
        kz_arena_reset(&scratch);
        st = kz_logsource_map(s->rules[i], &scratch, &t, &nt, &why);
        if (st == KZ_EUNSUPPORTED) {
            st = KZ_OK;
            if (s->opts.keep_unmapped)
                continue;
            why = set_str(s, why ? why : "logsource has no EVTX mapping");
            if (why == NULL) {
                st = KZ_ENOMEM;
                break;
            }
            drop_rule(si, i, KZ_SGV_UNMAPPED, why);
        } else if (st != KZ_OK) {
            break;
        }
    }
    kz_arena_fini(&scratch);
    if (st != KZ_OK)
        return kz_error_set(err, st, "logsource mapping: %s",
                            kz_status_str(st));
    for (i = n = 0; i < s->nrules; i++)
        if (s->rules[i] != NULL) {
            si->rule_report[n] = si->rule_report[i];
            s->rules[n++] = s->rules[i];
        }
    s->nrules = n;
    /* 3. Correlation references. */
    for (i = 0; i < s->nrules; i++) {
        const kz_sigma_rule *c = s->rules[i];

        if (c->kind != KZ_SG_CORRELATION || c->corr == NULL)
            continue;
        for (k = 0; k < c->corr->rules.n; k++)
            if (!find_ref(s, c->corr->rules.v[k]) &&
                (st = add_missing(si, c, c->corr->rules.v[k])) != KZ_OK)
                return kz_error_set(err, st, "out of memory");
    }
    return KZ_OK;
}

const char *
kz_sg_verdict_name(kz_sg_verdict v)
{
    static const char *const names[KZ_SGV_COUNT] = {
        "loaded", "not a rule", "deprecated", "placeholder", "unmapped",
        "invalid", "duplicate",
    };

    if ((unsigned)v >= KZ_SGV_COUNT)
        return "?";
    return names[v];
}
