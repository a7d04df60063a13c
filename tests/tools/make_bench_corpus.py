#!/usr/bin/env python3
"""Build the benchmark corpus: OUTDIR/corpus-NNN.evtx totalling at least --size (default 1 GiB).

    python3 tests/tools/make_bench_corpus.py bench/corpus [--input events.jsonl ...]
            [--size 1G] [--file-size 128M] [--jobs 2] [--layout windows] [--force]

Input: JSON events in the evtx_dump shape (JSON Lines, a JSON array or concatenated objects);
default: every .json file under shared/data/sigma/regression_data.  The events are converted
once, then each output file is filled with copies of them (evtx_writer --copies semantics):
copy n gets Computer "WS{n:04d}.corp.local", record ids continue across copies and files, and
times move forward by --time-shift seconds per copy, so the corpus is not one block of records
repeated.  Each file holds ceil((file-size - 4096) / 65536) full chunks.  Files are written to a
temporary name and renamed when complete; MANIFEST.json records the parameters, so running again
with the same parameters and input does nothing (idempotent) and an interrupted run only redoes
the missing files.  Memory stays bounded (one chunk per writer plus the converted input events).
Prints the totals and the generation speed.
"""

import argparse
import glob
import hashlib
import io
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import evtx_writer as W  # noqa: E402

MANIFEST = 'MANIFEST.json'
FORMAT_VERSION = 1

_EVENTS = None     # converted input events (inherited by forked workers)
_PARAMS = None


def default_inputs():
    shared = os.environ.get('KIZUKI_SHARED')
    cands = [shared] if shared else []
    cands += [os.path.join(HERE, '..', '..', '..', 'shared'), '/work/shared']
    for c in cands:
        d = os.path.join(c, 'data', 'sigma', 'regression_data') if c else None
        if d and os.path.isdir(d):
            return sorted(glob.glob(os.path.join(d, '**', '*.json'), recursive=True))
    return []


def fingerprint(inputs, args):
    h = hashlib.sha256()
    for p in inputs:
        st = os.stat(p)
        h.update(('%s\0%d\0%d\0' % (os.path.abspath(p), st.st_size, int(st.st_mtime))).encode())
    with open(os.path.join(HERE, 'evtx_writer.py'), 'rb') as f:
        h.update(hashlib.sha256(f.read()).digest())
    h.update(json.dumps([FORMAT_VERSION, args.size, args.file_size, args.layout,
                         args.time_shift, args.computer], sort_keys=True).encode())
    return h.hexdigest()


def file_chunks(file_size):
    chunks = -(-(file_size - W.FILE_HEADER_SIZE) // W.CHUNK_SIZE)
    if chunks < 1:
        raise SystemExit('--file-size too small (need at least 4096 + 65536 bytes)')
    return chunks


def _write_file(job):
    """Worker: write one corpus file with exactly max_chunks chunks; returns its summary."""
    index, path, copy_start, rid_start, max_chunks = job
    events = _EVENTS
    p = _PARAMS
    tmp = path + '.tmp'
    t0 = time.time()
    w = W.EvtxWriter(tmp, first_record_id=rid_start, registry=p['registry'],
                     max_chunks=max_chunks)
    rid = rid_start
    copy = copy_start
    skipped = 0
    full = False
    while not full:
        shift = copy * p['shift_ft']
        added = 0
        for ev in events:
            comp = p['computer'].format(n=copy, computer=ev.computer) \
                if ev.computer is not None else None
            ev.apply(record_id=rid, computer=comp, time_shift=shift)
            try:
                w.add(ev, record_id=rid)
            except W.RecordTooLarge:
                skipped += 1
                continue
            except W.WriterFull:
                full = True
                break
            rid += 1
            added += 1
        if not added and not full:
            raise RuntimeError('no input record fits in a chunk')
        copy += 1
    summary = w.close()
    os.replace(tmp, path)
    summary['seconds'] = round(time.time() - t0, 3)
    summary['file'] = os.path.basename(path)
    summary['skipped'] = skipped
    summary['copies'] = [copy_start, copy - 1]
    return summary


def main(argv=None):
    global _EVENTS, _PARAMS
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--input', action='append', default=[],
                    help='JSON events (repeatable; default: the sigma regression data)')
    ap.add_argument('--size', type=W._parse_size, default=1 << 30,
                    help='total corpus size (default 1G; K/M/G are binary)')
    ap.add_argument('--file-size', type=W._parse_size, default=128 << 20,
                    help='size of one file, rounded up to whole chunks (default 128M)')
    ap.add_argument('--jobs', type=int, default=min(2, os.cpu_count() or 1),
                    help='parallel writer processes (default: 2 or the CPU count if lower)')
    ap.add_argument('--layout', choices=('windows', 'flat', 'direct'), default='windows')
    ap.add_argument('--time-shift', type=float, default=3600.0,
                    help='seconds added to the event times per copy (default 3600)')
    ap.add_argument('--computer', default='WS{n:04d}.corp.local',
                    help='Computer name per copy, str.format with n = copy index and '
                         'computer = original name')
    ap.add_argument('--force', action='store_true', help='rebuild even if up to date')
    ap.add_argument('-q', '--quiet', action='store_true')
    args = ap.parse_args(argv)

    inputs = args.input or default_inputs()
    if not inputs:
        ap.error('no input: pass --input FILE (no regression data found)')
    os.makedirs(args.outdir, exist_ok=True)
    fp = fingerprint(inputs, args)
    cap_chunks = file_chunks(args.file_size)
    file_bytes = W.FILE_HEADER_SIZE + cap_chunks * W.CHUNK_SIZE
    nfiles = max(1, math.ceil(args.size / file_bytes))
    names = ['corpus-%03d.evtx' % i for i in range(nfiles)]
    man_path = os.path.join(args.outdir, MANIFEST)

    man = None
    if os.path.exists(man_path) and not args.force:
        try:
            with open(man_path) as f:
                man = json.load(f)
        except (OSError, ValueError):
            man = None
    done = {}
    if man and man.get('fingerprint') == fp:
        for s in man.get('files', []):
            p = os.path.join(args.outdir, s['file'])
            if s['file'] in names and os.path.exists(p) and os.path.getsize(p) == s['bytes']:
                done[s['file']] = s
    todo = [i for i, n in enumerate(names) if n not in done]
    # remove files of an older or unfinished corpus (and .tmp leftovers)
    for p in glob.glob(os.path.join(args.outdir, 'corpus-*.evtx*')):
        if os.path.basename(p) not in done:
            os.remove(p)

    started = time.time()
    if todo:
        opts = W.JsonOptions(layout=args.layout)
        events = []
        conv_skipped = 0
        for p in inputs:
            for obj in W.iter_json_events(p):
                try:
                    events.append(W.event_from_json(obj, opts))
                except (ValueError, TypeError, KeyError, AttributeError):
                    conv_skipped += 1
        if not events:
            raise SystemExit('no convertible events in the input')
        if conv_skipped and not args.quiet:
            print('warning: %d input events could not be converted' % conv_skipped,
                  file=sys.stderr)
        _EVENTS = events
        _PARAMS = {'registry': opts.registry, 'computer': args.computer,
                   'shift_ft': int(args.time_shift * 10000000)}
        # each file gets its own range of copy indices and record ids: estimate how many copies
        # fill a file from the bytes a second copy adds (templates then mostly referenced back)
        probe = io.BytesIO()
        pw = W.EvtxWriter(probe, registry=opts.registry)
        used = []
        for _ in range(2):
            for ev in events:
                ev.apply(record_id=pw.next_id, computer='PROBE', time_shift=0)
                try:
                    pw.add(ev)
                except W.RecordTooLarge:
                    pass
            used.append(pw.chunks_written * W.CHUNK_SIZE + (pw._chunk.free if pw._chunk else 0))
        pw.close()
        per_copy = max(used[1] - used[0], 1)
        copies_per_file = int(cap_chunks * W.CHUNK_SIZE / per_copy * 1.25) + 2
        jobs = []
        for i in todo:
            copy_start = i * copies_per_file
            jobs.append((i, os.path.join(args.outdir, names[i]), copy_start,
                         1 + copy_start * len(events), cap_chunks))
        if not args.quiet:
            print('building %d file(s) of %d bytes from %d events with %d job(s)'
                  % (len(jobs), file_bytes, len(events), args.jobs), file=sys.stderr)
        if args.jobs > 1 and len(jobs) > 1:
            ctx = multiprocessing.get_context('fork')
            with ctx.Pool(min(args.jobs, len(jobs))) as pool:
                results = pool.map(_write_file, jobs, chunksize=1)
        else:
            results = [_write_file(j) for j in jobs]
        for r in results:
            done[r['file']] = r
    elapsed = time.time() - started
    files = [done[n] for n in names]
    man = {'fingerprint': fp, 'format': FORMAT_VERSION,
           'inputs': [os.path.abspath(p) for p in inputs], 'size': args.size,
           'file_size': args.file_size, 'layout': args.layout, 'files': files}
    with open(man_path + '.tmp', 'w') as f:
        json.dump(man, f, indent=1)
    os.replace(man_path + '.tmp', man_path)
    tb = sum(s['bytes'] for s in files)
    tr = sum(s['records'] for s in files)
    tc = sum(s['chunks'] for s in files)
    if todo:
        gen_b = sum(done[names[i]]['bytes'] for i in todo)
        gen_r = sum(done[names[i]]['records'] for i in todo)
        print('built %d file(s) in %.1f s: %.1f MB/s, %.0f records/s' % (
            len(todo), elapsed, gen_b / 1e6 / max(elapsed, 1e-9), gen_r / max(elapsed, 1e-9)))
    else:
        print('up to date')
    print('corpus %s: %d files, %d bytes (%.3f GiB), %d records, %d chunks' % (
        args.outdir, len(files), tb, tb / (1 << 30), tr, tc))
    return 0


if __name__ == '__main__':
    sys.exit(main())
