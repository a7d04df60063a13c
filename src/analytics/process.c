/*
 * process.c - the analytics of process starts (Sysmon 1, 4688).
 *
 * kz_a_binary_identity (D5): a process start (Sysmon 1) whose
 * OriginalFileName is a known Windows or attack binary while its image has
 * another name; one hash seen under binary_identity.names or more image
 * names (across hosts); a browser image outside its install directories.
 * The Mitsubishi Electric intrusion: PowerShell renamed to a browser name
 * in a non-standard path. Tables: (check, host, image, name) seen -> each
 * finding once; hash -> a set of image names (no window).
 *
 * kz_a_discovery_burst (D13): at least discovery.commands distinct
 * commands of JPCERT/CC's list of Windows commands abused by attackers
 * (tasklist, ver, ipconfig, systeminfo, net time/view/user/..., netstat,
 * whoami, nltest, dsquery, query, dir, ping, reg query, wmic...) within
 * discovery.window_minutes on one host under one logon session (Sysmon 1
 * LogonId, 4688 SubjectLogonId) or, for the system logon sessions, one
 * parent process. Table: "host|L|logon id" or "host|P|parent" -> a
 * sliding set of commands.
 *
 * Reference: docs/analytics.md (D5, D13).
 */
#include "analytics/analytics_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/hash.h"

/* OriginalFileName values worth checking (lower case). */
static const char *const known_ofn[] = {
    "powershell.exe",  "powershell_ise.exe", "pwsh.dll",
    "cmd.exe",         "rundll32.exe",       "regsvr32.exe",
    "mshta.exe",       "wscript.exe",        "cscript.exe",
    "certutil.exe",    "bitsadmin.exe",      "msbuild.exe",
    "installutil.exe", "regasm.exe",         "regsvcs.exe",
    "wmic.exe",        "schtasks.exe",       "reg.exe",
    "net.exe",         "net1.exe",           "sc.exe",
    "netsh.exe",       "vssadmin.exe",       "wevtutil.exe",
    "bcdedit.exe",     "ntdsutil.exe",       "msiexec.exe",
    "cmstp.exe",       "forfiles.exe",       "whoami.exe",
    "nltest.exe",      "curl.exe",           "psexec.c",
    "procdump",        "mimikatz.exe",       "7z.exe",
    "rclone.exe",      "anydesk.exe",        "wbadmin.exe",
};

/* Browser images and where they are installed (lower-case substrings of
 * the image path). */
static const char *const browsers[] = {
    "chrome.exe",   "msedge.exe", "firefox.exe",
    "iexplore.exe", "opera.exe",  "brave.exe",
};
static const char *const install_dirs[] = {
    "\\program files\\",
    "\\program files (x86)\\",
    "\\appdata\\local\\google\\chrome\\application\\",
    "\\appdata\\local\\microsoft\\edge\\application\\",
    "\\appdata\\local\\mozilla firefox\\",
    "\\appdata\\local\\programs\\opera\\",
    "\\appdata\\local\\bravesoftware\\",
    "\\windows\\systemapps\\",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

bool
a_is_browser(kz_str base)
{
    size_t i;

    for (i = 0; i < N(browsers); i++)
        if (a_ieq(base, browsers[i]))
            return true;
    return false;
}

/* Length of s without its extension (".exe", ".dll", ".c"). */
static size_t
stem(kz_str s)
{
    size_t i;

    for (i = s.len; i > 0; i--)
        if (s.p[i - 1] == '.')
            return i - 1;
    return s.len;
}

/* True if image base name img is the same binary as original name ofn. */
static bool
same_binary(kz_str img, kz_str ofn)
{
    size_t a = stem(img), b = stem(ofn);

    if (a == b)
        return strncasecmp(img.p, ofn.p, a) == 0;
    /* psexec64.exe is psexec.c, procdump64.exe is procdump. */
    if (a == b + 2 && strncasecmp(img.p, ofn.p, b) == 0 && img.p[b] == '6' &&
        img.p[b + 1] == '4')
        return true;
    return false;
}

/* Emits once per key (check|host|image|extra). */
static bool
first_time(kz_analytics *a, const char *check, const kz_fact *f, kz_str extra)
{
    size_t i;
    const char *c = f->ref.computer != NULL ? f->ref.computer : "";
    kz_str img = f->v[KZ_FS_IMAGE];

    kz_strbuf_reset(&a->k1);
    if (kz_strbuf_adds(&a->k1, check) != KZ_OK ||
        kz_strbuf_addc(&a->k1, '|') != KZ_OK ||
        kz_a_host_key(&a->k1, c, strlen(c)) != KZ_OK ||
        kz_strbuf_addc(&a->k1, '|') != KZ_OK)
        return false;
    for (i = 0; i < img.len && i < 1024; i++)
        if (kz_strbuf_addc(
                &a->k1, (char)kz_ascii_lower((unsigned char)img.p[i])) != KZ_OK)
            return false;
    if (kz_strbuf_addc(&a->k1, '|') != KZ_OK ||
        kz_strbuf_add(&a->k1, extra.p, extra.len < 256 ? extra.len : 256) !=
            KZ_OK)
        return false;
    if (a_table_get(&a->ident_seen, a->k1.data, a->k1.len) != NULL)
        return false;
    /* Past a table bound the check is reported again rather than lost:
     * the put fails (counted) and the fact still makes its finding. */
    (void)a_table_put(&a->ident_seen, a->k1.data, a->k1.len, (void *)1);
    return true;
}

static kz_status
emit_one(kz_analytics *a, const kz_fact *f, const char *check,
         const char *name2, kz_str v2, const char *name3, kz_str v3)
{
    a_ref ref;
    kz_status st;

    a_ref_of(a, f, &ref);
    a_begin(a);
    if ((st = a_pair(a, "Check", "%s", check)) != KZ_OK ||
        (st = a_pair(a, "Host", "%s",
                     f->ref.computer != NULL ? f->ref.computer : "")) !=
            KZ_OK ||
        (st = a_pair_str(a, "Image", f->v[KZ_FS_IMAGE].p,
                         f->v[KZ_FS_IMAGE].len)) != KZ_OK ||
        (name2 != NULL && (st = a_pair_str(a, name2, v2.p, v2.len)) != KZ_OK) ||
        (name3 != NULL && (st = a_pair_str(a, name3, v3.p, v3.len)) != KZ_OK) ||
        (st = a_pair_str(a, "CommandLine", f->v[KZ_FS_CMDLINE].p,
                         f->v[KZ_FS_CMDLINE].len)) != KZ_OK ||
        (st = a_pair_time(a, "Time", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_refs(a, &ref, 1, 1, &f->ref)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_IDENTITY, &f->ref);
}

/* The preferred hash of a Sysmon Hashes value (SHA256, SHA1, MD5), or
 * the whole value when it is a bare hash. */
static kz_str
pick_hash(kz_str h)
{
    static const char *const pref[] = {"SHA256=", "SHA1=", "MD5="};
    size_t i, j, n;
    kz_str r = {NULL, 0};

    for (i = 0; i < N(pref); i++) {
        n = strlen(pref[i]);
        for (j = 0; j + n <= h.len; j++)
            if ((j == 0 || h.p[j - 1] == ',') &&
                strncasecmp(h.p + j, pref[i], n) == 0) {
                r.p = h.p + j + n;
                for (r.len = 0; j + n + r.len < h.len && r.p[r.len] != ',';
                     r.len++)
                    ;
                return r;
            }
    }
    if (h.len >= 32 && memchr(h.p, '=', h.len) == NULL)
        return h;
    return r;
}

static kz_status
hash_names(kz_analytics *a, const kz_fact *f)
{
    kz_str h = pick_hash(f->v[KZ_FS_HASHES]);
    kz_str base = a_basename(f->v[KZ_FS_IMAGE]);
    a_set *s;
    a_ref ref;
    size_t i, n, before;
    kz_status st;

    if (h.len < 32 || h.len > 128 || base.len == 0 || base.len > 255)
        return KZ_OK;
    kz_strbuf_reset(&a->k1);
    for (i = 0; i < h.len; i++)
        if ((st = kz_strbuf_addc(
                 &a->k1, (char)kz_ascii_lower((unsigned char)h.p[i]))) != KZ_OK)
            return st;
    if ((s = a_key_set(a, &a->hashes, a->k1.data, a->k1.len)) == NULL)
        return KZ_OK; /* refused by a bound: counted */
    /* The name, lower case, "64" before the extension dropped (sysmon64
     * and sysmon are one binary's two names by design). */
    kz_strbuf_reset(&a->k2);
    n = stem(base);
    for (i = 0; i < base.len; i++) {
        if (n >= 2 && i == n - 2 && base.p[i] == '6' && base.p[i + 1] == '4') {
            i++;
            continue;
        }
        if ((st = kz_strbuf_addc(
                 &a->k2, (char)kz_ascii_lower((unsigned char)base.p[i]))) !=
            KZ_OK)
            return st;
    }
    before = s->n;
    a_ref_of(a, f, &ref);
    if (!a_set_add(s, a->k2.data, a->k2.len, f->ref.time, &ref,
                   &a->st.dropped_items))
        return KZ_ENOMEM;
    if (s->n == before || s->fired ||
        s->n < (size_t)a->cfg.v[KZ_AK_IDENTITY_NAMES])
        return KZ_OK;
    s->fired = true;
    a_begin(a);
    if ((st = a_pair(a, "Check", "one hash under several image names")) !=
            KZ_OK ||
        (st = a_pair_str(a, "Hash", h.p, h.len)) != KZ_OK ||
        (st = a_pair(a, "Names", "%zu", s->n)) != KZ_OK ||
        (st = a_pair_set_values(a, "ImageNames", s)) != KZ_OK ||
        (st = a_pair(a, "Host", "%s",
                     f->ref.computer != NULL ? f->ref.computer : "")) !=
            KZ_OK ||
        (st = a_pair_str(a, "Image", f->v[KZ_FS_IMAGE].p,
                         f->v[KZ_FS_IMAGE].len)) != KZ_OK ||
        (st = a_pair_time(a, "FirstSeen", a_set_first(s))) != KZ_OK ||
        (st = a_pair_time(a, "LastSeen", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_set_refs(a, s, &f->ref)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_IDENTITY, &f->ref);
}

kz_status
a_identity_fact(kz_analytics *a, const kz_fact *f)
{
    kz_str img, base, ofn;
    size_t i;
    bool renamed = false, misplaced = false;
    kz_status st;

    if (f->kind != KZ_FACT_PROC || a_empty(&f->v[KZ_FS_IMAGE]))
        return KZ_OK;
    img = f->v[KZ_FS_IMAGE];
    base = a_basename(img);
    ofn = f->v[KZ_FS_OFN];
    /* Known binary under another name; browser outside its install
     * directories (one finding when both hold). */
    if (!a_empty(&ofn) && base.len > 0) {
        for (i = 0; i < N(known_ofn); i++)
            if (a_ieq(ofn, known_ofn[i]))
                break;
        renamed = i < N(known_ofn) && !same_binary(base, ofn) &&
                  first_time(a, "ofn", f, ofn);
    }
    if (a_is_browser(base)) {
        for (i = 0; i < N(install_dirs); i++)
            if (a_icontains(img, install_dirs[i]))
                break;
        misplaced = i == N(install_dirs) && first_time(a, "browser", f, base);
    }
    if ((renamed || misplaced) &&
        (st = emit_one(a, f,
                       renamed && misplaced
                           ? "known binary under another name; browser "
                             "outside its install directory"
                       : renamed ? "known binary under another name"
                                 : "browser outside its install directory",
                       "OriginalFileName", ofn, NULL, ofn)) != KZ_OK)
        return st;
    if (!a_empty(&f->v[KZ_FS_HASHES]))
        return hash_names(a, f);
    return KZ_OK;
}

/* Commands that are programs: image base name without ".exe". */
static const char *const programs[] = {
    "tasklist", "ipconfig", "systeminfo", "netstat", "whoami",  "nltest",
    "dsquery",  "quser",    "qprocess",   "query",   "at",      "wmic",
    "ping",     "nslookup", "csvde",      "ldifde",  "arp",     "nbtstat",
    "hostname", "klist",    "tracert",    "route",   "qwinsta", "dsget",
    "adfind",   "gpresult",
};

/* net / net1 subcommands. */
static const char *const net_subs[] = {
    "time",  "view",  "user",   "localgroup", "group",    "use",
    "share", "start", "config", "session",    "accounts",
};

static const char *const net_cmds[] = {
    "net time",   "net view",    "net user",     "net localgroup",
    "net group",  "net use",     "net share",    "net start",
    "net config", "net session", "net accounts",
};

/* cmd.exe built-ins (cmd /c NAME). */
static const char *const builtins[] = {"dir", "ver", "type", "set"};

/* The i-th word of a command line (0 = the program), quotes removed
 * from its ends. */
static kz_str
word(kz_str cl, size_t want)
{
    size_t i = 0, k = 0, start;
    bool q;
    kz_str r = {NULL, 0};

    while (i < cl.len) {
        while (i < cl.len && (cl.p[i] == ' ' || cl.p[i] == '\t'))
            i++;
        if (i == cl.len)
            break;
        q = cl.p[i] == '"';
        start = q ? i + 1 : i;
        i = start;
        while (i < cl.len &&
               (q ? cl.p[i] != '"' : (cl.p[i] != ' ' && cl.p[i] != '\t')))
            i++;
        if (k++ == want) {
            r.p = cl.p + start;
            r.len = i - start;
            return r;
        }
        if (q && i < cl.len)
            i++;
    }
    return r;
}

/* s without a trailing ".exe". */
static kz_str
no_exe(kz_str s)
{
    if (a_iends(s, ".exe"))
        s.len -= 4;
    return s;
}

const char *
a_discovery_command(const kz_fact *f)
{
    kz_str img = no_exe(a_basename(f->v[KZ_FS_IMAGE]));
    kz_str cl = f->v[KZ_FS_CMDLINE], w;
    size_t i, k;

    if (f->kind != KZ_FACT_PROC || img.len == 0)
        return NULL;
    if (a_ieq(img, "net") || a_ieq(img, "net1")) {
        for (k = 1; k < 4; k++) {
            w = word(cl, k);
            if (w.len == 0 || (w.p[0] != '/' && w.p[0] != '-'))
                break;
        }
        for (i = 0; i < N(net_subs); i++)
            if (a_ieq(w, net_subs[i]))
                return net_cmds[i];
        return NULL;
    }
    if (a_ieq(img, "reg"))
        return a_ieq(word(cl, 1), "query") ? "reg query" : NULL;
    if (a_ieq(img, "sc")) {
        w = word(cl, 1);
        if (w.len > 2 && w.p[0] == '\\')
            w = word(cl, 2);
        return a_ieq(w, "query") || a_ieq(w, "qc") || a_ieq(w, "queryex")
                   ? "sc query"
                   : NULL;
    }
    if (a_ieq(img, "netsh"))
        return a_ieq(word(cl, 1), "advfirewall") ||
                       a_ieq(word(cl, 1), "firewall")
                   ? "netsh firewall"
                   : NULL;
    if (a_ieq(img, "cmd")) {
        for (k = 1; k < 6; k++) {
            w = word(cl, k);
            if (w.len == 0)
                return NULL;
            if (a_ieq(w, "/c") || a_ieq(w, "/k") || a_ieq(w, "/r"))
                break;
        }
        if (k == 6)
            return NULL;
        w = word(cl, k + 1);
        for (i = 0; i < N(builtins); i++)
            if (a_ieq(w, builtins[i]))
                return builtins[i];
        return NULL;
    }
    for (i = 0; i < N(programs); i++)
        if (a_ieq(img, programs[i]))
            return programs[i];
    return NULL;
}

static bool
idle(void *ctx, const char *key, void *value)
{
    kz_analytics *a = ctx;
    a_set *s = value;

    (void)key;
    a_set_expire(s, a->now, a_minutes(a, KZ_AK_DISC_WINDOW));
    return s->n == 0;
}

/* System logon sessions gather every service: not one actor. */
static bool
system_logon(kz_str id)
{
    return a_ieq(id, "0x3e7") || a_ieq(id, "0x3e4") || a_ieq(id, "0x3e5") ||
           a_ieq(id, "999") || a_ieq(id, "0x0") || a_ieq(id, "0");
}

kz_status
a_discovery_fact(kz_analytics *a, const kz_fact *f)
{
    const char *cmd;
    kz_time w = a_minutes(a, KZ_AK_DISC_WINDOW);
    const char *c = f->ref.computer != NULL ? f->ref.computer : "";
    kz_str lid = f->v[KZ_FS_PLOGON], par = f->v[KZ_FS_PARENT_ID];
    bool by_logon;
    a_set *s;
    a_ref ref;
    kz_status st;

    if (a->disc_sweep == KZ_TIME_NONE || a->now - a->disc_sweep > w) {
        a_table_sweep(&a->disc, idle, a);
        a->disc_sweep = a->now;
    }
    if (f->kind != KZ_FACT_PROC || (cmd = a_discovery_command(f)) == NULL)
        return KZ_OK;
    by_logon = !a_empty(&lid) && !system_logon(lid);
    if (!by_logon && a_empty(&par))
        par = f->v[KZ_FS_PARENT_IMAGE];
    if (!by_logon && a_empty(&par))
        return KZ_OK;
    kz_strbuf_reset(&a->k1);
    if ((st = kz_a_host_key(&a->k1, c, strlen(c))) != KZ_OK ||
        (st = kz_strbuf_adds(&a->k1, by_logon ? "|L|" : "|P|")) != KZ_OK ||
        (st = kz_strbuf_add(&a->k1, by_logon ? lid.p : par.p,
                            by_logon ? lid.len : par.len)) != KZ_OK)
        return st;
    if ((s = a_key_set(a, &a->disc, a->k1.data, a->k1.len)) == NULL)
        return KZ_OK; /* refused by a bound: counted */
    a_set_expire(s, f->ref.time, w);
    a_ref_of(a, f, &ref);
    if (!a_set_add(s, cmd, strlen(cmd), f->ref.time, &ref,
                   &a->st.dropped_items))
        return KZ_ENOMEM;
    if (s->fired || s->n < (size_t)a->cfg.v[KZ_AK_DISC_COMMANDS])
        return KZ_OK;
    s->fired = true;
    a_begin(a);
    if ((st = a_pair(a, "Host", "%s", c)) != KZ_OK ||
        (st = a_pair_str(a, by_logon ? "LogonId" : "Parent",
                         by_logon ? lid.p : par.p,
                         by_logon ? lid.len : par.len)) != KZ_OK ||
        (st = a_pair_str(a, "User", f->v[KZ_FS_PUSER].p,
                         f->v[KZ_FS_PUSER].len)) != KZ_OK ||
        (st = a_pair_str(a, "ParentImage", f->v[KZ_FS_PARENT_IMAGE].p,
                         f->v[KZ_FS_PARENT_IMAGE].len)) != KZ_OK ||
        (st = a_pair(a, "Commands", "%zu", s->n)) != KZ_OK ||
        (st = a_pair_set_values(a, "CommandList", s)) != KZ_OK ||
        (st = a_pair_time(a, "WindowStart", a_set_first(s))) != KZ_OK ||
        (st = a_pair_time(a, "WindowEnd", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_set_refs(a, s, &f->ref)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_DISCOVERY, &f->ref);
}
