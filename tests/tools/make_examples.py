#!/usr/bin/env python3
"""make_examples.py - builds kizuki's bundled sample logs in examples/.

A short, invented intrusion on a small network, written as evtx_dump-shaped
events, then rendered:
  examples/evtx/*.evtx          through tests/tools/evtx_writer.py
  examples/json/*.json[l]       one file per JSON shape kizuki reads
  examples/archive/*.gz, *.zip  compressed copies
The events are ours (no data from any other source). Re-run after changing
them:  python3 tests/tools/make_examples.py
"""
import copy
import gzip
import json
import os
import subprocess
import sys
import zipfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "examples")

GUIDS = {
    "Microsoft-Windows-Security-Auditing": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
    "Microsoft-Windows-Sysmon": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
    "Service Control Manager": "{555908D1-A6D7-4695-8E1E-26931D2012F4}",
    "Microsoft-Windows-Eventlog": "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager":
        "{C76BAA63-AE81-421C-B425-340B4B24157F}",
}


def event(channel, provider, eid, t, rid, computer, data=None, userdata=None,
          qualifiers=None, level=0, task=0, keywords="0x8020000000000000",
          user=None):
    system = {
        "Provider": {"#attributes": {"Name": provider, "Guid": GUIDS[provider]}},
        "EventID": eid if qualifiers is None else
        {"#attributes": {"Qualifiers": qualifiers}, "#text": eid},
        "Version": 0, "Level": level, "Task": task, "Opcode": 0,
        "Keywords": keywords,
        "TimeCreated": {"#attributes": {"SystemTime": t}},
        "EventRecordID": rid,
        "Correlation": None,
        "Execution": {"#attributes": {"ProcessID": 668, "ThreadID": 1404}},
        "Channel": channel,
        "Computer": computer,
        "Security": {"#attributes": {"UserID": user}} if user else None,
    }
    ev = {"Event": {"#attributes": {
        "xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": system}}
    if data is not None:
        ev["Event"]["EventData"] = data
    if userdata is not None:
        ev["Event"]["UserData"] = userdata
    return ev


SEC = "Security"
SA = "Microsoft-Windows-Security-Auditing"
SYS = "Microsoft-Windows-Sysmon/Operational"
SM = "Microsoft-Windows-Sysmon"
HOST = "APP01.corp.example"

EVENTS = [
    # 01:12 RDP logon from the internet
    event("Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
          "Microsoft-Windows-TerminalServices-RemoteConnectionManager", 1149,
          "2023-03-06T16:12:03.1234567Z", 311, HOST, task=0,
          keywords="0x1000000000000000", level=4, user="S-1-5-20",
          userdata={"EventXML": {"#attributes": {
              "xmlns": "Event_NS"},
              "Param1": "svc_backup", "Param2": "CORP", "Param3": "203.0.113.45"}}),
    event(SEC, SA, 4624, "2023-03-06T16:12:04.5000000Z", 90211, HOST, task=12544,
          data={"SubjectUserSid": "S-1-5-18", "SubjectUserName": "APP01$",
                "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7",
                "TargetUserSid": "S-1-5-21-1111-2222-3333-1106",
                "TargetUserName": "svc_backup", "TargetDomainName": "CORP",
                "TargetLogonId": "0x5a1f2c", "LogonType": 10,
                "LogonProcessName": "User32", "AuthenticationPackageName": "Negotiate",
                "WorkstationName": "APP01", "IpAddress": "203.0.113.45",
                "IpPort": "51234", "ProcessName": "C:\\Windows\\System32\\svchost.exe"}),
    # 01:42 special privileges
    event(SEC, SA, 4672, "2023-03-06T16:42:10.0000000Z", 90240, HOST, task=12548,
          data={"SubjectUserSid": "S-1-5-21-1111-2222-3333-500",
                "SubjectUserName": "Administrator", "SubjectDomainName": "CORP",
                "SubjectLogonId": "0x5b0001",
                "PrivilegeList": "SeDebugPrivilege\r\n\t\t\tSeBackupPrivilege"}),
    # 01:43 renamed PowerShell
    event(SYS, SM, 1, "2023-03-06T16:43:01.0000000Z", 5101, HOST, level=4, task=1,
          keywords="0x8000000000000000", user="S-1-5-18",
          data={"RuleName": "-", "UtcTime": "2023-03-06 16:43:01.000",
                "ProcessGuid": "{8B9D3A10-1D2E-6405-2A00-000000000B00}",
                "ProcessId": 4312, "Image": "C:\\Users\\Public\\msedge.exe",
                "OriginalFileName": "PowerShell.EXE",
                "CommandLine": "msedge.exe -nop -w hidden -enc SQBFAFgA",
                "User": "CORP\\Administrator",
                "Hashes": "SHA256=0F0E0D0C0B0A09080706050403020100",
                "ParentImage": "C:\\Windows\\explorer.exe"}),
    # 01:50 tool installed as a service
    event("System", "Service Control Manager", 7045, "2023-03-06T16:50:33.0000000Z",
          7721, HOST, qualifiers=16384, level=4, keywords="0x8080000000000000",
          user="S-1-5-21-1111-2222-3333-500",
          data={"ServiceName": "PSEXESVC",
                "ImagePath": "%SystemRoot%\\PSEXESVC.exe",
                "ServiceType": "user mode service", "StartType": "demand start",
                "AccountName": "LocalSystem"}),
    # 02:18 share access on the file server
    event(SEC, SA, 5140, "2023-03-06T17:18:45.0000000Z", 120455, "FS01.corp.example",
          task=12808,
          data={"SubjectUserSid": "S-1-5-21-1111-2222-3333-500",
                "SubjectUserName": "Administrator", "SubjectDomainName": "CORP",
                "SubjectLogonId": "0x77aa1", "ObjectType": "File",
                "IpAddress": "10.0.1.21", "IpPort": "50512",
                "ShareName": "\\\\*\\ADMIN$", "ShareLocalPath": "\\??\\C:\\Windows",
                "AccessMask": "0x1", "AccessList": "%%4416"}),
    # 03:14 the log is cleared
    event(SEC, "Microsoft-Windows-Eventlog", 1102, "2023-03-06T18:14:00.0000000Z",
          90500, HOST, level=4, task=104, keywords="0x4020000000000000",
          userdata={"LogFileCleared": {"#attributes": {
              "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
              "SubjectUserSid": "S-1-5-21-1111-2222-3333-500",
              "SubjectUserName": "Administrator", "SubjectDomainName": "CORP",
              "SubjectLogonId": "0x5b0001"}}),
    # classic PowerShell 400 with unnamed Data
    event("Windows PowerShell", "Microsoft-Windows-Eventlog", 400,
          "2023-03-06T16:43:02.0000000Z", 88, HOST, level=4, task=4,
          keywords="0x80000000000000", qualifiers=0,
          data={"Data": ["Available", "None",
                         "\tNewEngineState=Available\r\n\tHostName=ConsoleHost"]}),
]


def sys_of(ev):
    return ev["Event"]["System"]


def eid_of(ev):
    e = sys_of(ev)["EventID"]
    return e["#text"] if isinstance(e, dict) else e


def data_of(ev):
    e = ev["Event"]
    if "EventData" in e:
        return e["EventData"]
    ud = e.get("UserData", {})
    for v in ud.values():
        return {k: x for k, x in v.items() if k != "#attributes"}
    return {}


def winlogbeat7(ev):
    s = sys_of(ev)
    d = data_of(ev)
    wl = {"channel": s["Channel"], "event_id": str(eid_of(ev)),
          "computer_name": s["Computer"], "provider_name": s["Provider"]["#attributes"]["Name"],
          "provider_guid": s["Provider"]["#attributes"]["Guid"],
          "record_id": s["EventRecordID"], "task": "", "opcode": "Info",
          "process": {"pid": 668, "thread": {"id": 1404}}}
    if isinstance(d.get("Data"), list):
        wl["event_data"] = {"param%d" % (i + 1): v for i, v in enumerate(d["Data"])}
    elif "UserData" in ev["Event"]:
        wl["user_data"] = copy.deepcopy(d)
    else:
        wl["event_data"] = {k: str(v) for k, v in d.items()}
    return {"@timestamp": s["TimeCreated"]["#attributes"]["SystemTime"][:23] + "Z",
            "winlog": wl, "event": {"code": str(eid_of(ev)), "kind": "event"},
            "host": {"name": s["Computer"].split(".")[0].lower()},
            "agent": {"type": "winlogbeat", "version": "8.6.0"}}


def winlogbeat6(ev):
    s = sys_of(ev)
    d = data_of(ev)
    out = {"@timestamp": s["TimeCreated"]["#attributes"]["SystemTime"][:23] + "Z",
           "log_name": s["Channel"], "event_id": eid_of(ev),
           "computer_name": s["Computer"],
           "source_name": s["Provider"]["#attributes"]["Name"],
           "record_number": str(s["EventRecordID"]), "level": "Information",
           "type": "wineventlog", "beat": {"name": "collector01", "version": "6.8.0"}}
    if isinstance(d.get("Data"), list):
        out["event_data"] = {"param%d" % (i + 1): v for i, v in enumerate(d["Data"])}
    elif "UserData" in ev["Event"]:
        out["user_data"] = {k: str(v) for k, v in d.items()}
    else:
        out["event_data"] = {k: str(v) for k, v in d.items()}
    return out


def nxlog(ev):
    s = sys_of(ev)
    t = s["TimeCreated"]["#attributes"]["SystemTime"]
    out = {"EventTime": t[:10] + " " + t[11:19],
           "Hostname": s["Computer"], "Keywords": s["Keywords"],
           "EventType": "AUDIT_SUCCESS", "SeverityValue": 2, "Severity": "INFO",
           "EventID": eid_of(ev), "SourceName": s["Provider"]["#attributes"]["Name"],
           "ProviderGuid": s["Provider"]["#attributes"]["Guid"], "Version": 0,
           "Task": s["Task"], "OpcodeValue": 0, "RecordNumber": s["EventRecordID"],
           "ProcessID": 668, "ThreadID": 1404,
           "Channel": s["Channel"].lower() if s["Channel"] == "Security" else s["Channel"],
           "EventReceivedTime": t[:10] + " " + t[11:19],
           "SourceModuleName": "eventlog", "SourceModuleType": "im_msvistalog"}
    d = data_of(ev)
    if isinstance(d.get("Data"), list):
        out["Message"] = " ".join(d["Data"])
    else:
        for k, v in d.items():
            out[k] = v
    return out


def flat(ev):
    s = sys_of(ev)
    out = {"timestamp": s["TimeCreated"]["#attributes"]["SystemTime"],
           "channel": s["Channel"], "event_id": eid_of(ev),
           "host": s["Computer"], "record_id": s["EventRecordID"]}
    d = data_of(ev)
    if not isinstance(d.get("Data"), list):
        out.update({k: v for k, v in d.items()})
    return out


def main():
    os.makedirs(os.path.join(OUT, "evtx"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "json"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "archive"), exist_ok=True)
    by_channel = {}
    for ev in EVENTS:
        by_channel.setdefault(sys_of(ev)["Channel"], []).append(ev)
    writer = os.path.join(TOP, "tests", "tools", "evtx_writer.py")
    tmp = os.path.join(OUT, "evtx", ".tmp.jsonl")
    for ch, evs in sorted(by_channel.items()):
        name = ch.replace("/", "%4").replace(" ", "_") + ".evtx"
        with open(tmp, "w") as f:
            for ev in evs:
                f.write(json.dumps(ev) + "\n")
        subprocess.run([sys.executable, writer, "--keep-record-ids", tmp,
                        "-o", os.path.join(OUT, "evtx", name)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.unlink(tmp)
    j = os.path.join(OUT, "json")
    with open(os.path.join(j, "evtx_dump.jsonl"), "w") as f:
        for ev in EVENTS:
            f.write(json.dumps(ev, ensure_ascii=False) + "\n")
    with open(os.path.join(j, "winlogbeat7.json"), "w") as f:
        json.dump([winlogbeat7(ev) for ev in EVENTS], f, indent=1)
    with open(os.path.join(j, "winlogbeat6.jsonl"), "w") as f:
        for ev in EVENTS:
            f.write(json.dumps(winlogbeat6(ev)) + "\n")
    with open(os.path.join(j, "nxlog.jsonl"), "w") as f:
        for ev in EVENTS:
            f.write(json.dumps(nxlog(ev)) + "\n")
    with open(os.path.join(j, "flat.jsonl"), "w") as f:
        for ev in EVENTS:
            f.write(json.dumps(flat(ev)) + "\n")
    with open(os.path.join(j, "evtx_dump_utf16.json"), "wb") as f:
        text = "\n".join(json.dumps(ev, indent=2, ensure_ascii=False) for ev in EVENTS[:3])
        f.write(b"\xff\xfe" + text.encode("utf-16-le"))
    a = os.path.join(OUT, "archive")
    with open(os.path.join(j, "nxlog.jsonl"), "rb") as src, \
            gzip.GzipFile(os.path.join(a, "nxlog.jsonl.gz"), "wb", mtime=0) as dst:
        dst.write(src.read())
    with zipfile.ZipFile(os.path.join(a, "collection.zip"), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(os.path.join(OUT, "evtx"))):
            zi = zipfile.ZipInfo("Logs/" + name, (2023, 3, 7, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(OUT, "evtx", name), "rb") as f:
                z.writestr(zi, f.read())
    print("examples written to", OUT)


if __name__ == "__main__":
    main()
