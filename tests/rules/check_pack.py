#!/usr/bin/env python3
"""check_pack.py --kizuki BIN --rules DIR --cases OUTDIR [--cases OUTDIR2 ...] [--require-samples]

For each OUTDIR (written by make_cases.py or make_samples.py) runs `BIN hunt OUTDIR/<evtx> -r DIR
--no-default-rules -f jsonl -q` (plus --no-analytics when BIN has it) and compares, record by
record, the rules that fired (RuleID mapped to the rule's `name` through the YAML files of DIR,
correlations included) with OUTDIR/expect.json.
Prints every difference - a missing detection or an unexpected one, with the rule name and the
event's one-line summary - and exits 1 on any difference (or if an intent has no positive case, or
a run fails), 0 when all match.

Scope: an expect.json with "scope": "pack" (make_samples.py) lists every pack rule that must fire
on each record, so a detection of any rule of DIR counts. Findings of kizuki's analytics
(RuleID kz_a_*) are never counted: they are not rules of DIR. Without it (make_cases.py) only the
set's own intents count - exactly the check as it was when DIR held only those rules; detections
of other rules on its records are listed with -v and not counted.
--require-samples: every rule and correlation `name` in DIR must have at least one positive
record (in "expect") and one near-miss record over all OUTDIRs: "negative_for" in make_samples'
records, or the "neg N:" / "neg N/M:" summaries of make_cases (N = 1-based intent number).
"""

import argparse
import json
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write('check_pack: python3-yaml is required\n')
    sys.exit(2)


def load_names(rules_dir):
    """Maps rule id (and title, as a fallback) -> name for every rule file under rules_dir."""
    by_id, by_title, names = {}, {}, set()
    for root, dirs, files in os.walk(rules_dir):
        dirs.sort()
        for fn in sorted(files):
            if not fn.endswith(('.yml', '.yaml')):
                continue
            path = os.path.join(root, fn)
            with open(path, encoding='utf-8') as f:
                try:
                    docs = list(yaml.safe_load_all(f))
                except yaml.YAMLError as e:
                    raise SystemExit('check_pack: %s: %s' % (path, e))
            for d in docs:
                if not isinstance(d, dict) or 'name' not in d:
                    continue
                name = str(d['name'])
                names.add(name)
                if 'id' in d:
                    by_id[str(d['id']).lower()] = name
                if 'title' in d:
                    by_title[str(d['title'])] = name
    return by_id, by_title, names


_NO_ANALYTICS = {}


def no_analytics_flag(kizuki):
    """['--no-analytics'] when this kizuki has the flag (issue 4), else []: the pack is
    checked alone, whatever the analytics would add (their ids are skipped anyway)."""
    if kizuki not in _NO_ANALYTICS:
        p = subprocess.run([kizuki, 'hunt', '--help'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        _NO_ANALYTICS[kizuki] = (['--no-analytics']
                                 if b'--no-analytics' in p.stdout else [])
    return _NO_ANALYTICS[kizuki]


def run_hunt(kizuki, rules_dir, evtx):
    cmd = [kizuki, 'hunt', evtx, '-r', rules_dir, '--no-default-rules', '-f', 'jsonl', '-q']
    cmd += no_analytics_flag(kizuki)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode('utf-8', 'replace'))
        raise SystemExit('check_pack: `%s` exited with %d' % (' '.join(cmd), p.returncode))
    out = []
    for n, line in enumerate(p.stdout.decode('utf-8', 'replace').splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError as e:
            raise SystemExit('check_pack: hunt output line %d is not JSON (%s): %.200s' %
                             (n, e, line))
    return out


def negatives_of(exp, rec):
    """Names a record is a near miss of: its negative_for, or make_cases' "neg N[/M]:" summary."""
    if 'negative_for' in rec:
        return set(rec['negative_for'])
    m = re.match(r'neg ([0-9/]+):', rec.get('summary', ''))
    out = set()
    if m:
        for n in m.group(1).split('/'):
            if n.isdigit() and 1 <= int(n) <= len(exp['intents']):
                out.add(exp['intents'][int(n) - 1])
    return out


def check_set(a, cases, by_id, by_title, names, problems, seen_pos, seen_neg):
    """Checks one directory of cases; appends to problems; returns (ok, records, npos, hits)."""
    with open(os.path.join(cases, 'expect.json'), encoding='utf-8') as f:
        exp = json.load(f)
    intents = exp['intents']
    whole_pack = exp.get('scope') == 'pack'
    records = {r['record_id']: r for r in exp['records']}
    where = os.path.basename(os.path.normpath(cases))

    for k in intents:
        if not any(k in r['expect'] for r in exp['records']):
            problems.append('%s: intent %s: no positive case in expect.json' % (where, k))
        if k not in names:
            problems.append('%s: intent %s: no rule with this name in %s' % (where, k, a.rules))
    for r in exp['records']:
        seen_pos.update(r['expect'])
        seen_neg.update(negatives_of(exp, r))

    hits = run_hunt(a.kizuki, a.rules, os.path.join(cases, exp.get('evtx', 'cases.evtx')))
    fired, outside = {}, 0
    for h in hits:
        rid = h.get('RuleID')
        if str(rid).startswith('kz_a_'):
            outside += 1  # an analytic finding (i4-common ids), not a rule of the pack
            continue
        name = by_id.get(str(rid).lower()) if rid is not None else None
        if name is None:
            name = by_title.get(h.get('RuleTitle'), '?%s (%s)' % (h.get('RuleTitle'), rid))
        try:
            rec = int(h.get('RecordID'))
        except (TypeError, ValueError):
            problems.append('%s: detection without a usable RecordID: %s %r' %
                            (where, name, h.get('RecordID')))
            continue
        if not whole_pack and name not in intents:
            outside += 1
            if a.verbose:
                print('%s: record %d: not counted (rule outside this set): %s [%s]' %
                      (where, rec, name, records.get(rec, {}).get('summary', '?')))
            continue
        lst = fired.setdefault(rec, [])
        if name in lst:
            problems.append('%s: record %d: %s reported twice [%s]' %
                            (where, rec, name, records.get(rec, {}).get('summary', '?')))
        else:
            lst.append(name)

    ok = 0
    for rec in sorted(records):
        r = records[rec]
        want, got = set(r['expect']), set(fired.get(rec, ()))
        for k in sorted(want - got):
            problems.append('%s: record %d: MISSING    %s [%s]' % (where, rec, k, r['summary']))
        for k in sorted(got - want):
            problems.append('%s: record %d: UNEXPECTED %s [%s]' % (where, rec, k, r['summary']))
        if want == got:
            ok += 1
            if a.verbose:
                print('%s: record %d: ok %s [%s]' % (where, rec, ','.join(sorted(want)) or '-',
                                                     r['summary']))
    for rec in sorted(set(fired) - set(records)):
        problems.append('%s: record %d: detections %s on a record not in expect.json' %
                        (where, rec, ', '.join(sorted(fired[rec]))))

    reported = set(n for v in fired.values() for n in v)
    for k in intents:
        if k in names and k not in reported:
            problems.append('%s: intent %s: never reported (rule skipped by the loader? run hunt '
                            'without -q to see the skipped-rules list)' % (where, k))
    npos = sum(len(r['expect']) for r in exp['records'])
    print('check_pack: %s: %d/%d records as expected, %d expected detections, %d reported%s' %
          (where, ok, len(records), npos, len(hits) - outside,
           ' (%d of rules outside this set not counted)' % outside if outside else ''))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[1].replace('\n', ' '))
    ap.add_argument('--kizuki', required=True, help='kizuki binary')
    ap.add_argument('--rules', required=True, help='rule directory')
    ap.add_argument('--cases', required=True, action='append',
                    help='directory written by make_cases.py or make_samples.py (repeatable)')
    ap.add_argument('--require-samples', action='store_true',
                    help='fail if a rule of DIR has no positive or no near-miss record')
    ap.add_argument('-v', '--verbose', action='store_true', help='also list matching records')
    a = ap.parse_args(argv)

    by_id, by_title, names = load_names(a.rules)
    problems, seen_pos, seen_neg = [], set(), set()
    for cases in a.cases:
        check_set(a, cases, by_id, by_title, names, problems, seen_pos, seen_neg)
    if a.require_samples:
        for k in sorted(names):
            if k not in seen_pos:
                problems.append('rule %s: no positive sample' % k)
            if k not in seen_neg:
                problems.append('rule %s: no negative (near-miss) sample' % k)
    for p in problems:
        print(p)
    print('check_pack: %d problem(s)' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
