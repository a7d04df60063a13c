#!/usr/bin/env python3
"""evtx_writer -- build valid Windows EVTX files from JSON events, and damage them on purpose.

Python 3.9+ standard library only.  Written for the kizuki test suite from the format notes in
shared/docs/evtx-notes.md (see tests/tools/README.md for the full description).

Three ways to use it:

* CLI:  python3 evtx_writer.py [options] INPUT.json... -o OUT.evtx
        python3 evtx_writer.py --inspect FILE.evtx [--xml]
* JSON: evtx_dump-shaped events ({"Event": {"System": ..., "EventData": ...}}), one per line, as an
  array, or concatenated; a "#kizuki" key per event overrides value types / tokens / layout.
* Python API (from evtx_writer import ...): describe a record as a small tree of E(...) elements,
  V(...) substituted values and token nodes (Text, CData, CharRef, EntityRef, PI, Sub, Raw,
  TemplateInstance), write it with EvtxWriter / build_evtx, then damage the bytes with the
  damage_* functions.

Layouts produced from JSON (option layout=):
  "windows" (default) - as Windows writes it: one outer template
              <Event><System>...</System>%BinXml</Event> whose System values use Windows' fixed
              substitution indices (0 Level, 1 Opcode, 2 Task,
              3 EventID, 4 Qualifiers, 5 Keywords, 6 SystemTime, 7 ActivityID, 8 ProcessID,
              9 ThreadID, 10 EventRecordID, 11 Version, 12 UserID, 13 RelatedActivityID,
              14 Provider Name, 15 Provider Guid, 16 Channel), all optional substitutions, the
              Computer name as literal text, and EventData/UserData as a BinXml (0x21) value holding
              its own template instance.
  "flat"    - one template per shape holding System and EventData/UserData together; Computer is a
              substitution.
  "direct"  - no templates: the record's elements are written directly (no dependency ids) with all
              values rendered as text.
"""

import argparse
import collections
import datetime
import hashlib
import io
import json
import os
import random
import re
import struct
import sys
import uuid
import zlib

__all__ = [
    # value types
    'VT', 'TYPE_CODES', 'type_code', 'type_name', 'encode_value', 'format_value',
    'parse_time', 'filetime_to_iso', 'guid_bytes', 'sid_bytes', 'name_hash',
    # tree
    'Node', 'Element', 'Attr', 'Text', 'CData', 'CharRef', 'EntityRef', 'PI', 'Sub', 'Value',
    'Slot', 'Raw', 'Template', 'TemplateInstance', 'Event', 'E', 'V', 'templatize',
    'tree_from_json', 'value_from_spec', 'EVENT_NS',
    # writing
    'EvtxWriter', 'RecordTooLarge', 'WriterFull', 'build_evtx', 'write_evtx', 'event_from_json',
    'iter_json_events', 'compile_json_events', 'JsonOptions',
    # damage
    'damage', 'damage_dirty', 'damage_bad_header_crc', 'damage_bad_chunk_crc',
    'damage_bad_data_crc', 'damage_zero_chunk', 'damage_garbage_chunk', 'damage_bad_chunk_magic',
    'damage_truncate', 'damage_corrupt_record', 'damage_slack', 'fix_header_crc', 'fix_chunk_crcs',
    # reading back
    'inspect', 'iter_chunks', 'iter_records', 'decode_record', 'record_xml',
    'record_substitutions', 'DecodeError', 'Rec',
    'FILE_HEADER_SIZE', 'CHUNK_SIZE', 'CHUNK_HEADER_SIZE',
]

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
RECORD_MAGIC = b'\x2a\x2a\x00\x00'
FILE_MAGIC = b'ElfFile\x00'
CHUNK_MAGIC = b'ElfChnk\x00'
FRAGMENT_HEADER = b'\x0f\x01\x01\x00'
EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event'

_U16 = struct.Struct('<H')
_U32 = struct.Struct('<I')
_U64 = struct.Struct('<Q')
_DESC = struct.Struct('<HBB')


# --------------------------------------------------------------------------------------------
# Value types


class VT:
    NULL = 0x00
    STRING = 0x01
    ANSI = 0x02
    INT8 = 0x03
    UINT8 = 0x04
    INT16 = 0x05
    UINT16 = 0x06
    INT32 = 0x07
    UINT32 = 0x08
    INT64 = 0x09
    UINT64 = 0x0A
    REAL32 = 0x0B
    REAL64 = 0x0C
    BOOL = 0x0D
    BINARY = 0x0E
    GUID = 0x0F
    SIZE_T = 0x10
    FILETIME = 0x11
    SYSTEMTIME = 0x12
    SID = 0x13
    HEXINT32 = 0x14
    HEXINT64 = 0x15
    EVTHANDLE = 0x20
    BINXML = 0x21
    EVTXML = 0x23
    ARRAY = 0x80


TYPE_CODES = {
    'null': 0x00, 'string': 0x01, 'wstring': 0x01, 'ansi': 0x02, 'ansistring': 0x02,
    'int8': 0x03, 'uint8': 0x04, 'int16': 0x05, 'uint16': 0x06, 'int32': 0x07, 'uint32': 0x08,
    'int64': 0x09, 'uint64': 0x0A, 'real32': 0x0B, 'float': 0x0B, 'real64': 0x0C, 'double': 0x0C,
    'bool': 0x0D, 'boolean': 0x0D, 'binary': 0x0E, 'guid': 0x0F, 'size_t': 0x10, 'sizet': 0x10,
    'filetime': 0x11, 'systemtime': 0x12, 'sid': 0x13, 'hexint32': 0x14, 'hexint64': 0x15,
    'evthandle': 0x20, 'binxml': 0x21, 'evtxml': 0x23,
}
_TYPE_NAMES = {}
for _n, _c in TYPE_CODES.items():
    _TYPE_NAMES.setdefault(_c, _n)

_INT_FORMATS = {0x03: 'b', 0x04: 'B', 0x05: 'h', 0x06: 'H', 0x07: 'i', 0x08: 'I', 0x09: 'q',
                0x0A: 'Q', 0x14: 'I', 0x15: 'Q'}
_FIXED_SIZES = {0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0A: 8,
                0x0B: 4, 0x0C: 8, 0x0D: 4, 0x0F: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8}


def type_code(t):
    """Type name ('uint32', 'string[]', 'sid'), number (0x08) or numeric string ('0x88') -> code."""
    if isinstance(t, int):
        return t
    s = str(t).strip().lower()
    arr = 0
    if s.endswith('[]'):
        arr, s = 0x80, s[:-2]
    if s in TYPE_CODES:
        return TYPE_CODES[s] | arr
    try:
        return int(s, 0) | arr
    except ValueError:
        raise ValueError('unknown value type %r' % (t,))


def type_name(code):
    base = _TYPE_NAMES.get(code & 0x7F, '0x%02x' % (code & 0x7F))
    return base + ('[]' if code & 0x80 else '')


# --------------------------------------------------------------------------------------------
# helpers: names, times, GUIDs, SIDs

_NAME_HASH_CACHE = {}


def name_hash(name):
    """Low 16 bits of h = h*65599 + c over the UTF-16 code units of name."""
    h = _NAME_HASH_CACHE.get(name)
    if h is None:
        enc = name.encode('utf-16-le', 'surrogatepass')
        x = 0
        for (c,) in struct.iter_unpack('<H', enc):
            x = (x * 65599 + c) & 0xFFFFFFFF
        h = _NAME_HASH_CACHE[name] = x & 0xFFFF
    return h


_NAME_BYTES_CACHE = {}


def _name_struct(name):
    b = _NAME_BYTES_CACHE.get(name)
    if b is None:
        enc = name.encode('utf-16-le', 'surrogatepass')
        b = struct.pack('<IHH', 0, name_hash(name), len(enc) // 2) + enc + b'\x00\x00'
        _NAME_BYTES_CACHE[name] = b
    return b


_EPOCH_ORD = datetime.date(1601, 1, 1).toordinal()
_TIME_RE = re.compile(
    r'^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?'
    r'\s*(?:Z|[+-]00:?00|UTC)?\s*$', re.I)


def parse_time(s):
    """ISO-8601 UTC time ('2025-11-27T07:40:10.165324Z', 1..9 fraction digits, 'T' or ' ')
    -> FILETIME (100 ns units since 1601).  Digits beyond the 7th are truncated."""
    if isinstance(s, int):
        return s
    m = _TIME_RE.match(s)
    if not m:
        raise ValueError('bad time %r' % (s,))
    y, mo, d, hh, mm, ss = (int(x) for x in m.groups()[:6])
    frac = m.group(7) or ''
    days = datetime.date(y, mo, d).toordinal() - _EPOCH_ORD
    secs = days * 86400 + hh * 3600 + mm * 60 + ss
    return secs * 10000000 + int((frac + '0000000')[:7])


def filetime_to_iso(ft, digits=7):
    """FILETIME -> '2025-11-27T07:40:10.1653240Z' (digits = 0..9 fraction digits)."""
    secs, rem = divmod(ft, 10000000)
    days, secs = divmod(secs, 86400)
    d = datetime.date.fromordinal(_EPOCH_ORD + days)
    s = '%04d-%02d-%02dT%02d:%02d:%02d' % (d.year, d.month, d.day, secs // 3600, secs // 60 % 60,
                                           secs % 60)
    if digits:
        s += '.' + ('%07d' % rem + '00')[:digits]
    return s + 'Z'


def _systemtime_fields(data):
    if isinstance(data, (list, tuple)):
        return list(data)
    if isinstance(data, int):
        ft = data
    else:
        ft = parse_time(data)
    secs, rem = divmod(ft, 10000000)
    days, secs = divmod(secs, 86400)
    d = datetime.date.fromordinal(_EPOCH_ORD + days)
    return [d.year, d.month, (d.weekday() + 1) % 7, d.day, secs // 3600, secs // 60 % 60, secs % 60,
            rem // 10000]


def guid_bytes(g):
    """'5770385F-C22A-43E0-BF4C-06F5698FFBD9' (braces optional) or 16 bytes -> on-disk bytes."""
    if isinstance(g, (bytes, bytearray)):
        if len(g) != 16:
            raise ValueError('GUID must be 16 bytes')
        return bytes(g)
    return uuid.UUID(g.strip().strip('{}')).bytes_le


def format_guid(b):
    return '{' + str(uuid.UUID(bytes_le=bytes(b))).upper() + '}'


def sid_bytes(s):
    """'S-1-5-21-1-2-3-500' -> binary SID (revision, count, 48-bit BE authority, u32 subauths)."""
    if isinstance(s, (bytes, bytearray)):
        return bytes(s)
    parts = s.strip().split('-')
    if len(parts) < 3 or parts[0].upper() != 'S':
        raise ValueError('bad SID %r' % (s,))
    rev = int(parts[1])
    auth = int(parts[2], 0)
    subs = [int(x) for x in parts[3:]]
    return (struct.pack('<BB', rev, len(subs)) + auth.to_bytes(6, 'big') +
            b''.join(_U32.pack(x) for x in subs))


def format_sid(b):
    b = bytes(b)
    rev, n = b[0], b[1]
    auth = int.from_bytes(b[2:8], 'big')
    subs = struct.unpack_from('<%dI' % n, b, 8)
    return 'S-%d-%d' % (rev, auth) + ''.join('-%d' % x for x in subs)


def _hexbytes(s):
    if isinstance(s, (bytes, bytearray)):
        return bytes(s)
    if isinstance(s, list):
        return bytes(s)
    s = re.sub(r'[\s:]', '', s)
    if s[:2].lower() == '0x':
        s = s[2:]
    return bytes.fromhex(s)


def _as_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        return int(v.strip(), 0) if not re.match(r'^\s*-?0\d', v) else int(v.strip(), 10)
    raise ValueError('not an integer: %r' % (v,))


# --------------------------------------------------------------------------------------------
# value encoding


def _encode_scalar(vt, data, size=None, encoding=None, nul=False):
    if vt == 0x01 or vt == 0x23:
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
        s = '' if data is None else str(data)
        if nul:
            s += '\x00'
        return s.encode('utf-16-le', 'surrogatepass')
    if vt == 0x02:
        if isinstance(data, (bytes, bytearray)):
            b = bytes(data)
        else:
            b = ('' if data is None else str(data)).encode(encoding or 'cp1252')
        return b + (b'\x00' if nul else b'')
    fmt = _INT_FORMATS.get(vt)
    if fmt is not None:
        return struct.pack('<' + fmt, _as_int(data))
    if vt == 0x0B:
        return struct.pack('<f', float(data))
    if vt == 0x0C:
        return struct.pack('<d', float(data))
    if vt == 0x0D:
        v = _as_int(data)
        return struct.pack('<i' if v < 0 else '<I', v)
    if vt == 0x0E:
        return _hexbytes(data if data is not None else b'')
    if vt == 0x0F:
        return guid_bytes(data)
    if vt == 0x10 or vt == 0x20:
        width = size or 8
        v = _as_int(data)
        return v.to_bytes(width, 'little', signed=v < 0)
    if vt == 0x11:
        return _U64.pack(parse_time(data) if isinstance(data, str) else _as_int(data))
    if vt == 0x12:
        return struct.pack('<8H', *_systemtime_fields(data))
    if vt == 0x13:
        return sid_bytes(data)
    if vt == 0x00:
        return b'\x00' * (size or 0)
    if vt == 0x21:
        return _hexbytes(data)
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    raise ValueError('cannot encode value type 0x%02x from %r' % (vt, data))


def encode_value(vtype, data, size=None, encoding=None, nul=False):
    """Encode one substitution value (not BinXml trees) to its on-disk bytes.

    Arrays (vtype | 0x80): data is a list; string/ANSI items are each NUL-terminated, fixed-size
    items packed back to back, SIDs concatenated.  size = width for size_t/EvtHandle (4 or 8) or
    the byte count of a Null value."""
    vt = type_code(vtype)
    if vt & 0x80:
        base = vt & 0x7F
        items = list(data or [])
        if base in (0x01, 0x02):
            return b''.join(_encode_scalar(base, it, size, encoding, nul=True) for it in items)
        return b''.join(_encode_scalar(base, it, size, encoding) for it in items)
    return _encode_scalar(vt, data, size, encoding, nul)


def format_value(vtype, data, size=None, encoding=None):
    """Render a value as text the way Windows' XML rendering does (used by the direct layout)."""
    vt = type_code(vtype)
    if vt & 0x80:
        return [format_value(vt & 0x7F, x, size, encoding) for x in (data or [])]
    if data is None or vt == 0x00:
        return ''
    if vt in (0x01, 0x23):
        return data.decode('utf-16-le', 'surrogatepass') if isinstance(data, bytes) else str(data)
    if vt == 0x02:
        return data.decode(encoding or 'cp1252') if isinstance(data, bytes) else str(data)
    if vt in (0x14, 0x15, 0x10, 0x20):
        return '0x%x' % _as_int(data)
    if vt in _INT_FORMATS:
        return str(_as_int(data))
    if vt in (0x0B, 0x0C):
        return repr(float(data))
    if vt == 0x0D:
        v = _as_int(data)
        return 'true' if v == 1 else 'false' if v == 0 else str(v)
    if vt == 0x0E:
        return _hexbytes(data).hex().upper()
    if vt == 0x0F:
        return format_guid(guid_bytes(data))
    if vt == 0x11:
        return filetime_to_iso(parse_time(data) if isinstance(data, str) else _as_int(data))
    if vt == 0x12:
        f = _systemtime_fields(data)
        return '%04d-%02d-%02dT%02d:%02d:%02d.%03dZ' % (f[0], f[1], f[3], f[4], f[5], f[6], f[7])
    if vt == 0x13:
        return data if isinstance(data, str) else format_sid(data)
    return str(data)


# --------------------------------------------------------------------------------------------
# BinXML tree


class Node(object):
    __slots__ = ()


class Attr(Node):
    """An attribute: name and a list of value parts (Text, Sub, Value, CharRef, EntityRef...)."""
    __slots__ = ('name', 'parts', 'token')

    def __init__(self, name, parts=None, token=None):
        self.name = name
        if parts is None:
            parts = []
        elif not isinstance(parts, list):
            parts = [parts]
        self.parts = [_as_part(p) for p in parts]
        self.token = token

    def __repr__(self):
        return 'Attr(%r, %r)' % (self.name, self.parts)


class Element(Node):
    """An element.  attrs: list of Attr, or dict name -> part(s).  children: list of nodes.
    dep: dependency id written in template definitions (None = automatic: the index of an
    optional substitution that is a direct child, else 0xFFFF).  deps: force dependency ids on
    (True) or off (False) for this element regardless of context (None = context)."""
    __slots__ = ('name', 'attrs', 'children', 'dep', 'deps', 'token', 'size')

    def __init__(self, name, attrs=None, children=None, dep=None, deps=None, token=None,
                 size=None):
        self.name = name
        if attrs is None:
            attrs = []
        elif isinstance(attrs, dict):
            attrs = [Attr(k, v) for k, v in attrs.items()]
        self.attrs = [a if isinstance(a, Attr) else Attr(a[0], a[1]) for a in attrs]
        self.children = [_as_part(c) for c in (children or [])]
        self.dep = dep
        self.deps = deps
        self.token = token      # override the open-start token byte (0x01 / 0x41)
        self.size = size        # override the element data size field (damage)

    def __repr__(self):
        return 'Element(%r, %r, %r)' % (self.name, self.attrs, self.children)


class Text(Node):
    """Literal text (value token 0x05, or 0x45 when more text follows).  more=None: automatic."""
    __slots__ = ('text', 'more', 'vtype')

    def __init__(self, text, more=None, vtype=0x01):
        self.text = text
        self.more = more
        self.vtype = vtype

    def __repr__(self):
        return 'Text(%r)' % (self.text,)


class CData(Node):
    __slots__ = ('text', 'more')

    def __init__(self, text, more=None):
        self.text = text
        self.more = more


class CharRef(Node):
    __slots__ = ('code', 'more')

    def __init__(self, code, more=None):
        self.code = code
        self.more = more


class EntityRef(Node):
    __slots__ = ('name', 'more')

    def __init__(self, name, more=None):
        self.name = name
        self.more = more


class PI(Node):
    """Processing instruction: target (0x0A, name offset) then data (0x0B)."""
    __slots__ = ('target', 'data')

    def __init__(self, target, data=''):
        self.target = target
        self.data = data


class Sub(Node):
    """An explicit substitution token in a template body: 0x0D normal / 0x0E optional."""
    __slots__ = ('index', 'vtype', 'optional')

    def __init__(self, index, vtype, optional=False):
        self.index = index
        self.vtype = type_code(vtype)
        self.optional = optional

    def __repr__(self):
        return 'Sub(%d, 0x%02x%s)' % (self.index, self.vtype, ', optional' if self.optional else '')


class Slot(Node):
    """Literal text in a template body taken from the instance's literals[index] (so one shape can
    be instantiated with different literal text, e.g. the Computer name, as different templates)."""
    __slots__ = ('index',)

    def __init__(self, index):
        self.index = index


class Raw(Node):
    """Bytes copied verbatim into the BinXML stream."""
    __slots__ = ('data',)

    def __init__(self, data):
        self.data = _hexbytes(data)


class Value(Node):
    """A typed value.  Inside a tree that gets templatized it becomes a substitution token plus an
    entry in the substitution array; written directly it becomes text.

    vtype     : type code or name (see TYPE_CODES; 'x[]' or |0x80 for arrays)
    data      : python value (str, int, float, bool, bytes, list for arrays, time string, GUID/SID
                string; for binxml: a node / list of nodes, or bytes)
    optional  : use an optional substitution (0x0E) instead of a normal one (0x0D)
    index     : explicit substitution index (default: next free)
    raw       : exact value bytes (overrides data)
    size      : size_t / EvtHandle width (4 or 8), byte count of a Null value
    encoding  : codec for ANSI strings (default cp1252)
    token_type: type written in the substitution token if it should differ from the value's type
    declared_size: size written in the array descriptor if it should differ (damage)
    nul       : append a terminating NUL to strings
    header    : (binxml) start the nested fragment with a fragment header 0f 01 01 00 (default
                no header, as Windows writes them; libevtx cannot read direct elements after one)
    template  : (binxml) templatize the nested tree (True) or write its elements directly (False)
    """
    __slots__ = ('vtype', 'data', 'optional', 'index', 'raw', 'size', 'encoding', 'token_type',
                 'declared_size', 'nul', 'header', 'template', 'node', '_enc')

    def __init__(self, vtype, data=None, optional=False, index=None, raw=None, size=None,
                 encoding=None, token_type=None, declared_size=None, nul=False, header=None,
                 template=True):
        self.vtype = type_code(vtype)
        self.data = data
        self.optional = optional
        self.index = index
        self.raw = None if raw is None else _hexbytes(raw)
        self.size = size
        self.encoding = encoding
        self.token_type = None if token_type is None else type_code(token_type)
        self.declared_size = declared_size
        self.nul = nul
        self.header = header
        self.template = template
        self.node = None     # binxml: the node to emit (after templatizing)
        self._enc = None
        if self.vtype == 0x21 and raw is None and not isinstance(data, (bytes, bytearray, str)):
            self.node = data

    def set(self, data):
        """Replace the value (e.g. per copy); drops the cached encoding."""
        self.data = data
        self._enc = None

    def encoded(self):
        b = self._enc
        if b is None:
            if self.raw is not None:
                b = self.raw
            else:
                b = encode_value(self.vtype, self.data, self.size, self.encoding, self.nul)
            self._enc = b
        return b

    def text(self):
        if self.vtype == 0x21:
            raise ValueError('a BinXml value cannot be rendered as text')
        if self.raw is not None and self.vtype in (0x01, 0x23):
            return self.raw.decode('utf-16-le', 'surrogatepass')
        v = format_value(self.vtype, self.data, self.size, self.encoding)
        return v

    def __repr__(self):
        return 'Value(%s, %r%s)' % (type_name(self.vtype), self.data,
                                     ', optional' if self.optional else '')


class Template(Node):
    """A template definition: body = list of nodes (normally one Element) holding Sub tokens.
    key: identity used to share one definition per chunk (default: the body's structure).
    guid: 16 bytes or GUID string (default: derived from key).  Template id = GUID's first dword."""
    __slots__ = ('body', 'key', 'guid', 'tid')

    def __init__(self, body, guid=None, key=None, tid=None):
        if not isinstance(body, list):
            body = [body]
        self.body = [_as_part(b) for b in body]
        self.key = key if key is not None else _shape_key(self.body)
        if guid is None:
            guid = hashlib.md5(repr(self.key).encode('utf-8', 'surrogatepass')).digest()
        self.guid = guid_bytes(guid)
        self.tid = _U32.unpack_from(self.guid, 0)[0] if tid is None else tid


class TemplateInstance(Node):
    """Template instance (token 0x0C) with its substitution values (list of Value or None=Null).
    define: 'auto' (inline the first time the template is used in a chunk, then reference it),
            'inline' (always write the definition inline).
    def_offset: write this definition offset and no definition (damage / odd files).
    literals: text for Slot nodes of the template."""
    __slots__ = ('template', 'values', 'define', 'def_offset', 'literals', 'unknown')

    def __init__(self, template, values=None, define='auto', def_offset=None, literals=(),
                 unknown=1):
        if not isinstance(template, Template):
            template = Template(template)
        self.template = template
        self.values = list(values or [])
        self.define = define
        self.def_offset = def_offset
        self.literals = tuple(literals)
        self.unknown = unknown


def _as_part(p):
    if isinstance(p, Node):
        return p
    if isinstance(p, str):
        return Text(p)
    if isinstance(p, (list, dict)):
        return tree_from_json(p)
    raise TypeError('not a BinXML node: %r' % (p,))


def E(name, attrs=None, *children, **kw):
    """E('Data', {'Name': 'x'}, V('uint32', 5)) -> Element.  attrs values: str (literal text),
    a node (Value/Sub/...), or a list of parts."""
    return Element(name, attrs, list(children), **kw)


def V(vtype, data=None, **kw):
    """V('uint32', 5, optional=True) -> Value."""
    return Value(vtype, data, **kw)


def _shape_key(nodes):
    return tuple(_node_key(n) for n in nodes)


def _node_key(n):
    t = type(n)
    if t is Element:
        return ('E', n.name, n.dep, n.deps, n.token, n.size,
                tuple((a.name, a.token, _shape_key(a.parts)) for a in n.attrs),
                _shape_key(n.children))
    if t is Sub:
        return ('S', n.index, n.vtype, n.optional)
    if t is Text:
        return ('T', n.text, n.more, n.vtype)
    if t is CData:
        return ('C', n.text, n.more)
    if t is CharRef:
        return ('R', n.code, n.more)
    if t is EntityRef:
        return ('N', n.name, n.more)
    if t is PI:
        return ('P', n.target, n.data)
    if t is Slot:
        return ('L', n.index)
    if t is Raw:
        return ('W', n.data)
    if t is Value:
        return ('V', n.vtype, n.token_type, n.optional, n.index)
    raise TypeError('node %r cannot be part of a template body' % (n,))


def templatize(root, registry=None):
    """Turn a tree with Value leaves into (Template, values): each Value becomes a substitution
    token (index = Value.index or the next free one in tree order) and goes into the values list
    (gaps are Null).  Templates of the same shape share one Template object via registry (dict)."""
    nodes = root if isinstance(root, list) else [root]
    found = []

    def collect(n):
        t = type(n)
        if t is Value:
            found.append(n)
        elif t is Element:
            for a in n.attrs:
                for p in a.parts:
                    collect(p)
            for c in n.children:
                collect(c)
        elif t is TemplateInstance:
            raise ValueError('a template instance cannot sit inside a template body; '
                             'put it in a BinXml value')

    for n in nodes:
        collect(n)
    used = set(v.index for v in found if v.index is not None)
    idx = {}
    nxt = 0
    for v in found:
        if v.index is not None:
            idx[id(v)] = v.index
        else:
            while nxt in used:
                nxt += 1
            idx[id(v)] = nxt
            used.add(nxt)
    count = (max(used) + 1) if used else 0
    values = [None] * count
    for v in found:
        i = idx[id(v)]
        values[i] = v
        if v.vtype == 0x21 and v.node is not None and v.template and not isinstance(
                v.node, (TemplateInstance, Raw)):
            inner_tpl, inner_vals = templatize(v.node, registry)
            v.node = TemplateInstance(inner_tpl, inner_vals)

    def conv(n):
        t = type(n)
        if t is Value:
            return Sub(idx[id(n)], n.token_type if n.token_type is not None else n.vtype,
                       n.optional)
        if t is Element:
            e = Element.__new__(Element)
            e.name, e.dep, e.deps, e.token, e.size = n.name, n.dep, n.deps, n.token, n.size
            e.attrs = [Attr(a.name, [conv(p) for p in a.parts], a.token) for a in n.attrs]
            e.children = [conv(c) for c in n.children]
            return e
        return n

    body = [conv(n) for n in nodes]
    key = _shape_key(body)
    tpl = None
    if registry is not None:
        tpl = registry.get(key)
    if tpl is None:
        tpl = Template(body, key=key)
        if registry is not None:
            registry[key] = tpl
    return tpl, values


# --------------------------------------------------------------------------------------------
# JSON tree description (JsonML-like), used by "#kizuki": {"tree": ...} and binxml values

_SPECIAL_KEYS = ('text', 'cdata', 'charref', 'entity', 'pi', 'sub', 'type', 'template', 'raw',
                 'slot', 'element', 'value', 'null')


def _is_special(d):
    return isinstance(d, dict) and any(k in d for k in _SPECIAL_KEYS)


def value_from_spec(spec, default_type=None, data=None, has_data=False):
    """{"type": "uint32", "value": 5, "optional": true, "hex": "...", ...} -> Value."""
    if isinstance(spec, str):
        spec = {'type': spec}
    vt = type_code(spec.get('type', default_type if default_type is not None else 'string'))
    if 'value' in spec:
        data = spec['value']
    elif not has_data and 'hex' not in spec:
        data = None
    raw = spec.get('hex')
    if vt == 0x21 and raw is None and data is not None and not isinstance(data, (bytes, str)):
        data = [tree_from_json(x) for x in data] if (isinstance(data, list) and data and
                                                     isinstance(data[0], (list, dict))) \
            else tree_from_json(data)
    if vt in (0x0E,) and isinstance(data, str) and raw is None:
        data = _hexbytes(data)
    if vt == 0x02 and isinstance(data, str) and raw is None and spec.get('latin1'):
        data = data.encode('latin-1')
    return Value(vt, data, optional=bool(spec.get('optional', False)), index=spec.get('index'),
                 raw=raw, size=spec.get('size'), encoding=spec.get('encoding'),
                 token_type=spec.get('token_type'), declared_size=spec.get('declared_size'),
                 nul=bool(spec.get('nul', False)), header=spec.get('header'),
                 template=spec.get('template', True))


def tree_from_json(j):
    """Build a node from its JSON description.

    element : ["Name", {"attr": part, ...}?, child, child...]   (JsonML)
              or {"element": "Name", "attrs": [[name, part]...] | {..}, "children": [...],
                  "dep": n, "deps": bool, "token": n, "size": n}
    text    : "plain string"  or {"text": "s", "more": bool}
    others  : {"cdata": "s"}  {"charref": 65}  {"entity": "amp"}  {"pi": "target", "data": "d"}
              {"raw": "hex"}  {"slot": 0}  {"sub": 3, "type": "uint32", "optional": true}
    value   : {"type": "uint32", "value": 5, "optional": true, ...}    (see value_from_spec)
    template: {"template": {"body": tree, "values": [value spec | null ...], "guid": "...",
                            "define": "auto"|"inline", "def_offset": n}}
    """
    if isinstance(j, Node):
        return j
    if isinstance(j, str):
        return Text(j)
    if isinstance(j, list):
        if not j or not isinstance(j[0], str):
            raise ValueError('JsonML element must start with its name: %r' % (j,))
        name = j[0]
        rest = j[1:]
        attrs = []
        if rest and isinstance(rest[0], dict) and not _is_special(rest[0]):
            for k, v in rest[0].items():
                attrs.append(Attr(k, _attr_parts(v)))
            rest = rest[1:]
        return Element(name, attrs, [tree_from_json(c) for c in rest])
    if isinstance(j, dict):
        if 'element' in j:
            a = j.get('attrs') or []
            items = a.items() if isinstance(a, dict) else a
            attrs = [Attr(k, _attr_parts(v)) for k, v in items]
            return Element(j['element'], attrs, [tree_from_json(c) for c in j.get('children', [])],
                           dep=j.get('dep'), deps=j.get('deps'), token=j.get('token'),
                           size=j.get('size'))
        if 'text' in j:
            return Text(j['text'], j.get('more'))
        if 'cdata' in j:
            return CData(j['cdata'], j.get('more'))
        if 'charref' in j:
            return CharRef(int(j['charref']), j.get('more'))
        if 'entity' in j:
            return EntityRef(j['entity'], j.get('more'))
        if 'pi' in j:
            return PI(j['pi'], j.get('data', ''))
        if 'raw' in j:
            return Raw(j['raw'])
        if 'slot' in j:
            return Slot(int(j['slot']))
        if 'sub' in j:
            return Sub(int(j['sub']), j.get('type', 'string'), bool(j.get('optional', False)))
        if isinstance(j.get('template'), dict):
            t = j['template']
            body = t['body']
            body = [tree_from_json(x) for x in body] if (isinstance(body, list) and body and
                                                         not isinstance(body[0], str)) \
                else [tree_from_json(body)]
            tpl = Template(body, guid=t.get('guid'))
            vals = [None if v is None else value_from_spec(v) for v in t.get('values', [])]
            return TemplateInstance(tpl, vals, define=t.get('define', 'auto'),
                                    def_offset=t.get('def_offset'),
                                    literals=t.get('literals', ()))
        if 'type' in j or 'value' in j or 'null' in j:
            return value_from_spec(j)
    raise ValueError('cannot build a BinXML node from %r' % (j,))


def _attr_parts(v):
    if isinstance(v, list):
        return [tree_from_json(x) for x in v]
    return [tree_from_json(v)]


# --------------------------------------------------------------------------------------------
# emitting BinXML into a chunk


class _Chunk(object):
    __slots__ = ('buf', 'free', 'names', 'templates', 'name_heads', 'tpl_heads', 'new_names',
                 'new_tpls', 'first_id', 'last_id', 'first_num', 'last_num', 'last_off', 'count',
                 'index')

    def __init__(self, index):
        self.index = index
        self.buf = bytearray(CHUNK_SIZE)
        self.free = CHUNK_HEADER_SIZE
        self.names = {}
        self.templates = {}
        self.name_heads = [0] * 64
        self.tpl_heads = [0] * 32
        self.new_names = []
        self.new_tpls = []
        self.first_id = self.last_id = self.first_num = self.last_num = None
        self.last_off = 0
        self.count = 0

    def rollback(self):
        for name, _ in self.new_names:
            del self.names[name]
        for key, _, _ in self.new_tpls:
            del self.templates[key]
        self.new_names = []
        self.new_tpls = []

    def commit(self):
        buf = self.buf
        for name, off in self.new_names:
            b = name_hash(name) & 63
            _U32.pack_into(buf, off, self.name_heads[b])
            self.name_heads[b] = off
        for _, off, tid in self.new_tpls:
            b = tid & 31
            _U32.pack_into(buf, off, self.tpl_heads[b])
            self.tpl_heads[b] = off
        self.new_names = []
        self.new_tpls = []


def _emit_name(ch, out, base, name):
    off = ch.names.get(name)
    if off is None:
        off = base + len(out) + 4
        out += _U32.pack(off)
        out += _name_struct(name)
        ch.names[name] = off
        ch.new_names.append((name, off))
    else:
        out += _U32.pack(off)


def _utf16(s):
    return s.encode('utf-16-le', 'surrogatepass')


def _auto_dep(el):
    for c in el.children:
        if type(c) is Sub and c.optional:
            return c.index
    return 0xFFFF


def _emit_element(ch, out, base, el, deps, inst):
    if el.deps is not None:
        deps = el.deps
    attrs = el.attrs
    tok = el.token if el.token is not None else (0x41 if attrs else 0x01)
    out.append(tok)
    if deps:
        out += _U16.pack(el.dep if el.dep is not None else _auto_dep(el))
    size_at = len(out)
    out += b'\x00\x00\x00\x00'
    _emit_name(ch, out, base, el.name)
    if attrs:
        asz = len(out)
        out += b'\x00\x00\x00\x00'
        last = len(attrs) - 1
        for i, a in enumerate(attrs):
            out.append(a.token if a.token is not None else (0x46 if i < last else 0x06))
            _emit_name(ch, out, base, a.name)
            _emit_parts(ch, out, base, a.parts, deps, inst)
        _U32.pack_into(out, asz, len(out) - asz - 4)
    if el.children:
        out.append(0x02)
        _emit_parts(ch, out, base, el.children, deps, inst)
        out.append(0x04)
    else:
        out.append(0x03)
    _U32.pack_into(out, size_at, el.size if el.size is not None else len(out) - size_at - 4)


def _emit_parts(ch, out, base, parts, deps, inst):
    n = len(parts)
    for i, p in enumerate(parts):
        t = type(p)
        if t is Element:
            _emit_element(ch, out, base, p, deps, inst)
            continue
        if t is Sub:
            out += struct.pack('<BHB', 0x0E if p.optional else 0x0D, p.index, p.vtype)
            continue
        if t is Value:
            # a value outside a template: write it as text
            p = Text(p.text()) if p.vtype != 0x00 else None
            if p is None:
                continue
            t = Text
        more = getattr(p, 'more', None)
        if more is None and (t is Text or t is Slot or t is EntityRef):
            # Windows / libfwevt use the "more data" bit on value text (0x45) and entity
            # references (0x49); char refs and CDATA are written without it unless asked
            more = i + 1 < n and type(parts[i + 1]) in _TEXTY
        flag = 0x40 if more else 0
        if t is Text or t is Slot:
            s = p.text if t is Text else inst.literals[p.index]
            vt = p.vtype if t is Text else 0x01
            enc = _utf16(s) if isinstance(s, str) else bytes(s)
            out.append(0x05 | flag)
            out.append(vt)
            out += _U16.pack(len(enc) // 2)
            out += enc
        elif t is CData:
            enc = _utf16(p.text)
            out.append(0x07 | flag)
            out += _U16.pack(len(enc) // 2)
            out += enc
        elif t is CharRef:
            out.append(0x08 | flag)
            out += _U16.pack(p.code)
        elif t is EntityRef:
            out.append(0x09 | flag)
            _emit_name(ch, out, base, p.name)
        elif t is PI:
            out.append(0x0A)
            _emit_name(ch, out, base, p.target)
            enc = _utf16(p.data)
            out.append(0x0B)
            out += _U16.pack(len(enc) // 2)
            out += enc
        elif t is Raw:
            out += p.data
        elif t is TemplateInstance:
            _emit_instance(ch, out, base, p)
        else:
            raise TypeError('cannot emit %r' % (p,))


_TEXTY = (Text, CData, CharRef, EntityRef, Slot)


def _emit_instance(ch, out, base, ti):
    tpl = ti.template
    key = (tpl, ti.literals) if ti.literals else tpl
    out.append(0x0C)
    out.append(ti.unknown)
    out += _U32.pack(tpl.tid)
    if ti.def_offset is not None:
        out += _U32.pack(ti.def_offset)
    else:
        off = ch.templates.get(key) if ti.define == 'auto' else None
        if off is None:
            pos = base + len(out) + 4
            out += _U32.pack(pos)
            out += b'\x00\x00\x00\x00'
            out += tpl.guid
            size_at = len(out)
            out += b'\x00\x00\x00\x00'
            out += FRAGMENT_HEADER
            _emit_parts(ch, out, base, tpl.body, True, ti)
            out.append(0x00)
            _U32.pack_into(out, size_at, len(out) - size_at - 4)
            if key not in ch.templates:
                ch.templates[key] = pos
                ch.new_tpls.append((key, pos, tpl.tid))
        else:
            out += _U32.pack(off)
    _emit_values(ch, out, base, ti.values)


def _emit_values(ch, out, base, values):
    n = len(values)
    out += _U32.pack(n)
    dpos = len(out)
    out += bytes(4 * n)
    pack_desc = _DESC.pack_into
    for i, v in enumerate(values):
        if v is None:
            continue
        if v.node is not None and v.raw is None:
            start = len(out)
            _emit_binxml_value(ch, out, base, v)
            size = len(out) - start
        else:
            b = v._enc
            if b is None:
                b = v.encoded()
            out += b
            size = len(b)
        if v.declared_size is not None:
            size = v.declared_size
        if size > 0xFFFF:
            raise RecordTooLarge('substitution value %d is %d bytes (max 65535)' % (i, size))
        pack_desc(out, dpos + 4 * i, size, v.vtype, 0)


def _emit_binxml_value(ch, out, base, v):
    node = v.node
    header = v.header
    if header:
        out += FRAGMENT_HEADER
    nodes = node if isinstance(node, list) else [node]
    _emit_parts(ch, out, base, nodes, False, None)
    out.append(0x00)


# --------------------------------------------------------------------------------------------
# events and the writer


class Event(object):
    """One record to write.

    root     : node or list of nodes written after the fragment header: a TemplateInstance, an
               Element (direct, or templatized first when template=True), or several nodes.
    template : templatize root (Value leaves -> substitutions) before writing (cached).
    record_id: fixed record id (default: the writer's next id).   written: FILETIME or time str.
    header/eof: write the fragment header / the closing EOF token."""

    __slots__ = ('root', 'template', 'record_id', 'written', 'header', 'eof', 'patches',
                 'time_ft', 'computer', 'json_record_id', '_compiled', 'source')

    def __init__(self, root, template=True, record_id=None, written=None, header=True, eof=True):
        self.root = root
        self.template = template
        self.record_id = record_id
        self.written = written
        self.header = header
        self.eof = eof
        self.patches = {}     # 'recid' / 'time' / 'computer' -> list of nodes to patch per copy
        self.time_ft = None   # FILETIME of System/TimeCreated@SystemTime
        self.computer = None
        self.json_record_id = None
        self._compiled = None
        self.source = None

    def compiled(self, registry=None):
        c = self._compiled
        if c is None:
            root = self.root
            if self.template and isinstance(root, Element):
                tpl, vals = templatize(root, registry)
                c = [TemplateInstance(tpl, vals)]
            elif isinstance(root, list):
                c = root
            else:
                c = [root]
            self._compiled = c
        return c

    def apply(self, record_id=None, computer=None, time_shift=0):
        """Patch the per-copy fields (EventRecordID, Computer, SystemTime) recorded by
        event_from_json."""
        if record_id is not None:
            for n in self.patches.get('recid', ()):
                _patch(n, record_id, VT.UINT64)
        if computer is not None:
            for n in self.patches.get('computer', ()):
                _patch(n, computer, VT.STRING)
        if self.time_ft is not None:
            for n in self.patches.get('time', ()):
                _patch(n, self.time_ft + time_shift, VT.FILETIME)


def _patch(n, val, vt):
    t = type(n)
    if t is Value:
        n.data = val
        n._enc = None
    elif t is Text:
        n.text = format_value(vt, val)
    elif t is TemplateInstance:
        n.literals = (val,) + n.literals[1:]
    elif t is list:   # [TemplateInstance, literal index]
        ti, i = n
        lits = list(ti.literals)
        lits[i] = val
        ti.literals = tuple(lits)


class RecordTooLarge(ValueError):
    """A record (or one of its substitution values) does not fit the format's limits."""


class WriterFull(Exception):
    """The record would need a chunk beyond EvtxWriter(max_chunks=...); it was not written."""


class EvtxWriter(object):
    """Stream records into an EVTX file.

        with EvtxWriter('out.evtx') as w:
            w.add(Event(E('Event', None, E('System', None, E('EventID', None, V('uint16', 4624))))))

    Options: first_record_id, version=(major, minor), file_flags (header @120), chunk_flags
    (chunk @120, Windows writes 1), align (record size multiple, Windows: 8), pad_to (append
    zero chunks until the file is this big, like a preallocated log), registry (template shapes
    shared across events), fill_exact (let a record end exactly at the end of a chunk; Windows
    does not, and libevtx then drops that record), max_chunks (add() raises WriterFull instead
    of starting chunk number max_chunks + 1)."""

    def __init__(self, out, first_record_id=1, version=(3, 1), file_flags=0, chunk_flags=1,
                 align=8, pad_to=None, registry=None, first_chunk_number=0, fill_exact=False,
                 max_chunks=None):
        if isinstance(out, (str, bytes, os.PathLike)):
            self._f = open(out, 'w+b')
            self._own = True
        else:
            self._f = out
            self._own = False
        self.next_id = first_record_id
        self.version = version
        self.file_flags = file_flags
        self.chunk_flags = chunk_flags
        self.align = align
        self.pad_to = pad_to
        self.registry = {} if registry is None else registry
        self.first_chunk_number = first_chunk_number
        # Windows never lets the records reach the very end of a chunk (free-space offset
        # 65536); libevtx drops such a last record.  fill_exact=True allows it.
        self.limit = CHUNK_SIZE if fill_exact else CHUNK_SIZE - 1
        self.max_chunks = max_chunks
        self.chunks_written = 0
        self.records = 0
        self.templates_defined = 0
        self.first_id = None
        self.last_id = None
        self.closed = False
        self._chunk = None
        self._f.write(bytes(FILE_HEADER_SIZE))
        self.summary = None

    # size of the file if it were closed now
    @property
    def size(self):
        return FILE_HEADER_SIZE + CHUNK_SIZE * (self.chunks_written + (1 if self._chunk else 0))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.closed:
            self.close()

    def _new_chunk(self):
        self._chunk = _Chunk(self.chunks_written)

    def _serialize(self, ch, event, nodes, rid, written):
        try:
            return self._serialize1(ch, event, nodes, rid, written)
        except Exception:
            ch.rollback()
            raise

    def _serialize1(self, ch, event, nodes, rid, written):
        pos = ch.free
        out = bytearray(RECORD_MAGIC)
        out += b'\x00\x00\x00\x00'
        out += struct.pack('<QQ', rid, written)
        if event.header:
            out += FRAGMENT_HEADER
        _emit_parts(ch, out, pos, nodes, False, None)
        if event.eof:
            out.append(0x00)
        size = len(out) + 4
        if self.align > 1:
            pad = (-size) % self.align
            out += bytes(pad)
            size += pad
        out += _U32.pack(size)
        _U32.pack_into(out, 4, size)
        return out

    def add(self, event, record_id=None, written=None):
        """Append one record; returns (chunk index, chunk offset, size, record id)."""
        if not isinstance(event, Event):
            event = Event(event)
        nodes = event.compiled(self.registry)
        rid = record_id if record_id is not None else (
            event.record_id if event.record_id is not None else self.next_id)
        w = written if written is not None else event.written
        if w is None:
            w = event.time_ft if event.time_ft is not None else 0
        elif isinstance(w, str):
            w = parse_time(w)
        recid_nodes = event.patches.get('recid')
        if recid_nodes:
            # keep System/EventRecordID equal to the record header's id
            for n in recid_nodes:
                _patch(n, rid, VT.UINT64)
        if self._chunk is None:
            self._new_chunk()
        ch = self._chunk
        rec = self._serialize(ch, event, nodes, rid, w)
        if ch.free + len(rec) > self.limit:
            ch.rollback()
            if ch.count == 0:
                raise RecordTooLarge('record %d is %d bytes: does not fit in a chunk' %
                                     (rid, len(rec)))
            if self.max_chunks is not None and self.chunks_written + 1 >= self.max_chunks:
                raise WriterFull('chunk limit %d reached' % self.max_chunks)
            self._flush_chunk()
            self._new_chunk()
            ch = self._chunk
            rec = self._serialize(ch, event, nodes, rid, w)
            if ch.free + len(rec) > self.limit:
                ch.rollback()
                raise RecordTooLarge('record %d is %d bytes: does not fit in a chunk' %
                                     (rid, len(rec)))
        pos = ch.free
        ch.buf[pos:pos + len(rec)] = rec
        self.templates_defined += len(ch.new_tpls)
        ch.commit()
        ch.free = pos + len(rec)
        ch.last_off = pos
        if ch.count == 0:
            ch.first_id = ch.first_num = rid
        ch.last_id = ch.last_num = rid
        ch.count += 1
        self.records += 1
        if self.first_id is None:
            self.first_id = rid
        self.last_id = rid
        self.next_id = rid + 1
        return (ch.index, pos, len(rec), rid)

    def _flush_chunk(self):
        ch = self._chunk
        if ch is None or ch.count == 0:
            self._chunk = None
            return
        b = ch.buf
        b[0:8] = CHUNK_MAGIC
        struct.pack_into('<QQQQIII', b, 8, ch.first_num, ch.last_num, ch.first_id, ch.last_id,
                         128, ch.last_off, ch.free)
        _U32.pack_into(b, 52, zlib.crc32(b[CHUNK_HEADER_SIZE:ch.free]) & 0xFFFFFFFF)
        _U32.pack_into(b, 120, self.chunk_flags)
        struct.pack_into('<64I', b, 128, *ch.name_heads)
        struct.pack_into('<32I', b, 384, *ch.tpl_heads)
        crc = zlib.crc32(b[128:512], zlib.crc32(b[0:120])) & 0xFFFFFFFF
        _U32.pack_into(b, 124, crc)
        self._f.write(b)
        self.chunks_written += 1
        self._chunk = None

    def close(self):
        if self.closed:
            return self.summary
        self._flush_chunk()
        n = self.chunks_written
        if self.pad_to:
            extra = max(0, (self.pad_to - FILE_HEADER_SIZE - n * CHUNK_SIZE + CHUNK_SIZE - 1)
                        // CHUNK_SIZE)
            for _ in range(extra):
                self._f.write(bytes(CHUNK_SIZE))
        hdr = bytearray(FILE_HEADER_SIZE)
        hdr[0:8] = FILE_MAGIC
        last_chunk = self.first_chunk_number + max(n, 1) - 1
        struct.pack_into('<QQQIHHHH', hdr, 8, self.first_chunk_number, last_chunk, self.next_id,
                         128, self.version[1], self.version[0], FILE_HEADER_SIZE, n & 0xFFFF)
        _U32.pack_into(hdr, 120, self.file_flags)
        _U32.pack_into(hdr, 124, zlib.crc32(hdr[0:120]) & 0xFFFFFFFF)
        self._f.seek(0)
        self._f.write(hdr)
        self._f.seek(0, 2)
        self._f.flush()
        size = self._f.tell()
        if self._own:
            self._f.close()
        self.closed = True
        self.summary = {'records': self.records, 'chunks': n, 'bytes': size,
                        'first_record_id': self.first_id, 'last_record_id': self.last_id,
                        'templates_defined': self.templates_defined}
        return self.summary


def build_evtx(events, **kw):
    """Write events (Event objects or nodes) to an in-memory EVTX; returns bytearray."""
    bio = io.BytesIO()
    w = EvtxWriter(bio, **kw)
    for ev in events:
        w.add(ev)
    w.close()
    return bytearray(bio.getvalue())


def write_evtx(path, events, damage_opts=None, **kw):
    """Write events to path (optionally damaged, see damage()); returns the writer summary."""
    data = build_evtx(events, **kw)
    if damage_opts:
        data = damage(data, **damage_opts)
    with open(path, 'wb') as f:
        f.write(data)
    return {'bytes': len(data)}


# --------------------------------------------------------------------------------------------
# JSON (evtx_dump shape) -> Event


class JsonOptions(object):
    """Conversion options (all overridable per event by "#kizuki")."""

    def __init__(self, layout='windows', null='optional', unnamed_data='elements',
                 userdata='binxml', string_nul=True, int_type=None, binary_element=True,
                 default_xmlns=True, registry=None):
        self.layout = layout              # windows | flat | direct
        self.null = null                  # optional | normal | empty | omit
        self.unnamed_data = unnamed_data  # elements | array
        self.userdata = userdata          # binxml | inline  (windows layout only)
        self.string_nul = string_nul      # strings carry a terminating NUL (Windows does)
        self.int_type = int_type          # None = uint64 (int64 for negatives)
        self.binary_element = binary_element  # EventData "Binary" key -> <Binary> element
        self.default_xmlns = default_xmlns    # add the event xmlns when "#attributes" is absent
        self.registry = {} if registry is None else registry

    def copy(self, **kw):
        o = JsonOptions.__new__(JsonOptions)
        o.__dict__.update(self.__dict__)
        for k, v in kw.items():
            if v is not None:
                setattr(o, k, v)
        return o


# System field -> (text substitution index, type) or None, [(attribute, index, type, always,
# null size)].  Indices and types are those Windows uses for its System template.
_SYSTEM = {
    'Provider': (None, [('Name', 14, VT.STRING, True, 0), ('Guid', 15, VT.GUID, True, 0),
                        ('EventSourceName', None, VT.STRING, False, 0)]),
    'EventID': ((3, VT.UINT16), [('Qualifiers', 4, VT.UINT16, True, 2)]),
    'Version': ((11, VT.UINT8), []),
    'Level': ((0, VT.UINT8), []),
    'Task': ((2, VT.UINT16), []),
    'Opcode': ((1, VT.UINT8), []),
    'Keywords': ((5, VT.HEXINT64), []),
    'TimeCreated': (None, [('SystemTime', 6, VT.FILETIME, True, 0)]),
    'EventRecordID': ((10, VT.UINT64), []),
    'Correlation': (None, [('ActivityID', 7, VT.GUID, True, 16),
                           ('RelatedActivityID', 13, VT.GUID, True, 0)]),
    'Execution': (None, [('ProcessID', 8, VT.UINT32, True, 0), ('ThreadID', 9, VT.UINT32, True, 0),
                         ('ProcessorID', None, VT.UINT8, False, 0),
                         ('SessionID', None, VT.UINT32, False, 0),
                         ('KernelTime', None, VT.UINT32, False, 0),
                         ('UserTime', None, VT.UINT32, False, 0),
                         ('ProcessorTime', None, VT.UINT64, False, 0)]),
    'Channel': ((16, VT.STRING), []),
    'Computer': ((None, VT.STRING), []),
    'Security': (None, [('UserID', 12, VT.SID, True, 0)]),
}
_INT_RANGES = {0x04: (0, 0xFF), 0x06: (0, 0xFFFF), 0x08: (0, 0xFFFFFFFF),
               0x0A: (0, 0xFFFFFFFFFFFFFFFF), 0x15: (0, 0xFFFFFFFFFFFFFFFF)}
_WIDER = {0x04: 0x06, 0x06: 0x08, 0x08: 0x0A}


class _Conv(object):
    """State of one JSON event conversion."""

    def __init__(self, opts, overrides, event):
        self.o = opts
        self.ov = overrides or {}
        self.ev = event

    # -- values
    def override(self, path):
        return self.ov.get(path)

    def infer(self, v, path, optional=False, index=None, null_size=0, token_type=None):
        """JSON value -> Value (or None to drop / 'empty' to leave the element empty)."""
        spec = self.override(path)
        if spec is not None:
            if isinstance(spec, dict) and spec.get('omit'):
                return 'omit'
            if isinstance(spec, str):
                spec = {'type': spec}
            spec = dict(spec)
            spec.setdefault('optional', optional)
            if index is not None:
                spec.setdefault('index', index)
            if 'type' not in spec:
                spec['type'] = _type_for_json(v, self.o.int_type)
            return value_from_spec(spec, data=_coerce_for(type_code(spec['type']), v),
                                   has_data=True)
        if v is None:
            return self.null_value(optional, index, null_size, token_type or VT.STRING)
        vt = _type_for_json(v, self.o.int_type)
        if isinstance(v, list):
            data = [x if isinstance(x, (str, int, float)) else json.dumps(x) for x in v]
            if vt == 0x81:
                data = [str(x) for x in data]
            return Value(vt, data, optional=optional, index=index)
        if vt == VT.STRING and len(v) > 32766 and len(v) % 2 == 0 and _HEX_RE.fullmatch(v):
            # too long for a UTF-16 value: an evtx_dump rendering of a binary value (BitLocker's
            # FilteredTcgLog is 17 KB of binary = 34,070 hex digits)
            return Value(VT.BINARY, bytes.fromhex(v), optional=optional, index=index)
        return Value(vt, v, optional=optional, index=index,
                     nul=self.o.string_nul and vt == VT.STRING)

    def null_value(self, optional, index, null_size, token_type):
        mode = self.o.null
        if optional or mode == 'optional':
            return Value(VT.NULL, None, optional=True, index=index, size=null_size or None,
                         token_type=token_type)
        if mode == 'normal':
            return Value(VT.NULL, None, optional=False, index=index, token_type=token_type)
        if mode == 'empty':
            return 'empty'
        return 'omit'

    def typed(self, v, vt, path, index, null_size=0, optional=True):
        """System value of Windows type vt (falls back to inference when it does not fit)."""
        spec = self.override(path)
        if spec is not None:
            return self.infer(v, path, optional=optional, index=index)
        if v is None:
            return Value(VT.NULL, None, optional=True, index=index, size=null_size or None,
                         token_type=vt)
        data = _coerce_for(vt, v)
        if data is _BAD or (vt == VT.GUID and isinstance(v, str) and v != v.upper()):
            # not of the Windows type; a lower-case GUID was literal text in the original
            # record (a GUID value always renders upper case): keep it as a string
            return self.infer(v, path, optional=optional, index=index)
        rng = _INT_RANGES.get(vt)
        while rng is not None and not rng[0] <= data <= rng[1]:
            vt = _WIDER.get(vt)
            if vt is None:
                return self.infer(v, path, optional=optional, index=index)
            rng = _INT_RANGES.get(vt)
        return Value(vt, data, optional=optional, index=index,
                     nul=self.o.string_nul and vt == VT.STRING)

    # -- sections
    def system(self, sysj):
        el = Element('System')
        if not isinstance(sysj, dict):
            return el
        for key, v in sysj.items():
            if key == '#attributes':
                el.attrs.extend(self.literal_attrs(v))
                continue
            spec = _SYSTEM.get(key)
            path = 'System.' + key
            if spec is None:
                el.children.extend(self.generic(key, v, path))
                continue
            text_spec, attr_specs = spec
            child = Element(key)
            attrs_j = v.get('#attributes', {}) if isinstance(v, dict) else {}
            if not isinstance(attrs_j, dict):
                attrs_j = {}
            if text_spec is not None:
                tv = v.get('#text') if isinstance(v, dict) else v
            for aname, aidx, atype, always, nsize in attr_specs:
                if aname not in attrs_j and not always:
                    continue
                av = attrs_j.get(aname)
                apath = path + '@' + aname
                if key == 'TimeCreated' and aname == 'SystemTime' and isinstance(av, str):
                    try:
                        self.ev.time_ft = parse_time(av)
                    except ValueError:
                        pass
                val = self.typed(av, atype, apath, aidx, nsize)
                if val == 'omit':
                    continue
                if key == 'TimeCreated' and aname == 'SystemTime' and isinstance(val, Value) \
                        and val.vtype == VT.FILETIME:
                    self.ev.patches.setdefault('time', []).append(val)
                child.attrs.append(Attr(aname, [val] if isinstance(val, Value) else []))
            for aname, av in attrs_j.items():
                if not any(aname == s[0] for s in attr_specs):
                    val = self.infer(av, path + '@' + aname, optional=True)
                    if isinstance(val, Value):
                        child.attrs.append(Attr(aname, [val]))
            if text_spec is not None:
                idx, tt = text_spec
                if key == 'Computer':
                    self.ev.computer = tv if isinstance(tv, str) else None
                    if self.o.layout == 'windows' and isinstance(tv, str) and \
                            self.override(path) is None:
                        child.children.append(Slot(0))
                        self.ev.patches.setdefault('computer', []).append('slot')
                        el.children.append(child)
                        continue
                    val = self.typed(tv, tt, path, idx, optional=self.o.layout == 'windows')
                    if isinstance(val, Value):
                        self.ev.patches.setdefault('computer', []).append(val)
                else:
                    val = self.typed(tv, tt, path, idx)
                if key == 'EventRecordID':
                    self.ev.json_record_id = tv if isinstance(tv, int) else (
                        int(tv) if isinstance(tv, str) and tv.isdigit() else None)
                    if isinstance(val, Value):
                        self.ev.patches.setdefault('recid', []).append(val)
                if val == 'omit':
                    pass
                elif isinstance(val, Value):
                    child.children.append(val)
            el.children.append(child)
        return el

    def literal_attrs(self, attrs_j):
        out = []
        if isinstance(attrs_j, dict):
            for k, v in attrs_j.items():
                out.append(Attr(k, [Text(_scalar_text(v))]))
        return out

    def eventdata(self, d, path='EventData', name='EventData'):
        el = Element(name)
        if d is None:
            return el
        if not isinstance(d, dict):
            val = self.infer(d, path + '.#text')
            if isinstance(val, Value):
                el.children.append(val)
            return el
        for k, v in d.items():
            if k == '#attributes':
                el.attrs.extend(self.literal_attrs(v))
            elif k == '#text':
                val = self.infer(v, path + '.#text')
                if isinstance(val, Value):
                    el.children.append(val)
            elif k == 'Data':
                el.children.extend(self.unnamed(v, path))
            elif k == 'Binary' and self.o.binary_element and (v is None or (
                    isinstance(v, str) and re.fullmatch(r'(?:[0-9A-Fa-f]{2})*', v))) and \
                    self.override(path + '.Binary') is None:
                el.children.append(Element('Binary', None, [] if v is None else [
                    Value(VT.BINARY, bytes.fromhex(v))]))
            else:
                el.children.extend(self.named_data(k, v, path + '.' + k))
        return el

    def named_data(self, k, v, path):
        child = Element('Data', [Attr('Name', [Text(k)])])
        if isinstance(v, dict):
            for ak, av in (v.get('#attributes') or {}).items():
                if ak == 'Name':
                    continue
                val = self.infer(av, path + '@' + ak)
                if isinstance(val, Value):
                    child.attrs.append(Attr(ak, [val]))
            v = v.get('#text')
        val = self.infer(v, path)
        if val == 'omit':
            return []
        if isinstance(val, Value):
            child.children.append(val)
        return [child]

    def unnamed(self, v, path):
        items = v
        if isinstance(v, dict):
            if '#attributes' in v and isinstance(v['#attributes'], dict) and \
                    'Name' in v['#attributes']:
                return self.named_data(v['#attributes']['Name'], v, path + '.' +
                                       str(v['#attributes']['Name']))
            items = v.get('#text')
        if not isinstance(items, list):
            items = [items]
        if self.o.unnamed_data == 'array' and self.override(path + '.Data') is None:
            strs = ['' if x is None else _scalar_text(x) for x in items]
            return [Element('Data', None, [Value(VT.STRING | VT.ARRAY, strs, optional=True)])]
        out = []
        for i, it in enumerate(items):
            if it is None and self.override('%s.Data[%d]' % (path, i)) is None:
                out.append(Element('Data'))    # keep the position: empty <Data/>
                continue
            val = self.infer(it, '%s.Data[%d]' % (path, i))
            if val == 'omit':
                continue
            out.append(Element('Data', None, [val] if isinstance(val, Value) else []))
        return out

    def generic(self, name, v, path):
        """Any other element: dict -> attributes/children/#text, list -> repeated elements."""
        if isinstance(v, list):
            out = []
            for i, it in enumerate(v):
                out.extend(self.generic(name, it, '%s[%d]' % (path, i)))
            return out
        el = Element(name)
        if isinstance(v, dict):
            for k, sub in v.items():
                if k == '#attributes':
                    if isinstance(sub, dict):
                        for ak, av in sub.items():
                            if ak == 'xmlns' or ak.startswith('xmlns:'):
                                el.attrs.append(Attr(ak, [Text(_scalar_text(av))]))
                                continue
                            val = self.infer(av, path + '@' + ak)
                            if isinstance(val, Value):
                                el.attrs.append(Attr(ak, [val]))
                elif k == '#text':
                    val = self.infer(sub, path + '.#text')
                    if isinstance(val, Value):
                        el.children.append(val)
                else:
                    el.children.extend(self.generic(k, sub, path + '.' + k))
            return [el]
        if v is None:
            spec = self.override(path)
            if spec is None:
                return [el]
        val = self.infer(v, path)
        if val == 'omit':
            return []
        if isinstance(val, Value):
            el.children.append(val)
        return [el]


_BAD = object()
_HEX_RE = re.compile(r'[0-9A-Fa-f]*')


def _coerce_for(vt, v):
    """Coerce a JSON value to what encode_value expects for vt (or _BAD)."""
    if v is None:
        return None
    base = vt & 0x7F
    try:
        if base in _INT_FORMATS or base in (0x10, 0x0D, 0x20):
            if vt & 0x80:
                return [_as_int(x) for x in v]
            if isinstance(v, bool):
                return int(v)
            if base == 0x0D and isinstance(v, str):
                return {'true': 1, 'false': 0}.get(v.lower(), None) if v.lower() in (
                    'true', 'false') else _as_int(v)
            return _as_int(v)
        if base == 0x0F:
            if vt & 0x80:
                return [guid_bytes(x) for x in v]
            guid_bytes(v)
            return v
        if base == 0x13:
            if vt & 0x80:
                return [sid_bytes(x) for x in v]
            sid_bytes(v)
            return v
        if base in (0x11, 0x12):
            if isinstance(v, str):
                parse_time(v)
            return v
        if base in (0x0B, 0x0C):
            return float(v)
    except (ValueError, TypeError, AttributeError):
        return _BAD
    return v


def _type_for_json(v, int_type=None):
    if isinstance(v, bool):
        return VT.BOOL
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 64):
            return VT.STRING
        if int_type is not None:
            return type_code(int_type)
        return VT.INT64 if v < 0 else VT.UINT64
    if isinstance(v, float):
        return VT.REAL64
    if isinstance(v, list):
        if v and all(isinstance(x, int) and not isinstance(x, bool) and
                     -(1 << 63) <= x < (1 << 64) for x in v):
            return (VT.INT64 if any(x < 0 for x in v) else VT.UINT64) | VT.ARRAY
        return VT.STRING | VT.ARRAY
    return VT.STRING


def _scalar_text(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if v is None:
        return ''
    return str(v)


def _directize(n):
    """Convert Value leaves to text (for the direct layout)."""
    t = type(n)
    if t is Value:
        if n.vtype == 0x21:
            inner = n.node
            return inner if isinstance(inner, Element) else None
        if n.vtype == 0x00:
            return None
        txt = n.text()
        if isinstance(txt, list):
            txt = ''.join(txt)
        return Text(txt)
    if t is Element:
        e = Element(n.name)
        e.dep, e.deps = n.dep, n.deps
        for a in n.attrs:
            parts = [x for x in (_directize(p) for p in a.parts) if x is not None]
            if parts or not a.parts:
                e.attrs.append(Attr(a.name, parts))
        e.children = [x for x in (_directize(c) for c in n.children) if x is not None]
        return e
    return n


def event_from_json(obj, opts=None, **kw):
    """Convert one evtx_dump-shaped JSON event (dict) to an Event.

    opts: JsonOptions (or keyword arguments for one).  A "#kizuki" object next to "Event" (or
    inside it) overrides, see README: layout, null, unnamed_data, userdata, string_nul,
    int_type, record_id, written, types {path: type or value spec}, tree (raw record), template,
    header, eof."""
    if opts is None:
        opts = JsonOptions(**kw)
    elif kw:
        opts = opts.copy(**kw)
    kz = None
    if isinstance(obj, dict):
        kz = obj.get('#kizuki')
        evj = obj.get('Event', obj if 'System' in obj else None)
        if kz is None and isinstance(evj, dict):
            kz = evj.get('#kizuki')
    else:
        raise ValueError('event must be a JSON object')
    kz = kz or {}
    if kz:
        opts = opts.copy(layout=kz.get('layout'), null=kz.get('null'),
                         unnamed_data=kz.get('unnamed_data'), userdata=kz.get('userdata'),
                         string_nul=kz.get('string_nul'), int_type=kz.get('int_type'),
                         binary_element=kz.get('binary_element'))
        if kz.get('direct'):
            opts = opts.copy(layout='direct')
    ev = Event(None)
    ev.source = obj
    if 'record_id' in kz:
        ev.record_id = kz['record_id']
    if 'written' in kz:
        w = kz['written']
        ev.written = parse_time(w) if isinstance(w, str) else w
    ev.header = kz.get('header', True)
    ev.eof = kz.get('eof', True)
    if 'tree' in kz:
        t = kz['tree']
        nodes = [tree_from_json(x) for x in t] if (isinstance(t, list) and t and
                                                   not isinstance(t[0], str)) \
            else [tree_from_json(t)]
        ev.template = kz.get('template', True)
        ev.root = nodes[0] if len(nodes) == 1 else nodes
        if ev.template and len(nodes) == 1 and isinstance(nodes[0], Element):
            ev.compiled(opts.registry)
        return ev
    if evj is None:
        raise ValueError('no "Event" object in %r' % (list(obj)[:5],))
    conv = _Conv(opts, kz.get('types'), ev)
    layout = opts.layout
    root = Element('Event')
    if '#attributes' not in evj and opts.default_xmlns:
        # kizuki dump leaves out the constant xmlns; Windows always writes it
        root.attrs.append(Attr('xmlns', [Text(EVENT_NS)]))
    data_val = None
    for key, v in evj.items():
        if key == '#kizuki':
            continue
        if key == '#attributes':
            root.attrs.extend(conv.literal_attrs(v))
        elif key == 'System':
            root.children.append(conv.system(v))
        elif key in ('EventData', 'UserData'):
            if key == 'EventData':
                sect = conv.eventdata(v)
            else:
                sect = Element('UserData')
                if isinstance(v, dict):
                    for k2, v2 in v.items():
                        if k2 == '#attributes':
                            sect.attrs.extend(conv.literal_attrs(v2))
                        else:
                            sect.children.extend(conv.generic(k2, v2, 'UserData.' + k2))
            if layout == 'windows' and data_val is None and key == 'EventData':
                # Windows: <EventData> itself sits in the BinXml value
                data_val = Value(VT.BINXML, sect, optional=True)
                root.children.append(data_val)
            elif layout == 'windows' and data_val is None and opts.userdata == 'binxml' and \
                    len(sect.children) == 1:
                # Windows: <UserData>%n</UserData>, the value holding the provider's root element
                data_val = Value(VT.BINXML, sect.children[0], optional=True)
                sect.children = [data_val]
                root.children.append(sect)
            else:
                root.children.append(sect)
        else:
            root.children.extend(conv.generic(key, v, key))
    if layout == 'windows':
        # Windows' System template uses 0..16; extra System values follow, then the data value
        nxt = 17
        sysel = next((c for c in root.children if type(c) is Element and c.name == 'System'),
                     None)
        if sysel is not None:
            for v in _values_in(sysel):
                if v.index is None:
                    v.index = nxt
                    nxt += 1
        if data_val is not None and data_val.index is None:
            data_val.index = nxt
    if layout == 'direct':
        root = _directize(root)
        ev.template = False
        ev.root = root
        ev.patches = {}
        _collect_direct_patches(ev, root)
        return ev
    tpl, vals = templatize(root, opts.registry)
    lits = ()
    if 'computer' in ev.patches and 'slot' in ev.patches['computer']:
        lits = (ev.computer,)
    ti = TemplateInstance(tpl, vals, literals=lits)
    if lits:
        ev.patches['computer'] = [x for x in ev.patches['computer'] if x != 'slot'] + [ti]
    ev.root = ti
    ev.template = False
    ev._compiled = [ti]
    return ev


def _values_in(n):
    if type(n) is Value:
        yield n
    elif type(n) is Element:
        for a in n.attrs:
            for p in a.parts:
                for v in _values_in(p):
                    yield v
        for c in n.children:
            for v in _values_in(c):
                yield v


def _collect_direct_patches(ev, root):
    sysel = next((c for c in root.children if type(c) is Element and c.name == 'System'), None)
    if sysel is None:
        return
    for c in sysel.children:
        if type(c) is not Element:
            continue
        if c.name == 'EventRecordID' and c.children and type(c.children[0]) is Text:
            ev.patches.setdefault('recid', []).append(c.children[0])
        elif c.name == 'Computer' and c.children and type(c.children[0]) is Text:
            ev.patches.setdefault('computer', []).append(c.children[0])
        elif c.name == 'TimeCreated':
            for a in c.attrs:
                if a.name == 'SystemTime' and a.parts and type(a.parts[0]) is Text:
                    ev.patches.setdefault('time', []).append(a.parts[0])


def iter_json_events(path_or_file):
    """Yield JSON objects from a file holding JSON Lines, one JSON array, or concatenated
    objects ('-' = stdin).  Streams in bounded memory."""
    if isinstance(path_or_file, (str, os.PathLike)):
        if str(path_or_file) == '-':
            f = sys.stdin
            close = False
        else:
            f = open(path_or_file, 'r', encoding='utf-8-sig')
            close = True
    else:
        f, close = path_or_file, False
    try:
        dec = json.JSONDecoder()
        ws = re.compile(r'[\s,]*')
        buf = ''
        pos = 0
        eof = False
        first = True
        in_array = False
        while True:
            m = ws.match(buf, pos)
            pos = m.end()
            if pos >= len(buf):
                if eof:
                    return
                data = f.read(1 << 20)
                buf = buf[pos:] + data
                pos = 0
                if not data:
                    eof = True
                continue
            if first:
                first = False
                if buf[pos] == '[':
                    in_array = True
                    pos += 1
                    continue
            if in_array and buf[pos] == ']':
                pos += 1
                continue
            try:
                obj, end = dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if eof:
                    raise
                data = f.read(1 << 20)
                buf = buf[pos:] + data
                pos = 0
                if not data:
                    eof = True
                continue
            if end == len(buf) and not eof and isinstance(obj, (int, float)):
                data = f.read(1 << 20)
                buf = buf[pos:] + data
                pos = 0
                if not data:
                    eof = True
                continue
            pos = end
            if isinstance(obj, list):
                for o in obj:
                    yield o
            else:
                yield obj
            if pos > (1 << 20):
                buf = buf[pos:]
                pos = 0
    finally:
        if close:
            f.close()


def compile_json_events(paths, opts=None, **kw):
    """Read and convert every event of the given JSON files; returns a list of Event."""
    if opts is None:
        opts = JsonOptions(**kw)
    out = []
    for p in paths:
        for obj in iter_json_events(p):
            ev = event_from_json(obj, opts)
            out.append(ev)
    return out


# --------------------------------------------------------------------------------------------
# damage (all operate on a bytearray holding a whole file and return it)


def _nchunks(buf):
    return max(0, (len(buf) - FILE_HEADER_SIZE) // CHUNK_SIZE)


def _chunk_off(buf, n):
    if n < 0:
        n += _nchunks(buf)
    if not 0 <= n < _nchunks(buf):
        raise IndexError('chunk %d out of range (file has %d)' % (n, _nchunks(buf)))
    return FILE_HEADER_SIZE + n * CHUNK_SIZE


def _used_chunks(buf):
    return [i for i in range(_nchunks(buf))
            if buf[FILE_HEADER_SIZE + i * CHUNK_SIZE:FILE_HEADER_SIZE + i * CHUNK_SIZE + 8] ==
            CHUNK_MAGIC]


def fix_header_crc(buf):
    _U32.pack_into(buf, 124, zlib.crc32(bytes(buf[0:120])) & 0xFFFFFFFF)
    return buf


def fix_chunk_crcs(buf, n, data=True, header=True):
    o = _chunk_off(buf, n)
    c = memoryview(buf)[o:o + CHUNK_SIZE]
    if data:
        free = min(max(_U32.unpack_from(c, 48)[0], CHUNK_HEADER_SIZE), CHUNK_SIZE)
        _U32.pack_into(c, 52, zlib.crc32(c[CHUNK_HEADER_SIZE:free]) & 0xFFFFFFFF)
    if header:
        _U32.pack_into(c, 124, zlib.crc32(c[128:512], zlib.crc32(c[0:120])) & 0xFFFFFFFF)
    c.release()
    return buf


def damage_dirty(buf, lag=1):
    """Set the dirty flag and make the header lag: chunk count / last chunk / next record id
    as if the last `lag` chunks had not been accounted for (CRC kept valid)."""
    flags = _U32.unpack_from(buf, 120)[0] | 1
    _U32.pack_into(buf, 120, flags)
    used = _used_chunks(buf)
    n = len(used)
    shown = max(1, n - lag)
    first_chunk = _U64.unpack_from(buf, 8)[0]
    struct.pack_into('<Q', buf, 16, first_chunk + shown - 1)
    _U16.pack_into(buf, 42, shown)
    if shown < n:
        o = _chunk_off(buf, used[shown])
        _U64.pack_into(buf, 24, _U64.unpack_from(buf, o + 24)[0])
    return fix_header_crc(buf)


def damage_bad_header_crc(buf):
    _U32.pack_into(buf, 124, _U32.unpack_from(buf, 124)[0] ^ 0xA5A5A5A5)
    return buf


def damage_bad_chunk_crc(buf, n):
    o = _chunk_off(buf, n)
    _U32.pack_into(buf, o + 124, _U32.unpack_from(buf, o + 124)[0] ^ 0xA5A5A5A5)
    return buf


def damage_bad_data_crc(buf, n):
    """Make the stored data CRC wrong (header CRC recomputed so only the data CRC fails)."""
    o = _chunk_off(buf, n)
    _U32.pack_into(buf, o + 52, _U32.unpack_from(buf, o + 52)[0] ^ 0xA5A5A5A5)
    return fix_chunk_crcs(buf, n, data=False)


def damage_zero_chunk(buf, n):
    o = _chunk_off(buf, n)
    buf[o:o + CHUNK_SIZE] = bytes(CHUNK_SIZE)
    return buf


def damage_garbage_chunk(buf, n, seed=0):
    o = _chunk_off(buf, n)
    rnd = random.Random('garbage:%s:%d' % (seed, n))
    buf[o:o + CHUNK_SIZE] = bytes(rnd.getrandbits(8) for _ in range(CHUNK_SIZE))
    return buf


def damage_bad_chunk_magic(buf, n, magic=b'ElfChnX\x00', fix_crc=True):
    """Replace the chunk signature (header CRC recomputed unless fix_crc=False, so only the
    magic is wrong)."""
    o = _chunk_off(buf, n)
    buf[o:o + 8] = magic[:8].ljust(8, b'\x00')
    if fix_crc:
        fix_chunk_crcs(buf, n, data=False)
    return buf


def damage_truncate(buf, nbytes):
    """Cut the file to nbytes (negative: remove -nbytes from the end)."""
    if nbytes < 0:
        nbytes = max(0, len(buf) + nbytes)
    del buf[nbytes:]
    return buf


def _chunk_records(buf, o):
    """[(offset in chunk, size, record id)] walking records from 512 to the free-space offset."""
    free = _U32.unpack_from(buf, o + 48)[0]
    free = min(max(free, CHUNK_HEADER_SIZE), CHUNK_SIZE)
    out = []
    p = CHUNK_HEADER_SIZE
    while p + 28 <= free:
        if buf[o + p:o + p + 4] != RECORD_MAGIC:
            break
        size = _U32.unpack_from(buf, o + p + 4)[0]
        if size < 28 or p + size > free:
            break
        out.append((p, size, _U64.unpack_from(buf, o + p + 8)[0]))
        p += size
    return out


CORRUPT_MODES = ('trailer', 'size', 'zero-size', 'magic', 'binxml', 'huge-size')


def damage_corrupt_record(buf, chunk, index, mode='trailer', fix_crc=True):
    """Break one record.  mode: trailer (trailing size copy differs), size (leading size too small
    by 8), huge-size (leading size runs past the chunk), zero-size, magic (signature zeroed),
    binxml (first BinXML bytes garbled: 0xFF tokens).  fix_crc recomputes the chunk CRCs so only
    the record is wrong."""
    o = _chunk_off(buf, chunk)
    recs = _chunk_records(buf, o)
    if not -len(recs) <= index < len(recs):
        raise IndexError('chunk %d has %d records' % (chunk, len(recs)))
    p, size, _ = recs[index]
    a = o + p
    if mode == 'trailer':
        _U32.pack_into(buf, a + size - 4, size + 8)
    elif mode == 'size':
        _U32.pack_into(buf, a + 4, size - 8)
    elif mode == 'huge-size':
        _U32.pack_into(buf, a + 4, 0x0FFFFFF0)
    elif mode == 'zero-size':
        _U32.pack_into(buf, a + 4, 0)
    elif mode == 'magic':
        buf[a:a + 4] = b'\x00\x00\x00\x00'
    elif mode == 'binxml':
        buf[a + 24:a + 32] = b'\xff' * 8
    else:
        raise ValueError('unknown corrupt mode %r (one of %s)' % (mode, ', '.join(CORRUPT_MODES)))
    if fix_crc:
        fix_chunk_crcs(buf, chunk)
    return buf


def damage_slack(buf, k, chunk=-1):
    """'Delete' the last k records of a chunk: move its free-space offset back to the end of the
    kept records without zeroing, so the deleted records stay as slack for a carver.  Header
    fields (last record number/id/offset), the name/template hash tables (entries pointing into
    the slack are unlinked), both CRCs and, for the last chunk, the file header's next record id
    are updated."""
    o = _chunk_off(buf, chunk)
    if chunk < 0:
        chunk += _nchunks(buf)
    recs = _chunk_records(buf, o)
    if k <= 0:
        return buf
    if k >= len(recs):
        raise ValueError('chunk %d has only %d records; keep at least one' % (chunk, len(recs)))
    kept = recs[:-k]
    last_p, last_size, last_id = kept[-1]
    new_free = last_p + last_size
    first_num = _U64.unpack_from(buf, o + 8)[0]
    first_id = _U64.unpack_from(buf, o + 24)[0]
    struct.pack_into('<QQQQ', buf, o + 8, first_num, first_num + len(kept) - 1, first_id, last_id)
    _U32.pack_into(buf, o + 44, last_p)
    _U32.pack_into(buf, o + 48, new_free)
    for table, count in ((128, 64), (384, 32)):
        for b in range(count):
            pos = o + table + 4 * b
            prev = pos
            cur = _U32.unpack_from(buf, pos)[0]
            guard = 0
            while cur and guard < 10000:
                guard += 1
                nxt = _U32.unpack_from(buf, o + cur)[0] if cur + 4 <= CHUNK_SIZE else 0
                if cur >= new_free:
                    _U32.pack_into(buf, prev, nxt)
                else:
                    prev = o + cur
                cur = nxt
    fix_chunk_crcs(buf, chunk)
    used = _used_chunks(buf)
    if used and used[-1] == chunk:
        _U64.pack_into(buf, 24, last_id + 1)
        fix_header_crc(buf)
    return buf


def damage(buf, dirty=False, bad_header_crc=False, bad_chunk_crc=(), bad_data_crc=(),
           zero_chunk=(), garbage_chunk=(), bad_chunk_magic=(), truncate=None,
           corrupt_record=(), slack=(), seed=0):
    """Apply several damages in a fixed order (slack, corrupt_record, dirty, CRCs, magic,
    zero/garbage chunks, truncate).  Chunk arguments are lists of chunk indices;
    corrupt_record: [(chunk, index[, mode])]; slack: [(chunk, k)] or [k] (last chunk)."""
    buf = bytearray(buf)
    if isinstance(slack, tuple) and slack:
        slack = [slack]
    if isinstance(corrupt_record, tuple) and corrupt_record and isinstance(corrupt_record[0],
                                                                           int):
        corrupt_record = [corrupt_record]
    for s in _aslist(slack):
        if isinstance(s, (tuple, list)):
            damage_slack(buf, s[1], s[0])
        else:
            damage_slack(buf, s)
    for c in _aslist(corrupt_record):
        damage_corrupt_record(buf, c[0], c[1], *(c[2:] if len(c) > 2 else ()))
    if dirty:
        damage_dirty(buf, 1 if dirty is True else int(dirty))
    for n in _aslist(bad_chunk_crc):
        damage_bad_chunk_crc(buf, n)
    for n in _aslist(bad_data_crc):
        damage_bad_data_crc(buf, n)
    for n in _aslist(bad_chunk_magic):
        damage_bad_chunk_magic(buf, n)
    for n in _aslist(zero_chunk):
        damage_zero_chunk(buf, n)
    for n in _aslist(garbage_chunk):
        damage_garbage_chunk(buf, n, seed)
    if bad_header_crc:
        damage_bad_header_crc(buf)
    if truncate is not None:
        damage_truncate(buf, truncate)
    return buf


def _aslist(x):
    if x is None or x is False:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


# --------------------------------------------------------------------------------------------
# reading back (for self-tests and debugging; not a full reader)


def iter_chunks(buf):
    """Yield a dict per 64 KiB block after the file header: index, offset, magic_ok,
    header_crc_ok, data_crc_ok, first/last record number/id, free, last_record_offset."""
    buf = bytes(buf)
    for i in range(_nchunks(buf)):
        o = FILE_HEADER_SIZE + i * CHUNK_SIZE
        c = buf[o:o + CHUNK_SIZE]
        info = {'index': i, 'offset': o, 'magic_ok': c[:8] == CHUNK_MAGIC,
                'all_zero': not any(c)}
        fn, ln, fi, li, hs, lo, free, dcrc = struct.unpack_from('<QQQQIIII', c, 8)
        info.update(first_number=fn, last_number=ln, first_id=fi, last_id=li, last_offset=lo,
                    free=free, flags=_U32.unpack_from(c, 120)[0])
        fr = min(max(free, CHUNK_HEADER_SIZE), CHUNK_SIZE)
        info['data_crc_ok'] = zlib.crc32(c[CHUNK_HEADER_SIZE:fr]) & 0xFFFFFFFF == dcrc
        info['header_crc_ok'] = (zlib.crc32(c[128:512], zlib.crc32(c[0:120])) & 0xFFFFFFFF ==
                                 _U32.unpack_from(c, 124)[0])
        yield info


Rec = collections.namedtuple('Rec', 'chunk offset size record_id written ok slack')


def iter_records(buf, chunk_index=None, slack=False):
    """Yield Rec(chunk, offset, size, record_id, written, ok, slack) for the records of each chunk
    with a valid signature, walked from offset 512 to the free-space offset (magic, size inside
    the chunk, trailing size copy checked; a broken record is yielded with ok=False and ends the
    walk of that chunk).  slack=True also scans the bytes after the free-space offset (8-byte
    steps) for well-formed records and yields them with slack=True."""
    buf = bytes(buf)
    for info in iter_chunks(buf):
        if chunk_index is not None and info['index'] != chunk_index:
            continue
        if not info['magic_ok']:
            continue
        o = info['offset']
        free = min(max(info['free'], CHUNK_HEADER_SIZE), CHUNK_SIZE)
        p = CHUNK_HEADER_SIZE
        while p + 28 <= free:
            good = buf[o + p:o + p + 4] == RECORD_MAGIC
            size = _U32.unpack_from(buf, o + p + 4)[0]
            good = good and 28 <= size and p + size <= free and \
                _U32.unpack_from(buf, o + p + size - 4)[0] == size
            if not good:
                yield Rec(info['index'], p, size, None, None, False, False)
                break
            rid, wt = struct.unpack_from('<QQ', buf, o + p + 8)
            yield Rec(info['index'], p, size, rid, wt, True, False)
            p += size
        if not slack:
            continue
        p = free + (-free) % 8
        while p + 28 <= CHUNK_SIZE:
            if buf[o + p:o + p + 4] == RECORD_MAGIC:
                size = _U32.unpack_from(buf, o + p + 4)[0]
                if 28 <= size and p + size <= CHUNK_SIZE and \
                        _U32.unpack_from(buf, o + p + size - 4)[0] == size:
                    rid, wt = struct.unpack_from('<QQ', buf, o + p + 8)
                    yield Rec(info['index'], p, size, rid, wt, True, True)
                    p += size
                    continue
            p += 8


def inspect(buf):
    """Summary dict: header fields + CRC status, chunks (iter_chunks) each with its records."""
    buf = bytes(buf)
    hdr = {'magic_ok': buf[:8] == FILE_MAGIC}
    if len(buf) >= 128:
        fc, lc, nid, hs, mi, ma, bs, nch = struct.unpack_from('<QQQIHHHH', buf, 8)
        hdr.update(first_chunk=fc, last_chunk=lc, next_record_id=nid, header_size=hs,
                   version=(ma, mi), block_size=bs, chunk_count=nch,
                   flags=_U32.unpack_from(buf, 120)[0],
                   crc_ok=zlib.crc32(buf[0:120]) & 0xFFFFFFFF == _U32.unpack_from(buf, 124)[0])
    chunks = []
    for info in iter_chunks(buf):
        info['records'] = list(iter_records(buf, info['index']))
        chunks.append(info)
    return {'header': hdr, 'chunks': chunks, 'size': len(buf),
            'records': sum(1 for c in chunks for r in c['records'] if r.ok)}


class DecodeError(Exception):
    pass


def decode_record(buf, chunk_index, offset):
    """Decode one record's BinXML into a plain tree: a list of nodes, each
    (name, [(attr, value str)], [children]) for elements, str for text (unescaped),
    ('#entity', name), ('#charref', n), ('#cdata', text), ('#pi', target, data) for the other
    tokens.  Substitutions are resolved (optional Null dropped, arrays expanded into repeated
    elements, values rendered by _render).  Raises DecodeError on malformed data."""
    o = FILE_HEADER_SIZE + chunk_index * CHUNK_SIZE
    c = bytes(buf[o:o + CHUNK_SIZE])
    size = _U32.unpack_from(c, offset + 4)[0]
    d = _Decoder(c)
    nodes, p = d.fragment(offset + 24, offset + size - 4, False, None)
    return nodes


def record_substitutions(buf, chunk_index, offset):
    """The substitution arrays of a record: list of (type, size, raw bytes, nested) for the
    record's template instance, where nested is the same kind of list for a BinXml value that
    holds a template instance (else None).  [] for records without a template instance."""
    o = FILE_HEADER_SIZE + chunk_index * CHUNK_SIZE
    c = bytes(buf[o:o + CHUNK_SIZE])
    size = _U32.unpack_from(c, offset + 4)[0]
    return _subs_at(c, offset + 24, offset + size - 4)


def _subs_at(c, p, end):
    if p < end and c[p] == 0x0F:
        p += 4
    if p >= end or c[p] != 0x0C:
        return []
    toff = _U32.unpack_from(c, p + 6)[0]
    p += 10
    if toff == p:
        p += 24 + _U32.unpack_from(c, p + 20)[0]
    n = _U32.unpack_from(c, p)[0]
    p += 4
    descs = [struct.unpack_from('<HB', c, p + 4 * i) for i in range(n)]
    p += 4 * n
    out = []
    for sz, vt in descs:
        raw = c[p:p + sz]
        nested = _subs_at(c, p, p + sz) if vt == 0x21 else None
        out.append((vt, sz, raw, nested))
        p += sz
    return out


class _Decoder(object):
    def __init__(self, c):
        self.c = c
        self.tcache = {}

    def name(self, off):
        c = self.c
        n = _U16.unpack_from(c, off + 6)[0]
        if off + 8 + 2 * n + 2 > len(c):
            raise DecodeError('name out of chunk')
        return c[off + 8:off + 8 + 2 * n].decode('utf-16-le', 'surrogatepass')

    def name_ref(self, p):
        off = _U32.unpack_from(self.c, p)[0]
        p += 4
        nm = self.name(off)
        if off == p:
            p += 10 + 2 * _U16.unpack_from(self.c, off + 6)[0]
        return nm, p

    def fragment(self, p, end, deps, subs):
        """Parse tokens until EOF/end; returns (list of nodes, position)."""
        out = []
        c = self.c
        if p < end and c[p] == 0x0F:
            p += 4
        while p < end:
            t = c[p]
            b = t & 0x1F
            if b == 0x00:
                return out, p + 1
            if b == 0x01:
                el, p = self.element(p, end, deps, subs)
                out.extend(el)
            elif b == 0x0C:
                nodes, p = self.instance(p, end)
                out.extend(nodes)
            else:
                parts, p = self.content(p, end, deps, subs, stop_at_element=True)
                out.extend(parts)
                if p < end and (c[p] & 0x1F) not in (0x00, 0x01, 0x0C):
                    raise DecodeError('unexpected token 0x%02x at %d' % (c[p], p))
        return out, p

    def element(self, p, end, deps, subs):
        c = self.c
        t = c[p]
        p += 1
        if deps:
            p += 2
        dsize = _U32.unpack_from(c, p)[0]
        p += 4
        el_end = p + dsize
        name, p = self.name_ref(p)
        attrs = []
        if t & 0x40:
            asz = _U32.unpack_from(c, p)[0]
            p += 4
            aend = p + asz
            while p < aend:
                at = c[p]
                if at & 0x1F != 0x06:
                    raise DecodeError('expected attribute at %d, got 0x%02x' % (p, at))
                aname, p = self.name_ref(p + 1)
                parts, p = self.content(p, aend, deps, subs, in_attr=True)
                vals = [x for x in parts if x is not None]
                if any(x is _DROP for x in vals):
                    continue
                attrs.append((aname, ''.join(x if isinstance(x, str) else '&%s;' % x[1]
                                             for x in vals)))
        t2 = c[p]
        if t2 == 0x03:
            p += 1
            children = []
        elif t2 == 0x02:
            children, p = self.content(p + 1, el_end, deps, subs)
            if c[p] != 0x04:
                raise DecodeError('expected end element at %d, got 0x%02x' % (p, c[p]))
            p += 1
        else:
            raise DecodeError('expected close start element at %d, got 0x%02x' % (p, t2))
        if p != el_end:
            raise DecodeError('element %s size field says end %d, parsed to %d' % (name, el_end, p))
        # substitution-driven repetition / dropping
        if any(x is _DROP for x in children):
            return [], p
        arrays = [x for x in children if isinstance(x, _Arr)]
        if arrays:
            items = arrays[0].items
            return [(name, attrs, [it]) for it in items], p
        return [(name, attrs, _merge_text(children))], p

    def content(self, p, end, deps, subs, in_attr=False, stop_at_element=False):
        c = self.c
        out = []
        while p < end:
            t = c[p]
            b = t & 0x1F
            if b == 0x01:
                if in_attr or stop_at_element:
                    return out, p
                el, p = self.element(p, end, deps, subs)
                out.extend(el)
            elif b in (0x02, 0x03, 0x04, 0x00):
                return out, p
            elif b == 0x06:
                return out, p
            elif b == 0x05:
                vt = c[p + 1]
                n = _U16.unpack_from(c, p + 2)[0]
                raw = c[p + 4:p + 4 + 2 * n]
                out.append(raw.decode('utf-16-le', 'surrogatepass') if vt == 1 else
                           _render(vt, raw))
                p += 4 + 2 * n
            elif b == 0x07:
                n = _U16.unpack_from(c, p + 1)[0]
                out.append(('#cdata', c[p + 3:p + 3 + 2 * n].decode('utf-16-le', 'surrogatepass')))
                p += 3 + 2 * n
            elif b == 0x08:
                code = _U16.unpack_from(c, p + 1)[0]
                out.append(chr(code) if in_attr else ('#charref', code))
                p += 3
            elif b == 0x09:
                nm, p = self.name_ref(p + 1)
                if in_attr and nm in _XML_ENTITIES:
                    out.append(_XML_ENTITIES[nm])
                else:
                    out.append(('#entity', nm))
            elif b == 0x0A:
                nm, p = self.name_ref(p + 1)
                if c[p] != 0x0B:
                    raise DecodeError('PI target without data')
                n = _U16.unpack_from(c, p + 1)[0]
                out.append(('#pi', nm, c[p + 3:p + 3 + 2 * n].decode('utf-16-le', 'surrogatepass')))
                p += 3 + 2 * n
            elif b == 0x0B:
                raise DecodeError('PI data without target')
            elif b in (0x0D, 0x0E):
                idx, vt = struct.unpack_from('<HB', c, p + 1)
                p += 4
                if subs is None:
                    raise DecodeError('substitution outside a template')
                if idx >= len(subs):
                    out.append(_DROP if b == 0x0E else '')
                    continue
                svt, raw, vpos = subs[idx]
                if svt == 0x00 or (b == 0x0E and len(raw) == 0):
                    out.append(_DROP if b == 0x0E else '')
                elif svt == 0x21:
                    nodes, _ = self.fragment(vpos, vpos + len(raw), False, None)
                    out.extend(nodes)
                elif svt & 0x80 and not in_attr:
                    out.append(_Arr(_render_array(svt, raw)))
                else:
                    r = _render(svt, raw)
                    out.append(', '.join(r) if isinstance(r, list) else r)
            elif b == 0x0C:
                nodes, p = self.instance(p, end)
                out.extend(nodes)
            else:
                raise DecodeError('unknown token 0x%02x at %d' % (t, p))
        return out, p

    def instance(self, p, end):
        c = self.c
        tid, toff = struct.unpack_from('<II', c, p + 2)
        p += 10
        if toff == p:
            dsize = _U32.unpack_from(c, p + 20)[0]
            body = (p + 24, p + 24 + dsize)
            p += 24 + dsize
        else:
            if toff + 24 > len(c):
                raise DecodeError('template offset out of chunk')
            dsize = _U32.unpack_from(c, toff + 20)[0]
            body = (toff + 24, toff + 24 + dsize)
        n = _U32.unpack_from(c, p)[0]
        p += 4
        descs = [struct.unpack_from('<HB', c, p + 4 * i) for i in range(n)]
        p += 4 * n
        subs = []
        for sz, vt in descs:
            if p + sz > len(c):
                raise DecodeError('substitution value runs past the chunk')
            subs.append((vt, c[p:p + sz], p))
            p += sz
        nodes, _ = self.fragment(body[0], body[1], True, subs)
        return nodes, p


_XML_ENTITIES = {'amp': '&', 'lt': '<', 'gt': '>', 'quot': '"', 'apos': "'"}


class _Arr(object):
    def __init__(self, items):
        self.items = items


_DROP = object()


def _merge_text(children):
    out = []
    for ch in children:
        if isinstance(ch, str) and ch == '':
            continue
        if isinstance(ch, str) and out and isinstance(out[-1], str):
            out[-1] += ch
        elif ch is not None and ch is not _DROP:
            out.append(ch)
    return out


def _render(vt, raw):
    """Canonical text of a value (strings NUL-stripped; GUIDs upper case with braces; times ISO
    with 7 digits; hex ints 0x%x)."""
    if vt & 0x80:
        return _render_array(vt, raw)
    if vt == 0x01:
        return raw.decode('utf-16-le', 'surrogatepass').rstrip('\x00')
    if vt == 0x02:
        return raw.rstrip(b'\x00').decode('cp1252', 'replace')
    fmt = _INT_FORMATS.get(vt)
    if fmt is not None:
        v = struct.unpack('<' + fmt, raw)[0]
        return '0x%x' % v if vt in (0x14, 0x15) else str(v)
    if vt == 0x0B:
        return repr(struct.unpack('<f', raw)[0])
    if vt == 0x0C:
        return repr(struct.unpack('<d', raw)[0])
    if vt == 0x0D:
        v = _U32.unpack(raw)[0]
        return 'true' if v == 1 else 'false' if v == 0 else str(v)
    if vt == 0x0E:
        return raw.hex().upper()
    if vt == 0x0F:
        return format_guid(raw)
    if vt in (0x10, 0x20):
        return '0x%x' % int.from_bytes(raw, 'little')
    if vt == 0x11:
        return filetime_to_iso(_U64.unpack(raw)[0])
    if vt == 0x12:
        f = struct.unpack('<8H', raw)
        return '%04d-%02d-%02dT%02d:%02d:%02d.%03dZ' % (f[0], f[1], f[3], f[4], f[5], f[6], f[7])
    if vt == 0x13:
        return format_sid(raw)
    if vt == 0x23:
        return raw.decode('utf-16-le', 'surrogatepass')
    return raw.hex()


def _render_array(vt, raw):
    base = vt & 0x7F
    if base == 0x01:
        s = raw.decode('utf-16-le', 'surrogatepass')
        items = s.split('\x00')
        if items and items[-1] == '':
            items.pop()
        return items
    if base == 0x02:
        items = raw.split(b'\x00')
        if items and items[-1] == b'':
            items.pop()
        return [x.decode('cp1252', 'replace') for x in items]
    if base == 0x13:
        out = []
        p = 0
        while p + 8 <= len(raw):
            n = raw[p + 1]
            out.append(format_sid(raw[p:p + 8 + 4 * n]))
            p += 8 + 4 * n
        return out
    size = _FIXED_SIZES.get(base)
    if base in (0x10, 0x20):
        size = 8 if len(raw) % 8 == 0 else 4
    if not size:
        return [raw.hex()]
    return [_render(base, raw[i:i + size]) for i in range(0, len(raw) - size + 1, size)]


def record_xml(nodes, indent=''):
    """Render decode_record() output as XML text (for --inspect --xml and debugging)."""
    out = []
    for n in nodes:
        if isinstance(n, str):
            out.append(_xml_escape(n))
        elif isinstance(n, tuple) and n[0] == '#entity':
            out.append('&%s;' % n[1])
        elif isinstance(n, tuple) and n[0] == '#charref':
            out.append('&#%d;' % n[1])
        elif isinstance(n, tuple) and n[0] == '#cdata':
            out.append('<![CDATA[%s]]>' % n[1])
        elif isinstance(n, tuple) and n[0] == '#pi':
            out.append('<?%s %s?>' % (n[1], n[2]))
        elif isinstance(n, tuple):
            name, attrs, children = n
            a = ''.join(' %s="%s"' % (k, _xml_escape(v)) for k, v in attrs)
            if children:
                out.append('<%s%s>%s</%s>' % (name, a, record_xml(children), name))
            else:
                out.append('<%s%s/>' % (name, a))
    return ''.join(out)


def _xml_escape(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace(
        '"', '&quot;').replace('\r', '&#13;')


# --------------------------------------------------------------------------------------------
# CLI


def _parse_corrupt(s):
    parts = s.split(':')
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError('expected CHUNK:INDEX[:MODE]')
    r = [int(parts[0]), int(parts[1])]
    if len(parts) == 3:
        if parts[2] not in CORRUPT_MODES:
            raise argparse.ArgumentTypeError('mode must be one of ' + ', '.join(CORRUPT_MODES))
        r.append(parts[2])
    return tuple(r)


def _parse_slack(s):
    if ':' in s:
        a, b = s.split(':', 1)
        return (int(a), int(b))
    return (-1, int(s))


def _parse_size(s):
    m = re.fullmatch(r'\s*(-?\d+)\s*([kKmMgG]?)i?[bB]?\s*', s)
    if not m:
        raise argparse.ArgumentTypeError('bad size %r' % s)
    return int(m.group(1)) * {'': 1, 'k': 1024, 'm': 1 << 20, 'g': 1 << 30}[m.group(2).lower()]


def build_arg_parser():
    ap = argparse.ArgumentParser(
        prog='evtx_writer.py',
        description='Build valid (or deliberately damaged) EVTX files from evtx_dump-shaped JSON '
                    'events.  See tests/tools/README.md.')
    ap.add_argument('inputs', nargs='*', metavar='INPUT.json',
                    help='JSON Lines / JSON array / concatenated JSON objects ("-" = stdin)')
    ap.add_argument('-o', '--output', help='output .evtx file')
    g = ap.add_argument_group('conversion')
    g.add_argument('--layout', choices=('windows', 'flat', 'direct'), default='windows',
                   help='record layout (default: windows, as Windows writes it)')
    g.add_argument('--null', choices=('optional', 'normal', 'empty', 'omit'), default='optional',
                   help='JSON null in EventData: optional Null substitution (default), normal '
                        'Null substitution, empty element, or omit the element')
    g.add_argument('--unnamed-data', choices=('elements', 'array'), default='elements',
                   help='unnamed <Data> list: one element each (default) or one string array')
    g.add_argument('--userdata', choices=('binxml', 'inline'), default='binxml')
    g.add_argument('--no-string-nul', action='store_true',
                   help='do not NUL-terminate string values (Windows does)')
    g.add_argument('--int-type', default=None,
                   help='value type for JSON integers in event data (default uint64/int64)')
    g = ap.add_argument_group('records')
    g.add_argument('--record-id-start', type=int, default=1, help='first EventRecordID (1)')
    g.add_argument('--keep-record-ids', action='store_true',
                   help="keep the JSON's EventRecordID values (single copy only)")
    g.add_argument('--copies', type=int, default=1,
                   help='repeat the input K times: each copy gets its own Computer, continuing '
                        'record ids and shifted times')
    g.add_argument('--copy-start', type=int, default=0, help='index n of the first copy (0)')
    g.add_argument('--rewrite-computer', metavar='FMT', default=None,
                   help='Computer name per copy, str.format with n=copy index and '
                        'computer=original, e.g. "WS{n:04d}.corp.local" (default with '
                        '--copies > 1: that example)')
    g.add_argument('--time-shift', type=float, default=None,
                   help='seconds added to event times per copy index (default: the time span '
                        'of the input + 1 s, at most 86400)')
    g.add_argument('--max-bytes', type=_parse_size, default=None,
                   help='stop before the file would exceed this size')
    g.add_argument('--max-records', type=int, default=None)
    g.add_argument('--seed', type=int, default=0, help='seed for --garbage-chunk')
    g = ap.add_argument_group('file')
    g.add_argument('--format-version', default='3.1', help='file format version (3.1 or 3.2)')
    g.add_argument('--pad-to', type=_parse_size, default=None,
                   help='append zero chunks up to this file size (preallocated log)')
    g.add_argument('--no-align', action='store_true', help='do not pad records to 8 bytes')
    g.add_argument('--fill-exact', action='store_true',
                   help='allow a record to end exactly at the end of a chunk (Windows does not)')
    g = ap.add_argument_group('damage')
    g.add_argument('--dirty', action='store_true',
                   help='set the dirty flag and make the header chunk count lag by one')
    g.add_argument('--bad-header-crc', action='store_true')
    g.add_argument('--bad-chunk-crc', type=int, action='append', default=[], metavar='N')
    g.add_argument('--bad-data-crc', type=int, action='append', default=[], metavar='N')
    g.add_argument('--zero-chunk', type=int, action='append', default=[], metavar='N')
    g.add_argument('--garbage-chunk', type=int, action='append', default=[], metavar='N')
    g.add_argument('--bad-chunk-magic', type=int, action='append', default=[], metavar='N')
    g.add_argument('--truncate', type=_parse_size, default=None, metavar='BYTES',
                   help='cut the file to BYTES (negative: remove from the end)')
    g.add_argument('--corrupt-record', type=_parse_corrupt, action='append', default=[],
                   metavar='CHUNK:INDEX[:MODE]',
                   help='break a record; MODE: ' + ', '.join(CORRUPT_MODES) + ' (trailer)')
    g.add_argument('--slack', type=_parse_slack, action='append', default=[],
                   metavar='[CHUNK:]K',
                   help='delete the last K records of a chunk (default: the last) leaving them '
                        'as slack after the free-space offset')
    g = ap.add_argument_group('other')
    g.add_argument('--inspect', metavar='FILE', help='print header/chunk/record summary of FILE')
    g.add_argument('--xml', action='store_true', help='with --inspect: decode records to XML')
    g.add_argument('-q', '--quiet', action='store_true')
    return ap


def _inspect_main(path, xml):
    data = open(path, 'rb').read()
    info = inspect(data)
    h = info['header']
    print('file %s: %d bytes; header: magic %s crc %s version %s chunks %s next-id %s flags 0x%x'
          % (path, info['size'], 'ok' if h.get('magic_ok') else 'BAD',
             'ok' if h.get('crc_ok') else 'BAD', h.get('version'), h.get('chunk_count'),
             h.get('next_record_id'), h.get('flags', 0)))
    for c in info['chunks']:
        if c['all_zero']:
            print('chunk %d: all zero' % c['index'])
            continue
        print('chunk %d: magic %s hcrc %s dcrc %s ids %d..%d free %d records %d%s' % (
            c['index'], 'ok' if c['magic_ok'] else 'BAD', 'ok' if c['header_crc_ok'] else 'BAD',
            'ok' if c['data_crc_ok'] else 'BAD', c['first_id'], c['last_id'], c['free'],
            sum(1 for r in c['records'] if r.ok),
            '' if all(r.ok for r in c['records']) else ' (broken record)'))
        if xml:
            for r in c['records']:
                if not r.ok:
                    continue
                try:
                    print('  #%d @%d: %s' % (r.record_id, r.offset, record_xml(
                        decode_record(data, c['index'], r.offset))))
                except Exception as e:  # noqa
                    print('  #%d @%d: DECODE ERROR %s' % (r.record_id, r.offset, e))
    print('records: %d' % info['records'])


def _convert_or_skip(obj, opts, skipped, quiet):
    try:
        return event_from_json(obj, opts)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        skipped[1] += 1
        if skipped[1] <= 5 and not quiet:
            print('warning: skipped an event that cannot be converted: %r' % (e,), file=sys.stderr)
        return None


def main(argv=None):
    ap = build_arg_parser()
    a = ap.parse_args(argv)
    if a.inspect:
        _inspect_main(a.inspect, a.xml)
        return 0
    if not a.inputs or not a.output:
        ap.error('need INPUT.json... and -o OUT.evtx')
    ver = tuple(int(x) for x in a.format_version.split('.'))
    opts = JsonOptions(layout=a.layout, null=a.null, unnamed_data=a.unnamed_data,
                       userdata=a.userdata, string_nul=not a.no_string_nul, int_type=a.int_type)
    stream = a.copies == 1 and not a.rewrite_computer
    events = None
    if not stream:
        skipped0 = [0, 0]
        events = []
        for p in a.inputs:
            for obj in iter_json_events(p):
                ev = _convert_or_skip(obj, opts, skipped0, a.quiet)
                if ev is not None:
                    events.append(ev)
    fmt = a.rewrite_computer
    if fmt is None and a.copies > 1:
        fmt = 'WS{n:04d}.corp.local'
    if a.keep_record_ids and a.copies > 1:
        ap.error('--keep-record-ids cannot be combined with --copies > 1')
    shift = a.time_shift
    if shift is None and events is not None:
        # default: one copy after the other (time span of the input + 1 s), at most one day
        times = [e.time_ft for e in events if e.time_ft is not None]
        span = (max(times) - min(times)) if times else 0
        shift_ft = min((span // 10000000 + 1) * 10000000, 86400 * 10000000)
    else:
        shift_ft = int((shift or 0) * 10000000)
    damaged = any([a.dirty, a.bad_header_crc, a.bad_chunk_crc, a.bad_data_crc, a.zero_chunk,
                   a.garbage_chunk, a.bad_chunk_magic, a.truncate is not None, a.corrupt_record,
                   a.slack])
    target = io.BytesIO() if damaged else a.output
    max_chunks = None
    if a.max_bytes is not None:
        max_chunks = (a.max_bytes - FILE_HEADER_SIZE) // CHUNK_SIZE
        if max_chunks < 1:
            ap.error('--max-bytes must allow at least one chunk (%d bytes)' %
                     (FILE_HEADER_SIZE + CHUNK_SIZE))
    w = EvtxWriter(target, first_record_id=a.record_id_start, version=ver, max_chunks=max_chunks,
                   align=1 if a.no_align else 8, pad_to=a.pad_to, registry=opts.registry,
                   fill_exact=a.fill_exact)
    nid = a.record_id_start
    stop = False
    skipped = [0, 0]   # too large, not convertible

    def feed(ev, copy_index):
        nonlocal nid, stop
        rid = ev.record_id
        if rid is None:
            rid = ev.json_record_id if (a.keep_record_ids and ev.json_record_id is not None) \
                else nid
        comp = None
        if fmt is not None and ev.computer is not None:
            comp = fmt.format(n=copy_index, computer=ev.computer)
        ev.apply(record_id=rid, computer=comp, time_shift=copy_index * shift_ft)
        if a.max_records is not None and w.records >= a.max_records:
            stop = True
            return
        try:
            w.add(ev, record_id=rid)
        except RecordTooLarge as e:
            skipped[0] += 1
            if skipped[0] <= 5 and not a.quiet:
                print('warning: skipped an event: %s' % e, file=sys.stderr)
            return
        except WriterFull:
            stop = True
            return
        nid = rid + 1

    if stream:
        for p in a.inputs:
            for obj in iter_json_events(p):
                ev = _convert_or_skip(obj, opts, skipped, a.quiet)
                if ev is not None:
                    feed(ev, a.copy_start)
                if stop:
                    break
    else:
        for k in range(a.copy_start, a.copy_start + a.copies):
            for ev in events:
                feed(ev, k)
                if stop:
                    break
            if stop:
                break
    summary = w.close()
    if damaged:
        data = damage(target.getvalue(), dirty=a.dirty, bad_header_crc=a.bad_header_crc,
                      bad_chunk_crc=a.bad_chunk_crc, bad_data_crc=a.bad_data_crc,
                      zero_chunk=a.zero_chunk, garbage_chunk=a.garbage_chunk,
                      bad_chunk_magic=a.bad_chunk_magic, truncate=a.truncate,
                      corrupt_record=a.corrupt_record, slack=a.slack, seed=a.seed)
        with open(a.output, 'wb') as f:
            f.write(data)
        summary['bytes'] = len(data)
    if not stream:
        skipped[1] = skipped0[1]
    if not a.quiet:
        print('%s: %d records (ids %s..%s), %d chunks, %d bytes, %d template definitions%s' % (
            a.output, summary['records'], summary['first_record_id'], summary['last_record_id'],
            summary['chunks'], summary['bytes'], summary['templates_defined'],
            ''.join(['; skipped %d too-large records' % skipped[0] if skipped[0] else '',
                     '; skipped %d unconvertible events' % skipped[1] if skipped[1] else ''])),
            file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
