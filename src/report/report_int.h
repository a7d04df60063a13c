/*
 * report_int.h - private to src/report: the section order, the string
 * table of headings and labels in both languages, and the helpers the
 * renderers share (time in the report's zone, counts of what was left
 * out).
 */
#ifndef KZ_REPORT_REPORT_INT_H
#define KZ_REPORT_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "report/model.h"

/* Every heading and label: X(id, English, Japanese). */
#define KZ_RPT_TEXTS(X)                                                       \
    X(T_TITLE, "Incident report", "インシデント調査報告書")                   \
    X(S_SUMMARY, "Incident summary", "発生事象")                              \
    X(S_RESPONSE, "Response timeline", "対応経緯")                            \
    X(S_PRESERVED, "Preserved devices and evidence", "保全機器")              \
    X(S_TRACES, "Traces of compromise", "侵害の痕跡")                         \
    X(S_TOOLS, "Malware and tools", "マルウェア・ツール")                     \
    X(S_LATERAL, "Lateral movement", "横展開")                                \
    X(S_SCOPE, "Impact scope", "影響範囲")                                    \
    X(S_LIMITS, "Limits of the investigation", "調査の制約")                  \
    X(S_CAUSE, "Root cause", "原因")                                          \
    X(S_PREVENTION, "Countermeasures", "再発防止策")                          \
    X(S_PROVENANCE, "Provenance", "来歴")                                     \
    X(L_TIME, "Time", "日時")                                                 \
    X(L_HOST, "Host", "ホスト")                                               \
    X(L_ACCOUNT, "Account", "アカウント")                                     \
    X(L_ACTIVITY, "Activity", "活動")                                         \
    X(L_EVIDENCE, "Evidence", "根拠")                                         \
    X(L_FILE, "File", "ファイル")                                             \
    X(L_CHANNEL, "Channel", "チャネル")                                       \
    X(L_RECORD, "Record", "レコード番号")                                     \
    X(L_EVENT_ID, "Event ID", "イベントID")                                   \
    X(L_RULE, "Rule", "ルール")                                               \
    X(L_LEVEL, "Level", "重要度")                                             \
    X(L_NAME, "Name", "名称")                                                 \
    X(L_PATH, "Path", "パス")                                                 \
    X(L_SHA256, "SHA-256", "SHA-256")                                         \
    X(L_FIRST_EXEC, "First execution", "初回実行")                            \
    X(L_HOSTS, "Hosts", "ホスト")                                             \
    X(L_STEP, "Step", "順序")                                                 \
    X(L_FROM, "From", "接続元")                                               \
    X(L_TO, "To", "接続先")                                                   \
    X(L_METHOD, "Method", "手段")                                             \
    X(L_SHARE, "Share", "共有")                                               \
    X(L_READ, "Files read", "読み取りファイル数")                             \
    X(L_WRITTEN, "Files written", "書き込みファイル数")                       \
    X(L_TOTAL, "Files in all", "ファイル総数")                                \
    X(L_NAMES, "First file names", "ファイル名（先頭）")                      \
    X(L_DELETED, "Files deleted", "削除ファイル数")                           \
    X(L_INCIDENT, "Incident", "インシデント")                                 \
    X(L_TACTIC, "Tactic", "戦術")                                             \
    X(L_INCIDENTS, "Incidents", "インシデント一覧")                           \
    X(L_SEEDS, "Alerts", "アラート数")                                        \
    X(L_TECHNIQUES, "Techniques", "攻撃手法数")                               \
    X(L_STEPS, "Lateral steps", "横展開の段数")                               \
    X(L_FIRST_SEEN, "First seen", "初回")                                     \
    X(L_SCOPE_LOCAL, "(files on the host)", "（ホスト上のファイル）")         \
    X(L_SCOPE_MAILBOX, "(mailboxes)", "（メールボックス）")                   \
    X(L_SCOPE_LIST, "Every file and mailbox, with its first access and "     \
      "evidence, is listed in",                                               \
      "全ファイル・メールボックスの一覧（初回アクセスと根拠付き）：")         \
    X(L_KIND, "Kind", "種別")                                                 \
    X(L_WHAT, "What", "内容")                                                 \
    X(L_CONSEQUENCE, "What could not be determined", "判断できなかったこと") \
    X(L_FIRST_ACT, "First activity", "最初の活動")                            \
    X(L_LAST_ACT, "Last activity", "最後の活動")                              \
    X(L_FIRST_HOST, "First host", "最初の侵入先")                             \
    X(L_UNDETERMINED, "undetermined", "特定できず")                           \
    X(L_REASON, "Basis", "根拠")                                              \
    X(L_EVENTS, "Events read", "読み込んだイベント数")                        \
    X(L_DETECTIONS, "Detections", "検知数")                                   \
    X(L_ALERTS, "Alerts", "アラート数")                                       \
    X(L_HOST_COUNT, "Hosts involved", "関係ホスト数")                         \
    X(L_ACCOUNT_COUNT, "Accounts involved", "関係アカウント数")               \
    X(L_SIZE, "Size (bytes)", "サイズ（バイト）")                             \
    X(L_NOTE, "Note", "備考")                                                 \
    X(L_VERSION, "Tool version", "ツールバージョン")                          \
    X(L_GENERATED, "Generated at", "作成日時")                                \
    X(L_ZONE, "Time zone", "タイムゾーン")                                    \
    X(L_LANG, "Language", "言語")                                             \
    X(L_FLAGS, "Flags", "オプション")                                         \
    X(L_RULE_SOURCES, "Rule sources", "ルールの入手元")                       \
    X(L_LOADED, "Loaded", "読み込み数")                                       \
    X(L_FAILED, "Failed", "失敗数")                                           \
    X(L_RULES, "Rules loaded / failed", "ルール読み込み数 / 失敗数")          \
    X(L_CUT, "Strings cut to the length bound", "長さ上限で切り詰めた文字列") \
    X(L_INPUTS, "Inputs read by kizuki", "kizuki が読み込んだ入力")           \
    X(L_LABEL, "Label", "ラベル")                                             \
    X(L_COUNT, "Count", "件数")                                               \
    X(L_LAST, "Last seen", "最終")                                            \
    X(L_SOURCE, "Source", "始点")                                             \
    X(L_TARGET, "Target", "終点")                                             \
    X(L_RANK, "Rank", "ランク")                                               \
    X(L_NODES, "Nodes", "ノード")                                             \
    X(L_EDGES, "Edges", "エッジ")                                             \
    X(L_GRAPH, "Logon and lateral movement graph",                           \
      "ログオン・横展開グラフ")                                               \
    X(L_CHART, "Events and alerts over time", "イベント・アラートの推移")     \
    X(L_BUCKET, "Bucket start", "区間の開始")                                 \
    X(S_ENTITIES, "Entities", "関係エンティティ")                              \
    X(L_ENT_HOSTS, "Hosts", "ホスト")                                         \
    X(L_ENT_ACCOUNTS, "Accounts", "アカウント")                               \
    X(L_ENT_ADDRS, "Source addresses", "接続元アドレス")                      \
    X(L_SPELLINGS, "Names as logged", "ログ上の表記")                         \
    X(L_ADDRESSES, "Addresses", "アドレス")                                   \
    X(L_ROLE, "Role", "役割")                                                 \
    X(L_LOGS_READ, "Logs read", "ログ読込")                                   \
    X(L_SIDS, "SID", "SID")                                                   \
    X(L_UPN, "UPN", "UPN")                                                    \
    X(L_ADMIN, "Admin (4672)", "管理者権限（4672）")                          \
    X(L_ADMIN_ON, "Admin on", "管理者権限のホスト")                           \
    X(L_LOGONS, "Logons", "ログオン数")                                       \
    X(L_FAILURES, "Failures", "失敗数")                                       \
    X(L_INTERNAL, "Internal", "内部")                                         \
    X(L_BELONGS, "Host", "対応ホスト")                                        \
    X(L_BASIS, "Basis", "根拠")                                               \
    X(L_YES, "yes", "はい")                                                   \
    X(L_NO, "no", "いいえ")                                                   \
    X(D_ENTITIES, "the logon events (4624, 4625, 4672, 4768, 4769, 4776, "    \
      "5140, 7045, RDP events) and the hosts whose logs were read",           \
      "ログオンイベント（4624、4625、4672、4768、4769、4776、5140、7045、"   \
      "RDP イベント）とログを読み込んだホスト")                               \
    X(L_NO_DATA, "No data: nothing in the analysed logs for this section.",  \
      "データなし：解析したログにこの項目の情報はありません。")               \
    X(L_OMITTED, "more not shown (list cap reached)",                              \
      "件は表示していません（件数上限）")                                     \
    X(L_TO_FILL, "To be filled in by the investigators (kizuki cannot "       \
      "know this from logs).",                                                \
      "調査担当者が記入してください（ログからは判断できません）。")         \
    X(L_FILTER, "Filter", "絞り込み")                                         \
    X(L_SORT_HINT, "Click a column heading to sort.",                         \
      "列見出しをクリックすると並べ替えます。")                               \
    X(L_DATA_SOURCE, "Source of this section", "この項目の情報源")            \
    X(G_RESPONSE,                                                             \
      "Date and time | action: when the incident was found and by whom, "     \
      "isolation, reports to the police, JPCERT/CC and the PPC, "             \
      "disclosure. Take it from the response records.",                      \
      "日時｜対応内容：発見の経緯、隔離、警察・JPCERT/CC・個人情報保護委員会" \
      "への届出、公表などを対応記録から記入します。")                         \
    X(G_PRESERVED,                                                            \
      "Host | role | disk and capacity | preservation date and time | "       \
      "method, for every device preserved beyond the inputs listed below.",   \
      "ホスト｜役割｜ディスク・容量｜保全日時｜保全方法を、下記の入力以外に" \
      "保全した機器についても記入します。")                                   \
    X(G_CAUSE,                                                                \
      "The entry point and the weakness that allowed it, as established by "  \
      "the investigators. The evidence above supports it; kizuki does not "   \
      "state a cause.",                                                       \
      "侵入経路とそれを許した弱点を、調査担当者の判断で記入します。上記の"   \
      "痕跡は根拠であり、kizuki は原因を断定しません。")                       \
    X(G_PREVENTION,                                                           \
      "Measures decided: e.g. EDR, log retention and periodic review, "       \
      "account inventory, patching of the entry point.",                     \
      "決定した対策を記入します（例：EDR 導入、ログの保存と定期確認、"       \
      "アカウントの棚卸し、侵入経路の修正）。")                               \
    X(D_SUMMARY, "summary facts of the investigation (first and last "        \
      "activity, first host, counts)",                                        \
      "調査の要約（最初と最後の活動、最初の侵入先、件数）")                   \
    X(D_PRESERVED, "the input manifest (every file read, size, SHA-256)",     \
      "入力マニフェスト（読み込んだ全ファイル、サイズ、SHA-256）")            \
    X(D_TRACES, "Sigma detections, correlation alerts and analytic "          \
      "findings, one row per event, with its evidence",                      \
      "Sigma 検知・相関アラート・分析結果（1 行 1 イベント、根拠付き）")      \
    X(D_TOOLS, "process creation events of known tools and of the "           \
      "binaries the detections name",                                         \
      "既知ツールおよび検知が示すプログラムのプロセス生成イベント")           \
    X(D_LATERAL, "the logon graph (4624, 4625, 4648, 4768, 4769, 4776, "      \
      "5140, 7045, RDP events) and the lateral movement path",                \
      "ログオングラフ（4624、4625、4648、4768、4769、4776、5140、7045、RDP "   \
      "イベント）と横展開の経路")                                             \
    X(D_SCOPE, "file share and object access events (5145, 4663), Sysmon "   \
      "file creation and deletion (11, 23, 26) and PowerShell mailbox "       \
      "exports (4104), attributed to the incidents' accounts, hosts and "     \
      "tools",                                                                \
      "ファイル共有・オブジェクトアクセスのイベント（5145、4663）、Sysmon "   \
      "のファイル作成・削除（11、23、26）、PowerShell のメールボックス"       \
      "エクスポート（4104）のうち、インシデントのアカウント・ホスト・"        \
      "ツールによるもの")                                                     \
    X(D_LIMITS, "record-id gaps, cleared logs, missing channels, unreadable " \
      "inputs and the bounds kizuki reached",                                 \
      "レコード番号の欠落、ログ消去、存在しないチャネル、読めない入力、"     \
      "kizuki の上限到達")                                                    \
    X(D_HUMAN, "the people who handled the incident", "対応担当者")

typedef enum kz_rpt_text {
#define KZ_RPT_ENUM(id, en, ja) KZ_##id,
    KZ_RPT_TEXTS(KZ_RPT_ENUM)
#undef KZ_RPT_ENUM
    KZ_RPT_TEXT_COUNT
} kz_rpt_text;

/* Sections in the order of a Japanese incident report. */
typedef struct kz_rpt_section {
    const char *key;        /* stable id: "summary", "traces"... */
    kz_rpt_text heading;    /* KZ_S_* */
    kz_rpt_text source;     /* KZ_D_*: where its data comes from */
    kz_rpt_text guidance;   /* KZ_G_* for human sections, else 0 */
    bool human;             /* only people can fill it */
} kz_rpt_section;

/* The section table, in report order; *n gets its length. */
const kz_rpt_section *kz_rpt_sections(size_t *n);

/* The text of id in lang. */
const char *kz_rpt_tr(kz_report_lang lang, kz_rpt_text id);

/* Appends t in the report's zone with the offset, "-" for KZ_TIME_NONE,
 * or "invalid-time:<ticks>" outside 1601-01-01..9999-12-31 (UTC). */
kz_status kz_rpt_time(kz_strbuf *b, const kz_report *r, kz_time t);

/* The number of items of a section's data (0 = "no data"), by key. */
size_t kz_rpt_section_items(const kz_report *r, const char *key);

/* Appends the graph (nodes, edges, what was left out) as one JSON
 * object, the same as report.json's "graph" member. */
kz_status kz_rpt_json_graph(const kz_report *r, kz_strbuf *out);

/* Appends manifest.json (meta and inputs of report.json, own schema). */
kz_status kz_rpt_json_manifest(const kz_report *r, kz_strbuf *out);

/* The one HTML escaper (text nodes and quoted attribute values): s is
 * made one visible line (kz_visible_escape: controls, ESC, bidi
 * overrides and invalid UTF-8 as \xHH, LF/CR/TAB as \n \r \t, U+2028
 * and U+2029 as \xHH), then & < > " ' become character references and
 * the ':' of "://" becomes "&#58;" (so no URL appears in the file). NULL
 * or empty gives "-". tmp is scratch space. */
kz_status kz_rpt_html_text(kz_strbuf *b, kz_strbuf *tmp, const char *s);

/* Appends json[0..n) made safe inside <script>: '<' '>' '&' as \u003c
 * \u003e \u0026 and '/' as \/ (U+2028/U+2029 are already \u escaped
 * by kz_json_escape), so the data can never close the script element or
 * open a comment. Valid only for JSON text (these bytes occur only in
 * strings). */
kz_status kz_rpt_script_json(kz_strbuf *b, const char *json, size_t n);

/* Appends the events/alerts-over-time chart as inline SVG (svg.c). */
kz_status kz_rpt_svg_chart(kz_strbuf *b, kz_strbuf *tmp, const kz_report *r);

/* Appends the logon/lateral-movement graph as inline SVG laid out by
 * kizuki (svg.c; layout in docs/report.md, Graph). */
kz_status kz_rpt_svg_graph(kz_strbuf *b, kz_strbuf *tmp, const kz_report *r);

/* Appends the summary paragraph of incident x in r's language, from its
 * fields only (narrative.c, docs/report.md "Summary text"); log strings
 * are copied unescaped. */
kz_status kz_rpt_incident_text(kz_strbuf *b, const kz_report *r,
                               const kz_report_incident *x);

/* Appends "N more not shown (list cap reached)" in r's language. */
kz_status kz_rpt_omitted(kz_strbuf *b, const kz_report *r, uint64_t n);

#endif /* KZ_REPORT_REPORT_INT_H */
