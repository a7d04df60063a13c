#!/usr/bin/env python3
"""check_pack.py --kizuki BIN --rules DIR --cases OUTDIR

Runs `BIN hunt OUTDIR/cases.evtx -r DIR --no-default-rules -f jsonl -q` and compares, record by
record, the rules that fired (RuleID mapped to the rule's `name` through the YAML files of DIR)
with OUTDIR/expect.json written by make_cases.py. Prints every difference - a missing detection
or an unexpected one, with the intent key and the event's one-line summary - and exits 1 on any
difference (or if an intent has no positive case, or the run fails), 0 when all match.
"""

import argparse
import json
import os
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


def run_hunt(kizuki, rules_dir, evtx):
    cmd = [kizuki, 'hunt', evtx, '-r', rules_dir, '--no-default-rules', '-f', 'jsonl', '-q']
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[1].replace('\n', ' '))
    ap.add_argument('--kizuki', required=True, help='kizuki binary')
    ap.add_argument('--rules', required=True, help='rule directory')
    ap.add_argument('--cases', required=True, help='directory written by make_cases.py')
    ap.add_argument('-v', '--verbose', action='store_true', help='also list matching records')
    a = ap.parse_args(argv)

    with open(os.path.join(a.cases, 'expect.json'), encoding='utf-8') as f:
        exp = json.load(f)
    intents = exp['intents']
    records = {r['record_id']: r for r in exp['records']}
    problems = []

    for k in intents:
        if not any(k in r['expect'] for r in exp['records']):
            problems.append('intent %s: no positive case in expect.json' % k)

    by_id, by_title, names = load_names(a.rules)
    for k in intents:
        if k not in names:
            problems.append('intent %s: no rule with this name in %s' % (k, a.rules))

    hits = run_hunt(a.kizuki, a.rules, os.path.join(a.cases, exp.get('evtx', 'cases.evtx')))
    fired = {}
    for h in hits:
        rid = h.get('RuleID')
        name = by_id.get(str(rid).lower()) if rid is not None else None
        if name is None:
            name = by_title.get(h.get('RuleTitle'), '?%s (%s)' % (h.get('RuleTitle'), rid))
        try:
            rec = int(h.get('RecordID'))
        except (TypeError, ValueError):
            problems.append('detection without a usable RecordID: %s %r' %
                            (name, h.get('RecordID')))
            continue
        lst = fired.setdefault(rec, [])
        if name in lst:
            problems.append('record %d: %s reported twice [%s]' %
                            (rec, name, records.get(rec, {}).get('summary', '?')))
        else:
            lst.append(name)

    ok = 0
    for rec in sorted(records):
        r = records[rec]
        want, got = set(r['expect']), set(fired.get(rec, ()))
        for k in sorted(want - got):
            problems.append('record %d: MISSING    %s [%s]' % (rec, k, r['summary']))
        for k in sorted(got - want):
            problems.append('record %d: UNEXPECTED %s [%s]' % (rec, k, r['summary']))
        if want == got:
            ok += 1
            if a.verbose:
                print('record %d: ok %s [%s]' % (rec, ','.join(sorted(want)) or '-',
                                                 r['summary']))
    for rec in sorted(set(fired) - set(records)):
        problems.append('record %d: detections %s on a record not in expect.json' %
                        (rec, ', '.join(sorted(fired[rec]))))

    reported = set(n for v in fired.values() for n in v)
    for k in intents:
        if k in names and k not in reported:
            problems.append('intent %s: never reported (rule skipped by the loader? run hunt '
                            'without -q to see the skipped-rules list)' % k)

    npos = sum(len(r['expect']) for r in exp['records'])
    for p in problems:
        print(p)
    print('check_pack: %d/%d records as expected, %d expected detections, %d reported, '
          '%d problem(s)' % (ok, len(records), npos, len(hits), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
