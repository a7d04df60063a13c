#!/usr/bin/env python3
"""coverage.py - ATT&CK coverage of kizuki on the EVTX-to-MITRE-Attack samples.

  python3 bench/coverage.py --kizuki BIN [--samples DIR] [--sigma DIR] [--pack DIR]
          [--write-readme bench/README.md] [--out FILE.md]

For every technique folder of DIR (default: $KIZUKI_SHARED/data/evtx/hayabusa-sample-evtx/
EVTX-to-MITRE-Attack; folder names start with the ATT&CK id, e.g. "T1053.005-Scheduled Task"
under "TA0002-Execution") it counts the EVTX files and how many of them give at least one
detection of a rule tagged with that technique: (1) kizuki's pack and analytics alone (hunt's
default rules), (2) the same plus SigmaHQ (-r SIGMA). A detection counts for a folder when one
of its rule's attack.tNNNN[.NNN] tags is the folder's technique, the folder's parent technique
(T1053 for T1053.005), or a sub-technique of a folder without one (T1078.002 for T1078;
"T1098.xxx" folders take every T1098 tag), or the id ATT&CK v18 gave the folder's technique
(ALIASES: T1070.001 is now T1685.005, ...; SigmaHQ and the pack use the new ids). Tags come from the rules' YAML (RuleID -> tags) and,
for kz_a_* analytics, from src/analytics/catalog.c. Each configuration is one `kizuki hunt
--no-dedup -f jsonl -q` over the whole directory (--no-dedup: some samples share records).
Folders without an id (Antivirus, EVTX_full_APT_attack_steps) are left out and said so.
Prints the table; --write-readme replaces (or appends) the "## Coverage" section of that file.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SHARED = os.environ.get("KIZUKI_SHARED", "/work/shared")

TECH_RE = re.compile(r"^(T\d{4})(?:\.(\d{3}|xxx))?", re.I)
TAG_RE = re.compile(r"^attack\.(t\d{4})(?:\.(\d{3}))?$", re.I)


def rule_tags(dirs):
    """RuleID (lower case) -> set of technique tags ('t1053', 't1053.005') of the YAML rules."""
    try:
        import yaml
    except ImportError:
        sys.stderr.write("coverage: python3-yaml missing: tags from hunt --profile verbose only\n")
        return {}
    out = {}
    for top in dirs:
        for root, ds, fs in os.walk(top):
            ds.sort()
            for fn in sorted(fs):
                if not fn.endswith((".yml", ".yaml")):
                    continue
                try:
                    with open(os.path.join(root, fn), encoding="utf-8") as f:
                        docs = list(yaml.safe_load_all(f))
                except (yaml.YAMLError, UnicodeDecodeError, OSError):
                    continue
                for d in docs:
                    if isinstance(d, dict) and d.get("id") and isinstance(d.get("tags"), list):
                        out.setdefault(str(d["id"]).lower(), set()).update(
                            techs(str(t) for t in d["tags"]))
    return out


def catalog_tags(path):
    """kz_a_* id -> technique tags, read from the analytics catalog's C initialisers."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return out
    for m in re.finditer(r'\{\s*"(kz_a_[a-z0-9_]+)"(.*?)\}', text, re.S):
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
        for s in strings:
            if "attack." in s:
                out.setdefault(m.group(1), set()).update(techs(s.split(",")))
    return out


def techs(tags):
    out = set()
    for t in tags:
        m = TAG_RE.match(t.strip())
        if m:
            out.add(m.group(1).lower() + ("." + m.group(2) if m.group(2) else ""))
    return out


# ATT&CK v18 moved some defense-evasion techniques of the folder names to the new Defense
# Impairment tactic; SigmaHQ 8eaafff (and kizuki's pack) tag the new ids. Evidence: the
# rules' titles under each new tag in that commit (e.g. every Windows log-clearing rule now
# carries t1685.005, every netsh/firewall rule t1686.003). Exact ids, no parent expansion.
ALIASES = {
    "t1070.001": {"t1685.005"},          # Clear Windows Event Logs
    "t1562.001": {"t1685"},              # Disable or Modify Tools
    "t1562.002": {"t1685.001"},          # Disable Windows Event Logging
    "t1562.004": {"t1686", "t1686.003"},  # Disable or Modify System Firewall
}


def folder_matches(folder_tech, tags):
    """True when one of tags covers the folder's technique (see the module docstring)."""
    m = TECH_RE.match(folder_tech)
    base, sub = m.group(1).lower(), (m.group(2) or "").lower()
    alias = ALIASES.get(base + ("." + sub if sub else ""), set())
    for t in tags:
        if t in alias:
            return True
        tb, _, ts = t.partition(".")
        if tb != base:
            continue
        if not ts or not sub or sub == "xxx" or ts == sub:
            return True
    return False


def hunt(kizuki, samples, extra):
    cmd = [kizuki, "hunt", "--no-dedup", "-f", "jsonl", "-q", "--profile", "verbose"] + \
        extra + [samples]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        raise SystemExit("coverage: `%s` exited with %d: %s" % (
            " ".join(cmd), p.returncode, p.stderr.decode("utf-8", "replace")[-500:]))
    dets = [json.loads(x) for x in p.stdout.decode("utf-8", "replace").splitlines() if x.strip()]
    return dets, p.returncode


def main(argv=None):
    ap = argparse.ArgumentParser(description="ATT&CK coverage on EVTX-to-MITRE-Attack")
    ap.add_argument("--kizuki", required=True)
    ap.add_argument("--samples", default=os.path.join(
        SHARED, "data", "evtx", "hayabusa-sample-evtx", "EVTX-to-MITRE-Attack"))
    ap.add_argument("--sigma", default=os.path.join(SHARED, "data", "sigma", "rules", "windows"))
    ap.add_argument("--pack", default=os.path.join(TOP, "rules"))
    ap.add_argument("--catalog", default=os.path.join(TOP, "src", "analytics", "catalog.c"))
    ap.add_argument("--write-readme", metavar="README", help="update its '## Coverage' section")
    ap.add_argument("--out", help="also write the section to this file")
    a = ap.parse_args(argv)
    samples = os.path.abspath(a.samples)
    if not os.path.isdir(samples):
        print("coverage: %s not found: nothing to measure" % samples)
        return 77

    # technique folders and their files
    folders, skipped = [], []
    for tactic in sorted(os.listdir(samples)):
        tdir = os.path.join(samples, tactic)
        if not os.path.isdir(tdir):
            continue
        subs = sorted(d for d in os.listdir(tdir) if os.path.isdir(os.path.join(tdir, d)))
        if not re.match(r"^TA\d{4}", tactic):
            n = sum(len([f for f in fs if f.lower().endswith(".evtx")])
                    for _, _, fs in os.walk(tdir))
            skipped.append((tactic, n))
            continue
        for s in subs:
            if not TECH_RE.match(s):
                skipped.append((tactic + "/" + s, -1))
                continue
            files = []
            for root, _, fs in os.walk(os.path.join(tdir, s)):
                files += [os.path.join(root, f) for f in fs if f.lower().endswith(".evtx")]
            folders.append({"tactic": tactic, "folder": s, "tech": TECH_RE.match(s).group(0),
                            "files": sorted(files)})

    tags = rule_tags([a.pack, a.sigma])
    tags.update(catalog_tags(a.catalog))
    results = {}
    notes = []
    for name, extra in (("pack", []), ("pack+sigma", ["-r", a.sigma])):
        dets, rc = hunt(a.kizuki, samples, extra)
        if rc == 1:
            notes.append("%s: hunt exited 1 (some samples are damaged and reported unreadable)"
                     % name)
        by_file = {}
        for d in dets:
            rid = str(d.get("RuleID") or "").lower()
            t = set(tags.get(rid, ()))
            t |= techs("attack." + x.lower() for x in (d.get("MitreTags") or [])
                       if isinstance(x, str))
            by_file.setdefault(os.path.normpath(str(d.get("File"))), []).append(t)
        res = {}
        for fo in folders:
            hit = 0
            anyd = 0
            for f in fo["files"]:
                ts = by_file.get(os.path.normpath(f), [])
                anyd += bool(ts)
                hit += any(folder_matches(fo["tech"], t) for t in ts)
            res[(fo["tactic"], fo["folder"])] = (hit, anyd)
        results[name] = (res, len(dets))

    section = render(folders, results, skipped, notes, a)
    print(section)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(section)
    if a.write_readme:
        update_readme(a.write_readme, section)
    return 0


def git_commit():
    try:
        return subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              check=True).stdout.decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d vCPU (%s), %s" % (os.cpu_count() or 0, cpu, platform.platform(terse=True))


def render(folders, results, skipped, notes, a):
    pk, ps = results["pack"][0], results["pack+sigma"][0]
    L = ["## Coverage", "",
         "ATT&CK coverage on the shared EVTX-to-MITRE-Attack samples (`bench/coverage.sh`, "
         "`bench/coverage.py`; not a timed test). For each technique folder: its EVTX files, and "
         "how many give at least one detection of a rule tagged with the folder's technique "
         "(or its parent; a sub-technique tag counts for a folder without one; `.xxx` folders "
         "take any sub-technique; the ids ATT&CK v18 moved to Defense Impairment count for their old "
         "folders: T1070.001 = T1685.005, T1562.001 = T1685, T1562.002 = T1685.001, T1562.004 = "
         "T1686/T1686.003), with kizuki's pack and analytics alone and with SigmaHQ "
         "added. Tags: RuleID -> `tags` of the rule YAML, `src/analytics/catalog.c` for "
         "`kz_a_*`. \"any\" = files with at least one detection of any rule. One `kizuki hunt "
         "--no-dedup` per configuration over the whole folder.",
         "",
         "Machine: %s. Date: %s. Commit: %s (working tree). Reproduce: "
         "`bench/coverage.sh build/kizuki` (`--write-readme bench/README.md` to update this "
         "section)." % (machine(), datetime.datetime.now(datetime.timezone.utc).strftime(
             "%Y-%m-%d %H:%M UTC"), git_commit()),
         "",
         "| tactic | technique folder | files | pack | pack: any | pack + SigmaHQ | "
         "pack + SigmaHQ: any |",
         "|---|---|---|---|---|---|---|"]
    tot = {"files": 0, "pk": 0, "ps": 0, "pka": 0, "psa": 0}
    per_tactic = {}
    for fo in folders:
        k = (fo["tactic"], fo["folder"])
        n = len(fo["files"])
        L.append("| %s | %s | %d | %d | %d | %d | %d |" % (
            fo["tactic"], fo["folder"], n, pk[k][0], pk[k][1], ps[k][0], ps[k][1]))
        t = per_tactic.setdefault(fo["tactic"], [0, 0, 0, 0])
        t[0] += n
        t[1] += pk[k][0]
        t[2] += ps[k][0]
        t[3] += 1
        tot["files"] += n
        tot["pk"] += pk[k][0]
        tot["ps"] += ps[k][0]
        tot["pka"] += pk[k][1]
        tot["psa"] += ps[k][1]
    L.append("| **total** | %d folders | **%d** | **%d** (%.0f %%) | %d | **%d** (%.0f %%) | %d |"
             % (len(folders), tot["files"], tot["pk"], 100.0 * tot["pk"] / max(1, tot["files"]),
                tot["pka"], tot["ps"], 100.0 * tot["ps"] / max(1, tot["files"]), tot["psa"]))
    L += ["", "| tactic | folders | files | pack | pack + SigmaHQ |", "|---|---|---|---|---|"]
    for tac, (n, a1, a2, nf) in sorted(per_tactic.items()):
        L.append("| %s | %d | %d | %d (%.0f %%) | %d (%.0f %%) |" % (
            tac, nf, n, a1, 100.0 * a1 / max(1, n), a2, 100.0 * a2 / max(1, n)))
    fk = sum(1 for fo in folders if pk[(fo["tactic"], fo["folder"])][0])
    fs = sum(1 for fo in folders if ps[(fo["tactic"], fo["folder"])][0])
    L += ["", "Technique folders with at least one file detected: pack %d of %d, pack + SigmaHQ "
          "%d of %d. Detections: pack %d, pack + SigmaHQ %d." % (
              fk, len(folders), fs, len(folders), results["pack"][1],
              results["pack+sigma"][1])]
    L += ["", "Attribution by tag is strict: a file counts only when a rule tagged with its "
          "folder's technique fires; the \"any\" columns show how many more files give some "
          "detection (often a rule of a neighbouring technique, or a generic one such as a log "
          "clear or a suspicious service)."]
    if skipped:
        L += ["", "Not counted (no ATT&CK id in the folder name): " + ", ".join(
            "%s (%d files)" % (s, n) if n >= 0 else s for s, n in skipped) + "."]
    for n in notes:
        L.append("Note: " + n + ".")
    return "\n".join(L) + "\n"


def update_readme(path, section):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Coverage\n.*?(?=^## |\Z)", text, re.S | re.M)
    if m:
        text = text[:m.start()] + section + ("\n" if text[m.end():] else "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
