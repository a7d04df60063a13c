/*
 * investigate_int.h - what cmd_investigate.c (the read: logon facts,
 * coverage tap, alerts) and investigate_report.c (the report model
 * filled after the read) share. Reference: docs/investigate.md
 * ("Command"). Threads: the calling thread of kz_read_run, except the
 * read-only ids and render options the pool threads use.
 */
#ifndef KZ_CLI_INVESTIGATE_INT_H
#define KZ_CLI_INVESTIGATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/actor_sid.h"
#include "cli/file_facts.h"
#include "cli/hunt_int.h"
#include "cli/logon_facts.h"
#include "investigate/entity.h"
#include "investigate/incident.h"
#include "investigate/logon.h"
#include "report/model.h"

/* The manifest's inputs, hashed beside the read (investigate_inputs.c). */
typedef struct kz_inv_inputs kz_inv_inputs;

/* Hosts whose logs were read, kept one by one (the rest are counted). */
#define KZ_INV_MAX_HOSTS 4096
/* Runs of events per minute kept for the chart (the rest are counted). */
#define KZ_INV_MAX_RUNS ((size_t)1 << 20)
/* Alert times kept for the chart. */
#define KZ_INV_MAX_ALERT_TIMES ((size_t)1 << 20)

/* Renamed tools remembered (image -> OriginalFileName). */
#define KZ_INV_MAX_RENAMED 256

/* Channels and events seen of one host (kz_inv_host.chans). */
#define KZ_INV_CH_SECURITY 0x01u
#define KZ_INV_CH_SYSMON 0x02u
#define KZ_INV_CH_4688 0x04u
#define KZ_INV_CH_4688_CMD 0x08u
#define KZ_INV_CH_5145 0x10u
#define KZ_INV_CH_4663 0x20u
#define KZ_INV_CH_POWERSHELL 0x40u
#define KZ_INV_CH_FILESERVER 0x80u /* a 5145 on a share not ending in $ */

/* One host whose logs were read: its first and last event time. */
typedef struct kz_inv_host {
    char *name;              /* Computer as logged (malloc), NULL = free */
    size_t len;
    uint32_t hash;
    kz_time first, last;     /* KZ_TIME_NONE = no time seen */
    uint64_t events;
    uint32_t chans;          /* KZ_INV_CH_* seen */
} kz_inv_host;

/* A run of events in one minute (the chart). */
typedef struct kz_inv_run {
    int64_t minute;          /* time / 1 min */
    uint64_t count;
} kz_inv_run;

/* Silences (investigate_silence.c): per input file, its largest gaps. */
#define KZ_INV_HOUR (3600 * KZ_INC_SECOND)
#define KZ_INV_SILENCE_MIN KZ_INV_HOUR  /* shortest gap kept */
#define KZ_INV_SILENCE_RATE 30          /* busy: events per hour, average */
#define KZ_INV_SILENCE_KEEP 4           /* gaps kept per file */
#define KZ_INV_MAX_FILES 100000         /* files followed (the rest not) */

/* One input file followed for silences. */
typedef struct kz_inv_file {
    char host[64];           /* Computer of its first event, cut (its
                                first DNS label, the host key, fits) */
    char channel[96];        /* its Channel (cut) */
    uint64_t events;         /* events with a time */
    kz_time first, top;      /* earliest and latest event time */
    kz_time gap_start[KZ_INV_SILENCE_KEEP]; /* the largest gaps of at */
    kz_time gap_end[KZ_INV_SILENCE_KEEP];   /* least SILENCE_MIN; end 0:
                                               free */
} kz_inv_file;

/* Channels seen (missing ones become evidence limits). */
typedef struct kz_inv_channels {
    uint64_t security;       /* Security events */
    uint64_t sysmon;         /* Sysmon events */
    uint64_t proc4688;       /* 4688 events */
    uint64_t proc4688_cmd;   /* of them with a CommandLine field */
    uint64_t share5145;      /* 5145 events */
    uint64_t share5140;      /* 5140 events */
    uint64_t obj4663;        /* 4663 events */
    uint64_t rdp;            /* TerminalServices events */
} kz_inv_channels;

typedef struct kz_inv {
    /* options */
    kz_report_lang lang;     /* --lang */
    bool interactive;        /* --interactive-graph */
    bool quiet;              /* -q */
    const char *dir;         /* -o DIR */
    char timeline[4096];     /* DIR/timeline.csv */
    /* reading */
    kz_logon_ids ids;        /* logon fields */
    kz_file_ids fids;        /* file-access fields (impact scope) */
    kz_sid_ids sids;         /* SID fields (accounts of alerts) */
    kz_sid_map *sidmap;      /* SID -> account, event -> header SID */
    kz_inv_inputs *inputs;   /* the manifest's inputs, hashed beside the
                                read */
    kz_imp *imp;             /* impact scope: spooled file facts */
    int32_t cmdline_id;      /* CommandLine, or KZ_NAME_NONE */
    kz_render_opts ro;
    kz_logon *col;           /* logon collector */
    kz_inv_host *hosts;      /* open-addressing table */
    size_t nhosts;
    uint64_t other_hosts;    /* events on hosts past the bound */
    kz_inv_channels ch;
    kz_inv_file *files;      /* by input ordinal: silences */
    size_t nfiles, cap_files;
    kz_inv_run *runs;        /* events per minute, in input order */
    size_t nruns, cap_runs;
    kz_time ev_first, ev_last; /* every event time */
    /* alerts (on_row) */
    kz_inc *inc;             /* incident engine */
    kz_report *rep;          /* the model */
    kz_time *atimes;         /* alert times (chart) */
    size_t natimes, cap_atimes;
    uint64_t detections;     /* rule matches */
    uint64_t alerts;         /* correlation alerts and findings */
    struct {
        char *image, *ofn;   /* malloc */
    } ofn[KZ_INV_MAX_RENAMED]; /* renamed tools */
    size_t nofn;
    kz_strbuf tmp;           /* scratch: the strings of one alert */
    kz_strbuf ltmp;          /* scratch: one evidence limit */
    kz_error err;            /* first error */
    kz_ent *ent;             /* entity table (fed with the logon facts) */
} kz_inv;

/* Walks the operands (as the reader does: directories, no symbolic
 * links) and starts a thread that hashes every file; NULL without
 * memory. "-" is listed as standard input, not hashed. */
kz_inv_inputs *kz_inv_inputs_start(const char *const *paths, size_t n);

/* Waits for the hashes (or hashes now when no thread ran; *pp NULL:
 * walks dn's operands first, storing the list in *pp) and adds every
 * input to r, sorted by path, standard input first. */
kz_status kz_inv_inputs_finish(kz_inv_inputs **pp, kz_report *r,
                               const kz_hunt_done *dn, kz_error *err);

/* Joins the thread if it still runs and frees the list. Accepts NULL. */
void kz_inv_inputs_free(kz_inv_inputs *p);

/* investigate_silence.c: follows event ev of batch b (calling thread,
 * input order) for the silences of its file. */
void kz_inv_silence_event(kz_inv *inv, const kz_batch *b,
                          const kz_event *ev);

/* True when file f wrote at least KZ_INV_SILENCE_RATE events per hour on
 * average over its span (its gaps are then silences). */
bool kz_inv_file_busy(const kz_inv_file *f);

/* investigate_impact.c: after kz_inc_run, attributes the file facts of
 * inv->imp to the incidents, writes DIR/impact_files.csv (every distinct
 * object) and adds the impact scope to inv->rep. */
kz_status kz_inv_impact(kz_inv *inv, const kz_hunt_done *dn);

/* investigate_report.c: fills inv->rep after the read (inv->inc run,
 * inv->col finished) and writes every file into inv->dir. Returns an
 * exit code (message printed). */
int kz_inv_report(kz_inv *inv, const kz_hunt_done *dn);

#endif /* KZ_CLI_INVESTIGATE_INT_H */
