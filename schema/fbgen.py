#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Generate C readers, builders and verifiers (on the schema/fb.h runtime) from FlatBuffers schemas.
"""fbgen.py [-I DIR]... -o OUT.h SCHEMA.fbs

Reads SCHEMA.fbs and the files it includes and writes one C header with,
for every type SCHEMA.fbs declares: enums with name/is_known helpers,
structs with their exact wire layout, table readers, table builders and
table verifiers.  Included schemas get their own headers (X.fbs -> X_fb.h),
which the output #includes.  An error prints FILE:LINE: message and exits 1.
"""

import math
import os
import re
import sys

# name -> (C type, size, kind); kind is 'bool', 'int', 'uint' or 'float'
SCALARS = {
    'bool': ('bool', 1, 'bool'),
    'byte': ('int8_t', 1, 'int'), 'int8': ('int8_t', 1, 'int'),
    'ubyte': ('uint8_t', 1, 'uint'), 'uint8': ('uint8_t', 1, 'uint'),
    'short': ('int16_t', 2, 'int'), 'int16': ('int16_t', 2, 'int'),
    'ushort': ('uint16_t', 2, 'uint'), 'uint16': ('uint16_t', 2, 'uint'),
    'int': ('int32_t', 4, 'int'), 'int32': ('int32_t', 4, 'int'),
    'uint': ('uint32_t', 4, 'uint'), 'uint32': ('uint32_t', 4, 'uint'),
    'long': ('int64_t', 8, 'int'), 'int64': ('int64_t', 8, 'int'),
    'ulong': ('uint64_t', 8, 'uint'), 'uint64': ('uint64_t', 8, 'uint'),
    'float': ('float', 4, 'float'), 'float32': ('float', 4, 'float'),
    'double': ('double', 8, 'float'), 'float64': ('double', 8, 'float'),
}

# fb.h reader for each (kind, size)
READERS = {
    ('bool', 1): 'fb_read_bool',
    ('int', 1): 'fb_read_i8', ('uint', 1): 'fb_read_u8',
    ('int', 2): 'fb_read_i16', ('uint', 2): 'fb_read_u16',
    ('int', 4): 'fb_read_i32', ('uint', 4): 'fb_read_u32',
    ('int', 8): 'fb_read_i64', ('uint', 8): 'fb_read_u64',
    ('float', 4): 'fb_read_f32', ('float', 8): 'fb_read_f64',
}

C_KEYWORDS = set('''auto break case char const continue default do double else
enum extern float for goto if inline int long register restrict return short
signed sizeof static struct switch typedef union unsigned void volatile while
_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
_Static_assert _Thread_local bool true false asm typeof'''.split())

# Attributes flatc knows; those we cannot honour are errors.
KNOWN_ATTRS = {'id', 'deprecated', 'required', 'key', 'hash', 'force_align',
               'bit_flags', 'nested_flatbuffer', 'flexbuffer', 'shared',
               'original_order', 'native_inline', 'native_default',
               'native_custom_alloc', 'native_type', 'native_type_pack_name',
               'cpp_type', 'cpp_ptr_type', 'cpp_ptr_type_get', 'cpp_str_type',
               'cpp_str_flex_ctor', 'idempotent', 'streaming', 'private',
               'csharp_partial', 'java_package'}
UNSUPPORTED_ATTRS = {'deprecated', 'hash', 'force_align', 'flexbuffer'}

MAX_SLOTS = 256  # FB_MAX_SLOTS in fb.h


class FbsError(Exception):
    def __init__(self, where, msg):
        super().__init__(msg)
        self.where = where
        self.msg = msg


class Tok:
    __slots__ = ('kind', 'val', 'line', 'doc')

    def __init__(self, kind, val, line, doc):
        self.kind, self.val, self.line, self.doc = kind, val, line, doc


TOKEN_RE = re.compile(r'''
    (?P<ws>[ \t\r\f\v]+) |
    (?P<nl>\n) |
    (?P<doc>///[^\n]*) |
    (?P<comment>//[^\n]*) |
    (?P<block>/\*.*?\*/) |
    (?P<float>(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+) |
    (?P<int>0[xX][0-9a-fA-F]+|\d+) |
    (?P<id>[A-Za-z_][A-Za-z0-9_]*) |
    (?P<str>"(?:[^"\\\n]|\\.)*") |
    (?P<punct>[{}()\[\]:;,=.+-])
''', re.X | re.S)


def tokenize(path, text):
    toks, doc, line, pos = [], [], 1, 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise FbsError((path, line), 'unexpected character %r' % text[pos])
        kind = m.lastgroup
        val = m.group(kind)
        pos = m.end()
        if kind == 'nl':
            line += 1
        elif kind == 'doc':
            doc.append(val[3:].strip())
        elif kind in ('ws', 'comment'):
            pass
        elif kind == 'block':
            line += val.count('\n')
        else:
            if kind == 'str':
                val = bytes(val[1:-1], 'utf-8').decode('unicode_escape')
            toks.append(Tok(kind, val, line, doc))
            doc = []
    toks.append(Tok('eof', None, line, []))
    return toks


class Type:
    """kind: scalar, enum, struct, table, union, string, vector, array."""

    def __init__(self, kind, name=None, elem=None, length=0, where=None):
        self.kind = kind
        self.name = name      # scalar name, or declared name before resolving
        self.decl = None      # Enum, Struct, Table, Union once resolved
        self.elem = elem      # element Type of a vector or array
        self.length = length  # array length
        self.where = where
        self.ns = None        # namespace the name is looked up from


class Decl:
    def __init__(self, kind, name, ns, where, doc, attrs):
        self.kind = kind      # enum, union, struct, table
        self.name = name
        self.ns = ns
        self.where = where
        self.doc = doc
        self.attrs = attrs
        self.fields = []      # struct/table: Field; enum/union: EnumVal
        self.file = where[0]

    @property
    def full(self):
        return '.'.join(self.ns + [self.name])

    @property
    def c(self):
        return '_'.join(self.ns + [self.name])


class Field:
    def __init__(self, name, type_, default, attrs, where, doc):
        self.name, self.type, self.default = name, type_, default
        self.attrs, self.where, self.doc = attrs, where, doc
        self.slot = None      # tables: vtable slot (unions: of the value)
        self.offset = None    # structs: byte offset
        self.value = None     # tables: parsed default


class EnumVal:
    def __init__(self, name, value, where, doc, type_=None):
        self.name, self.value, self.where, self.doc = name, value, where, doc
        self.type = type_     # union members: the member's Type


class Schema:
    """Every file parsed, every declaration by full name."""

    def __init__(self, incdirs):
        self.incdirs = incdirs
        self.files = {}       # path -> FileInfo
        self.decls = {}       # full name -> Decl
        self.attributes = set()
        self.order = []       # declarations in parse order


class FileInfo:
    def __init__(self, path):
        self.path = path
        self.includes = []    # FileInfo
        self.decls = []
        self.ident = None
        self.root = None
        self.root_where = None


class Parser:
    def __init__(self, schema, path, stack):
        self.schema = schema
        self.path = path
        self.stack = stack
        with open(path, encoding='utf-8') as f:
            text = f.read()
        self.toks = tokenize(path, text)
        self.i = 0
        self.ns = []
        self.info = FileInfo(path)

    def err(self, msg, tok=None):
        tok = tok or self.toks[self.i]
        return FbsError((self.path, tok.line), msg)

    def peek(self, val=None, kind=None):
        t = self.toks[self.i]
        if kind and t.kind != kind:
            return False
        if val is not None and not (t.val == val and t.kind in ('id', 'punct')):
            return False
        return True

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, val):
        t = self.toks[self.i]
        if t.val != val or t.kind not in ('id', 'punct'):
            raise self.err('expected "%s", found %s' % (val, self.desc(t)))
        self.i += 1
        return t

    def ident(self):
        t = self.toks[self.i]
        if t.kind != 'id':
            raise self.err('expected a name, found %s' % self.desc(t))
        self.i += 1
        return t

    def string(self):
        t = self.toks[self.i]
        if t.kind != 'str':
            raise self.err('expected a string, found %s' % self.desc(t))
        self.i += 1
        return t

    @staticmethod
    def desc(t):
        if t.kind == 'eof':
            return 'end of file'
        if t.kind == 'str':
            return '"%s"' % t.val
        return '"%s"' % t.val

    def where(self, tok):
        return (self.path, tok.line)

    def dotted(self):
        parts = [self.ident().val]
        while self.peek('.'):
            self.next()
            parts.append(self.ident().val)
        return '.'.join(parts)

    def parse(self):
        while not self.peek(kind='eof'):
            t = self.toks[self.i]
            if t.kind != 'id':
                raise self.err('expected a declaration, found %s' % self.desc(t))
            kw = t.val
            if kw == 'include':
                self.next()
                self.include(self.string())
                self.expect(';')
            elif kw == 'native_include':
                self.next()
                self.string()
                self.expect(';')
            elif kw == 'namespace':
                self.next()
                self.ns = self.dotted().split('.')
                self.expect(';')
            elif kw == 'attribute':
                self.next()
                a = self.next()
                if a.kind not in ('str', 'id'):
                    raise self.err('expected an attribute name', a)
                self.schema.attributes.add(a.val)
                self.expect(';')
            elif kw in ('table', 'struct'):
                self.next()
                self.object(kw, t)
            elif kw == 'enum':
                self.next()
                self.enum(t)
            elif kw == 'union':
                self.next()
                self.union(t)
            elif kw == 'root_type':
                self.next()
                tok = self.toks[self.i]
                name = self.dotted()
                self.expect(';')
                self.info.root = Type('table', name, where=self.where(tok))
                self.info.root.ns = list(self.ns)
            elif kw == 'file_identifier':
                self.next()
                s = self.string()
                if len(s.val.encode('utf-8')) != 4:
                    raise self.err('file_identifier must be exactly 4 '
                                   'characters', s)
                if self.info.ident is not None:
                    raise self.err('file_identifier given twice', s)
                self.info.ident = s.val
                self.expect(';')
            elif kw == 'file_extension':
                self.next()
                self.string()
                self.expect(';')
            elif kw == 'rpc_service':
                raise self.err('rpc_service is not supported')
            else:
                raise self.err('unknown declaration "%s"' % kw)
        return self.info

    def include(self, tok):
        base = os.path.dirname(self.path)
        for d in [base] + self.schema.incdirs:
            p = os.path.normpath(os.path.join(d, tok.val))
            if os.path.isfile(p):
                break
        else:
            raise self.err('cannot find include "%s"' % tok.val, tok)
        if p in self.stack:
            # flatc allows cycles through already-parsed files; we do not
            raise self.err('include cycle through "%s"' % tok.val, tok)
        info = self.schema.files.get(p)
        if info is None:
            info = Parser(self.schema, p, self.stack + [p]).parse()
            self.schema.files[p] = info
        if info not in self.info.includes:
            self.info.includes.append(info)

    def metadata(self):
        attrs = {}
        if not self.peek('('):
            return attrs
        self.next()
        while True:
            t = self.ident()
            val = None
            if self.peek(':'):
                self.next()
                v = self.next()
                if v.kind not in ('int', 'float', 'str', 'id'):
                    raise self.err('expected an attribute value', v)
                val = v.val
            if t.val not in KNOWN_ATTRS and t.val not in self.schema.attributes:
                raise self.err('user-defined attribute "%s" must be declared '
                               'with attribute "%s";' % (t.val, t.val), t)
            if t.val in UNSUPPORTED_ATTRS:
                raise self.err('attribute "%s" is not supported by fbgen'
                               % t.val, t)
            attrs[t.val] = (val, self.where(t))
            if self.peek(','):
                self.next()
                continue
            self.expect(')')
            return attrs

    def declare(self, d, tok):
        full = d.full
        old = self.schema.decls.get(full)
        if old:
            raise self.err('"%s" already declared at %s:%d'
                           % (full, old.where[0], old.where[1]), tok)
        self.schema.decls[full] = d
        self.schema.order.append(d)
        self.info.decls.append(d)

    def type(self):
        t = self.toks[self.i]
        w = self.where(t)
        if self.peek('['):
            self.next()
            elem = self.type()
            if self.peek(':'):
                self.next()
                n = self.next()
                if n.kind != 'int':
                    raise self.err('expected an array length', n)
                ty = Type('array', elem=elem, length=int(n.val, 0), where=w)
            else:
                ty = Type('vector', elem=elem, where=w)
            self.expect(']')
            return ty
        name = self.dotted()
        if name in SCALARS:
            return Type('scalar', name, where=w)
        if name == 'string':
            return Type('string', where=w)
        ty = Type(None, name, where=w)
        ty.ns = list(self.ns)
        return ty

    def value(self):
        """A default value: ('num', text) or ('id', name)."""
        sign = ''
        if self.peek('-') or self.peek('+'):
            sign = self.next().val
        t = self.next()
        if t.kind in ('int', 'float'):
            return ('num', sign + t.val, t)
        if t.kind == 'id':
            return ('id', sign + t.val, t)
        if t.kind == 'str':
            return ('str', t.val, t)
        raise self.err('expected a value, found %s' % self.desc(t), t)

    def object(self, kind, kwtok):
        name = self.ident()
        d = Decl(kind, name.val, list(self.ns), self.where(name),
                 kwtok.doc, self.metadata())
        self.declare(d, name)
        self.expect('{')
        names = set()
        while not self.peek('}'):
            ft = self.ident()
            if ft.val in names:
                raise self.err('field "%s" declared twice' % ft.val, ft)
            names.add(ft.val)
            self.expect(':')
            ty = self.type()
            default = None
            if self.peek('='):
                self.next()
                default = self.value()
            attrs = self.metadata()
            self.expect(';')
            d.fields.append(Field(ft.val, ty, default, attrs,
                                  self.where(ft), ft.doc))
        self.expect('}')
        if kind == 'struct' and not d.fields:
            raise self.err('struct "%s" has no fields' % d.name, name)

    def enum(self, kwtok):
        name = self.ident()
        if not self.peek(':'):
            raise self.err('enum "%s" needs an underlying integer type '
                           '(e.g. ": ubyte")' % name.val)
        self.next()
        ty = self.type()
        d = Decl('enum', name.val, list(self.ns), self.where(name),
                 kwtok.doc, self.metadata())
        d.base = ty
        self.declare(d, name)
        self.expect('{')
        while not self.peek('}'):
            vt = self.ident()
            val = None
            if self.peek('='):
                self.next()
                v = self.value()
                if v[0] != 'num':
                    raise self.err('enum value must be an integer', v[2])
                val = (v[1], v[2])
            self.metadata()
            d.fields.append(EnumVal(vt.val, val, self.where(vt), vt.doc))
            if not self.peek(','):
                break
            self.next()
        self.expect('}')

    def union(self, kwtok):
        name = self.ident()
        d = Decl('union', name.val, list(self.ns), self.where(name),
                 kwtok.doc, self.metadata())
        self.declare(d, name)
        self.expect('{')
        while not self.peek('}'):
            t = self.toks[self.i]
            mname = self.dotted()
            if self.peek(':'):
                self.next()
                if '.' in mname:
                    raise self.err('bad union member name', t)
                ty = self.type()
            else:
                ty = Type(None, mname, where=self.where(t))
                ty.ns = list(self.ns)
                mname = mname.replace('.', '_')  # as flatc names it
            val = None
            if self.peek('='):
                self.next()
                v = self.value()
                if v[0] != 'num':
                    raise self.err('union value must be an integer', v[2])
                val = (v[1], v[2])
            self.metadata()
            d.fields.append(EnumVal(mname, val, self.where(t), t.doc, ty))
            if not self.peek(','):
                break
            self.next()
        self.expect('}')


def parse_int(text, where):
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text.lstrip('+-').lstrip('0') or '0', 10) * \
                (-1 if text.startswith('-') else 1)
        except ValueError:
            raise FbsError(where, 'bad integer "%s"' % text)


def int_range(kind, size):
    bits = size * 8
    if kind == 'int':
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


class Resolver:
    def __init__(self, schema):
        self.s = schema

    def lookup(self, name, ns, where):
        for k in range(len(ns), -1, -1):
            d = self.s.decls.get('.'.join(ns[:k] + [name]))
            if d:
                return d
        raise FbsError(where, 'unknown type "%s"' % name)

    def resolve(self, ty):
        if ty.kind in ('vector', 'array'):
            self.resolve(ty.elem)
            return
        if ty.kind is not None:
            return
        d = self.lookup(ty.name, ty.ns, ty.where)
        ty.decl = d
        ty.kind = d.kind

    def run(self):
        for d in self.s.order:
            if d.kind == 'enum':
                self.enum(d)
        for d in self.s.order:
            if d.kind == 'union':
                self.union(d)
        for d in self.s.order:
            if d.kind == 'struct':
                for f in d.fields:
                    self.resolve(f.type)
        for d in self.s.order:
            if d.kind == 'struct':
                self.layout(d, [])
        for d in self.s.order:
            if d.kind == 'table':
                self.table(d)
        for info in self.s.files.values():
            if info.root:
                d = self.lookup(info.root.name, info.root.ns, info.root.where)
                if d.kind != 'table':
                    raise FbsError(info.root.where,
                                   'root_type "%s" is not a table'
                                   % info.root.name)

    def enum(self, d):
        if d.base.kind != 'scalar' or SCALARS[d.base.name][2] not in ('int', 'uint'):
            raise FbsError(d.where, 'enum "%s": the underlying type must be '
                           'an integer type' % d.name)
        ctype, size, kind = SCALARS[d.base.name]
        d.ctype, d.size, d.skind = ctype, size, kind
        lo, hi = int_range(kind, size)
        d.bit_flags = 'bit_flags' in d.attrs
        if d.bit_flags and kind != 'uint':
            raise FbsError(d.where, 'bit_flags enum "%s" needs an unsigned '
                           'type' % d.name)
        if not d.fields:
            raise FbsError(d.where, 'enum "%s" has no values' % d.name)
        nxt, seen, prev = 0, set(), None
        for v in d.fields:
            if v.name in seen:
                raise FbsError(v.where, 'enum value "%s" declared twice'
                               % v.name)
            seen.add(v.name)
            val = parse_int(v.value[0], v.where) if v.value else nxt
            if d.bit_flags:
                if not 0 <= val < size * 8:
                    raise FbsError(v.where, 'bit_flags position %d out of '
                                   'range' % val)
                v.bit = val
                v.value = 1 << val
            else:
                v.value = val
            if not lo <= v.value <= hi:
                raise FbsError(v.where, 'enum value %d out of range for %s'
                               % (v.value, d.base.name))
            if prev is not None and val <= prev:
                raise FbsError(v.where, 'enum values must be in ascending '
                               'order')
            prev = val
            nxt = val + 1

    def union(self, d):
        d.ctype, d.size, d.skind = 'uint8_t', 1, 'uint'
        d.bit_flags = False
        nxt, seen, prev = 1, {'NONE'}, 0
        for v in d.fields:
            if v.name in seen:
                raise FbsError(v.where, 'union member "%s" declared twice'
                               % v.name)
            seen.add(v.name)
            self.resolve(v.type)
            if v.type.kind != 'table':
                raise FbsError(v.where, 'union member "%s": only tables are '
                               'supported' % v.name)
            val = parse_int(v.value[0], v.where) if v.value else nxt
            if not prev < val <= 255:
                raise FbsError(v.where, 'union value %d out of order or '
                               'range' % val)
            v.value = prev = val
            nxt = val + 1
        d.fields.insert(0, EnumVal('NONE', 0, d.where, []))

    def sizeof(self, ty, chain):
        """(size, align) of a struct member type."""
        if ty.kind == 'scalar':
            s = SCALARS[ty.name][1]
            return s, s
        if ty.kind == 'enum':
            return ty.decl.size, ty.decl.size
        if ty.kind == 'struct':
            self.layout(ty.decl, chain)
            return ty.decl.size, ty.decl.align
        if ty.kind == 'array':
            if ty.elem.kind not in ('scalar', 'enum', 'struct'):
                raise FbsError(ty.where, 'arrays hold scalars, enums or '
                               'structs only')
            if not 0 < ty.length < 0x10000:
                raise FbsError(ty.where, 'array length must be 1..65535')
            s, a = self.sizeof(ty.elem, chain)
            return s * ty.length, a
        raise FbsError(ty.where, 'structs hold scalars, enums, structs and '
                       'fixed arrays only')

    def layout(self, d, chain):
        if hasattr(d, 'size'):
            return
        if d in chain:
            raise FbsError(d.where, 'struct "%s" contains itself' % d.name)
        off, align = 0, 1
        for f in d.fields:
            if f.default is not None:
                raise FbsError(f.where, 'struct fields cannot have defaults')
            if 'id' in f.attrs or 'required' in f.attrs:
                raise FbsError(f.where, 'attribute not allowed on a struct '
                               'field')
            s, a = self.sizeof(f.type, chain + [d])
            pad = -off % a
            f.pad_before = pad
            f.offset = off + pad
            off = f.offset + s
            align = max(align, a)
        d.tail_pad = -off % align
        d.size = off + d.tail_pad
        d.align = align

    def table(self, d):
        ids = [f for f in d.fields if 'id' in f.attrs]
        if ids and len(ids) != len(d.fields):
            raise FbsError(d.where, 'table "%s": either all fields or none '
                           'have an id' % d.name)
        slot = 0
        used = {}
        for f in d.fields:
            self.resolve(f.type)
            self.check_field(d, f)
            width = 2 if f.type.kind == 'union' else 1
            if ids:
                v, w = f.attrs['id']
                if v is None:
                    raise FbsError(w, 'id needs a value')
                fid = parse_int(v, w)
                first = fid - width + 1
                if first < 0:
                    raise FbsError(w, 'union field id must be at least 1 '
                                   '(its type takes id - 1)')
            else:
                first = slot
            for s in range(first, first + width):
                if s in used:
                    raise FbsError(f.where, 'field id %d used twice' % s)
                used[s] = f
            f.slot = first + width - 1
            slot = first + width
        if ids and sorted(used) != list(range(len(used))):
            raise FbsError(d.where, 'table "%s": field ids must be '
                           'consecutive from 0' % d.name)
        d.nslots = len(used)
        if d.nslots > MAX_SLOTS:
            raise FbsError(d.where, 'table "%s" has more than %d slots'
                           % (d.name, MAX_SLOTS))

    def check_field(self, d, f):
        ty = f.type
        k = ty.kind
        if k == 'array':
            raise FbsError(f.where, 'fixed arrays are allowed in structs '
                           'only')
        if k == 'vector':
            ek = ty.elem.kind
            if ek in ('vector', 'array'):
                raise FbsError(f.where, 'nested vectors are not supported')
            if ek == 'union':
                raise FbsError(f.where, 'vectors of unions are not supported '
                               'by fbgen')
        if 'required' in f.attrs and k in ('scalar', 'enum'):
            raise FbsError(f.where, 'only non-scalar fields can be required')
        if f.default is not None and k not in ('scalar', 'enum'):
            raise FbsError(f.where, 'only scalar fields can have a default')
        if k == 'scalar':
            f.value = self.scalar_default(f)
        elif k == 'enum':
            f.value = self.enum_default(f)

    def scalar_default(self, f):
        ctype, size, kind = SCALARS[f.type.name]
        dv = f.default
        if dv is None:
            return False if kind == 'bool' else (0.0 if kind == 'float' else 0)
        typ, text, tok = dv
        where = f.where
        if typ == 'id' and text == 'null':
            raise FbsError(where, 'optional scalars (= null) are not '
                           'supported')
        if kind == 'bool':
            if text in ('true', 'false'):
                return text == 'true'
            if typ == 'num' and text in ('0', '1'):
                return text == '1'
            raise FbsError(where, 'bad bool default "%s"' % text)
        if kind == 'float':
            low = text.lower().lstrip('+')
            if low in ('inf', 'infinity'):
                return math.inf
            if low in ('-inf', '-infinity'):
                return -math.inf
            if low in ('nan', '-nan'):
                return math.nan
            if typ != 'num':
                raise FbsError(where, 'bad float default "%s"' % text)
            try:
                return float(int(text, 0)) if re.match(r'[-+]?0[xX]', text) \
                    else float(text)
            except ValueError:
                raise FbsError(where, 'bad float default "%s"' % text)
        if typ != 'num' or not re.match(r'^[-+]?(0[xX][0-9a-fA-F]+|\d+)$', text):
            raise FbsError(where, 'bad integer default "%s"' % text)
        v = parse_int(text, where)
        lo, hi = int_range(kind, size)
        if not lo <= v <= hi:
            raise FbsError(where, 'default %d out of range for %s'
                           % (v, f.type.name))
        return v

    def enum_default(self, f):
        e = f.type.decl
        dv = f.default
        if dv is None:
            v = 0
        elif dv[0] == 'num':
            v = parse_int(dv[1], f.where)
        else:
            names = dv[1].split() if dv[0] == 'str' else [dv[1].split('.')[-1]]
            v = 0
            for n in names:
                m = [x for x in e.fields if x.name == n]
                if not m:
                    raise FbsError(f.where, '"%s" is not a value of enum "%s"'
                                   % (n, e.name))
                v |= m[0].value
            return v
        if e.bit_flags:
            mask = 0
            for x in e.fields:
                mask |= x.value
            if v & ~mask:
                raise FbsError(f.where, 'default %d is not made of the flags '
                               'of "%s"' % (v, e.name))
        elif v not in [x.value for x in e.fields]:
            raise FbsError(f.where, 'default %d of field "%s" is not a value '
                           'of enum "%s" (give a default)' % (v, f.name, e.name))
        return v


def c_comment(doc, indent=''):
    if not doc:
        return []
    lines = [l.replace('*/', '* /') for l in doc]
    if len(lines) == 1:
        return [indent + '/* ' + lines[0] + ' */']
    out = [indent + '/*']
    out += [indent + ' * ' + l if l else indent + ' *' for l in lines]
    out.append(indent + ' */')
    return out


def c_member(name):
    return name + '_' if name in C_KEYWORDS else name


def c_literal(value, kind, size, ctype):
    """A C literal of a default value."""
    if kind == 'bool':
        return 'true' if value else 'false'
    if kind == 'float':
        if math.isnan(value):
            return 'NAN'
        if math.isinf(value):
            return 'INFINITY' if value > 0 else '-INFINITY'
        r = repr(float(value))
        if 'e' not in r and '.' not in r:
            r += '.0'
        return r + ('f' if size == 4 else '')
    if size == 8:
        if kind == 'uint':
            return 'UINT64_C(%d)' % value
        if value == -(1 << 63):
            return '(-INT64_C(9223372036854775807) - 1)'
        return 'INT64_C(%d)' % value
    if size == 4:
        if kind == 'uint':
            return '%du' % value
        if value == -(1 << 31):
            return '(-2147483647 - 1)'
    return str(value)


class Gen:
    def __init__(self, schema, info):
        self.s = schema
        self.info = info
        self.out = []
        self.names = {}       # C ordinary identifiers -> where

    def w(self, *lines):
        self.out.extend(lines)

    def claim(self, name, where):
        old = self.names.get(name)
        if old:
            raise FbsError(where, 'generated C name "%s" clashes with the '
                           'one for %s:%d' % (name, old[0], old[1]))
        self.names[name] = where

    # --- types -----------------------------------------------------------

    def ctype(self, ty):
        if ty.kind == 'scalar':
            return SCALARS[ty.name][0]
        if ty.kind in ('enum', 'union'):
            return ty.decl.ctype
        if ty.kind == 'struct':
            return 'struct ' + ty.decl.c
        raise AssertionError(ty.kind)

    def member_ctype(self, ty):
        """C type of a struct member: bool is stored as uint8_t."""
        if ty.kind == 'scalar' and ty.name == 'bool':
            return 'uint8_t'
        return self.ctype(ty)

    def scalar_info(self, ty):
        """(C type, size, kind) of a scalar or enum type."""
        if ty.kind == 'scalar':
            return SCALARS[ty.name]
        return ty.decl.ctype, ty.decl.size, ty.decl.skind

    # --- enums -----------------------------------------------------------

    def enum(self, d):
        c = d.c
        self.w(*c_comment(d.doc))
        self.w('enum %s {' % c)
        for v in d.fields:
            self.claim('%s_%s' % (c, v.name), v.where)
            self.w(*c_comment(v.doc, '\t'))
            lit = c_literal(v.value, d.skind, d.size, d.ctype)
            if d.size == 8 or (d.skind == 'uint' and v.value > 0x7fffffff):
                lit = str(v.value)  # enum constants cannot use INT64_C
                if d.skind == 'uint':
                    lit += 'u'
            self.w('\t%s_%s = %s,' % (c, v.name, lit))
        self.w('};', '')
        argt = {('uint', 8): 'uint64_t', ('int', 8): 'int64_t'}.get(
            (d.skind, d.size), 'unsigned' if d.skind == 'uint' else 'int')
        self.claim(c + '_name', d.where)
        self.claim(c + '_is_known', d.where)
        self.w('/* The value\'s name, NULL if it has none. */')
        self.w('static inline const char *%s_name(%s v)' % (c, argt), '{',
               '\tswitch (v) {')
        for v in d.fields:
            self.w('\tcase %s_%s:' % (c, v.name), '\t\treturn "%s";' % v.name)
        self.w('\tdefault:', '\t\treturn NULL;', '\t}', '}', '')
        if d.bit_flags:
            mask = 0
            for v in d.fields:
                mask |= v.value
            self.w('/* Is v made only of the declared flags? */')
            self.w('static inline int %s_is_known(%s v)' % (c, argt), '{',
                   '\treturn (v & ~(%s)%s) == 0;' % (argt, c_literal(
                       mask, 'uint', d.size, d.ctype)), '}', '')
        else:
            self.w('static inline int %s_is_known(%s v)' % (c, argt), '{',
                   '\treturn %s_name(v) != NULL;' % c, '}', '')

    # --- structs ---------------------------------------------------------

    def struct(self, d):
        c = d.c
        self.w(*c_comment(d.doc))
        self.w('struct %s {' % c)
        npad = 0
        for f in d.fields:
            if f.pad_before:
                self.w('\tuint8_t __pad%d[%d];' % (npad, f.pad_before))
                npad += 1
            self.w(*c_comment(f.doc, '\t'))
            ty = f.type
            if ty.kind == 'array':
                self.w('\t%s %s[%d];' % (self.member_ctype(ty.elem),
                                         c_member(f.name), ty.length))
            else:
                self.w('\t%s %s;' % (self.member_ctype(ty), c_member(f.name)))
        if d.tail_pad:
            self.w('\tuint8_t __pad%d[%d];' % (npad, d.tail_pad))
        # packed: the layout is already explicit, and a struct inside a
        # buffer whose start is not 8-byte aligned (nng's REQ/REP bodies
        # are 4 mod 8) is then still read without undefined behaviour
        self.w('} __attribute__((packed));', '')
        self.w('_Static_assert(sizeof(struct %s) == %d, "%s layout");'
               % (c, d.size, d.name), '')

    # --- table readers ---------------------------------------------------

    def fn(self, ret, name, args, body, where, doc=None):
        self.claim(name, where)
        if doc:
            self.w(*c_comment(doc))
        self.w('static inline %s%s%s(%s)' % (ret, '' if ret.endswith('*')
                                              else ' ', name, args), '{')
        self.w(*['\t' + l if l else '' for l in body])
        self.w('}', '')

    def reader(self, d):
        c = d.c
        targ = 'const struct %s *t' % c
        for f in d.fields:
            fc = '%s_%s' % (c, f.name)
            ty, s, wh = f.type, f.slot, f.where
            k = ty.kind
            doc = f.doc
            if k in ('scalar', 'enum'):
                ctype, size, kind = self.scalar_info(ty)
                rd = READERS[(kind, size)]
                dflt = c_literal(f.value, kind, size, ctype)
                self.fn(ctype, fc, targ,
                        ['const uint8_t *p = fb_field(t, %d);' % s, '',
                         'return p ? %s(p) : %s;' % (rd, dflt)], wh, doc)
            elif k == 'struct':
                self.fn('const struct %s *' % ty.decl.c, fc, targ,
                        ['return (const struct %s *)fb_field(t, %d);'
                         % (ty.decl.c, s)], wh, doc)
            elif k == 'string':
                self.fn('const char *', fc, targ,
                        ['return fb_field_string(t, %d);' % s], wh, doc)
                self.fn('size_t', fc + '_len', targ,
                        ['return fb_vec_len(fb_field_ref(t, %d));' % s], wh)
            elif k == 'table':
                self.fn('const struct %s *' % ty.decl.c, fc, targ,
                        ['return (const struct %s *)fb_field_ref(t, %d);'
                         % (ty.decl.c, s)], wh, doc)
            elif k == 'union':
                u = ty.decl
                self.fn('uint8_t', fc + '_type', targ,
                        ['const uint8_t *p = fb_field(t, %d);' % (s - 1), '',
                         'return p ? fb_read_u8(p) : 0;'], wh, doc)
                self.fn('const void *', fc, targ,
                        ['return fb_field_ref(t, %d);' % s], wh)
                for m in u.fields[1:]:
                    mc = m.type.decl.c
                    self.fn('const struct %s *' % mc, '%s_as_%s' % (fc, m.name),
                            targ,
                            ['if (%s_type(t) != %s_%s)' % (fc, u.c, m.name),
                             '\treturn NULL;',
                             'return (const struct %s *)fb_field_ref(t, %d);'
                             % (mc, s)], wh)
            elif k == 'vector':
                self.vector_reader(fc, targ, f)
            else:
                raise AssertionError(k)
            if k != 'union':
                self.fn('int', fc + '_is_present', targ,
                        ['return fb_field_offset(t, %d) != 0;' % s], wh)

    def vector_reader(self, fc, targ, f):
        ty, s, wh = f.type.elem, f.slot, f.where
        k = ty.kind
        iarg = targ + ', size_t i'
        self.fn('size_t', fc + '_len', targ,
                ['return fb_vec_len(fb_field_ref(t, %d));' % s], wh, f.doc)
        if k in ('scalar', 'enum'):
            ctype, size, kind = self.scalar_info(ty)
            rd = READERS[(kind, size)]
            zero = c_literal(False if kind == 'bool' else 0, kind, size, ctype)
            self.fn(ctype, fc + '_at', iarg,
                    ['const uint8_t *p = fb_vec_at(fb_field_ref(t, %d), i, %d);'
                     % (s, size), '',
                     'return p ? %s(p) : %s;' % (rd, zero)], wh)
        elif k == 'struct':
            sc = ty.decl.c
            self.fn('const struct %s *' % sc, fc, targ,
                    ['const uint8_t *v = fb_field_ref(t, %d);' % s, '',
                     'return v ? (const struct %s *)(v + 4) : NULL;' % sc], wh)
            self.fn('const struct %s *' % sc, fc + '_at', iarg,
                    ['return (const struct %s *)fb_vec_at(fb_field_ref(t, %d), '
                     'i,' % (sc, s),
                     '\t\t\t\t\t\tsizeof(struct %s));' % sc], wh)
        elif k == 'table':
            tc = ty.decl.c
            self.fn('const struct %s *' % tc, fc + '_at', iarg,
                    ['return (const struct %s *)fb_vec_ref_at(fb_field_ref(t, '
                     '%d), i);' % (tc, s)], wh)
        elif k == 'string':
            self.fn('const char *', fc + '_at', iarg,
                    ['const uint8_t *p = fb_vec_ref_at(fb_field_ref(t, %d), i);'
                     % s, '', 'return p ? (const char *)p + 4 : NULL;'], wh)
        else:
            raise AssertionError(k)

    # --- verifiers -------------------------------------------------------

    def verifier(self, d):
        c = d.c
        body = []
        need = set()
        for f in d.fields:
            ty, s, n = f.type, f.slot, f.name
            k = ty.kind
            if k in ('scalar', 'enum'):
                size = self.scalar_info(ty)[1]
                body += ['r = fb_verify_field(v, &t, %d, %d, %d, "%s", &p);'
                         % (s, size, size, n), 'if (r)', '\treturn r;']
                need.add('p')
            elif k == 'struct':
                body += ['r = fb_verify_field(v, &t, %d, %d, %d, "%s", &p);'
                         % (s, ty.decl.size, ty.decl.align, n),
                         'if (r)', '\treturn r;']
                need.add('p')
            elif k == 'string':
                body += ['r = fb_verify_string_field(v, &t, %d, "%s", &p);'
                         % (s, n), 'if (r)', '\treturn r;']
                need.add('p')
            elif k == 'table':
                body += ['r = fb_verify_ref_field(v, &t, %d, "%s", &p);'
                         % (s, n),
                         'if (!r && p)',
                         '\tr = %s__verify(v, p);' % ty.decl.c,
                         'if (r)', '\treturn r;']
                need.add('p')
            elif k == 'union':
                u = ty.decl
                body += ['r = fb_verify_union(v, &t, %d, "%s_type", "%s", '
                         '&type, &p);' % (s - 1, n, n),
                         'if (r)', '\treturn r;',
                         'switch (type) {', 'case 0:', '\tbreak;']
                for m in u.fields[1:]:
                    body += ['case %s_%s:' % (u.c, m.name),
                             '\tfb_verify_member(v, "%s");' % m.name,
                             '\tr = %s__verify(v, p);' % m.type.decl.c,
                             '\tif (r)', '\t\treturn r;', '\tbreak;']
                body += ['default:',
                         '\treturn fb_verify_fail(v, "unknown union type %u",'
                         ' type);', '}']
                need.update(('p', 'type'))
            elif k == 'vector':
                e = ty.elem
                ek = e.kind
                if ek == 'string':
                    body += ['r = fb_verify_string_vector_field(v, &t, %d, '
                             '"%s");' % (s, n), 'if (r)', '\treturn r;']
                elif ek == 'table':
                    body += ['r = fb_verify_vector_field(v, &t, %d, "%s", 4, '
                             '4, &p, &n);' % (s, n), 'if (r)', '\treturn r;',
                             'for (uint32_t i = 0; i < n; i++) {',
                             '\tfb_verify_index(v, i);',
                             '\tr = fb_verify_ref(v, p + 4 + 4 * i, &e);',
                             '\tif (!r)',
                             '\t\tr = %s__verify(v, e);' % e.decl.c,
                             '\tif (r)', '\t\treturn r;', '}']
                    need.update(('p', 'n', 'e'))
                else:
                    if ek == 'struct':
                        size, align = e.decl.size, e.decl.align
                    else:
                        size = align = self.scalar_info(e)[1]
                    body += ['r = fb_verify_vector_field(v, &t, %d, "%s", %d, '
                             '%d, &p, &n);' % (s, n, size, align),
                             'if (r)', '\treturn r;']
                    need.update(('p', 'n'))
            if 'required' in f.attrs:
                body += ['r = fb_verify_required(v, &t, %d, "%s");' % (s, n),
                         'if (r)', '\treturn r;']
        decls = ['struct fb_vtable t;']
        u32 = [x for x in ('p', 'n', 'e') if x in need]
        if u32:
            decls.append('uint32_t %s;' % ', '.join(u32))
        if 'type' in need:
            decls.append('uint8_t type;')
        decls.append('int r;')
        body = decls + ['', 'r = fb_verify_table_enter(v, pos, &t);', 'if (r)',
                        '\treturn r;'] + body + ['fb_verify_table_leave(v);',
                                                 'return 0;']
        self.fn('int', c + '__verify',
                'struct fb_verifier *v, uint32_t pos', body, d.where)

    # --- builders --------------------------------------------------------

    def builder(self, d):
        c = d.c
        b = 'struct fb_builder *b'
        wh = d.where
        self.fn('void', c + '_start', b,
                ['fb_table_start(b, %d);' % d.nslots], wh,
                ['Start building a %s; add its fields, then %s_end().'
                 % (d.name, c)])
        for f in d.fields:
            fc = '%s_add_%s' % (c, f.name)
            ty, s, wh = f.type, f.slot, f.where
            k = ty.kind
            if k in ('scalar', 'enum'):
                ctype, size, kind = self.scalar_info(ty)
                dflt = c_literal(f.value, kind, size, ctype)
                if kind == 'bool':
                    body = ['if (v != %s)' % dflt,
                            '\tfb_table_add_u8(b, %d, v);' % s]
                elif size == 1:
                    body = ['if (v != %s)' % dflt,
                            '\tfb_table_add_u8(b, %d, (uint8_t)v);' % s]
                else:
                    body = ['if (v != %s)' % dflt,
                            '\tfb_table_add_scalar(b, %d, &v, %d);' % (s, size)]
                self.fn('void', fc, '%s, %s v' % (b, ctype), body, wh)
            elif k == 'struct':
                sc = ty.decl.c
                self.fn('void', fc, '%s, const struct %s *v' % (b, sc),
                        ['if (v)',
                         '\tfb_table_add_struct(b, %d, v, sizeof(*v), %d);'
                         % (s, ty.decl.align)], wh)
            elif k == 'union':
                u = ty.decl
                for m in u.fields[1:]:
                    self.fn('void', '%s_%s' % (fc, m.name), '%s, uint32_t ref'
                            % b, ['if (!ref)', '\treturn;',
                                  'fb_table_add_u8(b, %d, %s_%s);'
                                  % (s - 1, u.c, m.name),
                                  'fb_table_add_ref(b, %d, ref);' % s], wh)
                # any member by its type value (callers that dispatch);
                # an unknown type is a sticky -EINVAL at _end()
                self.fn('void', fc, '%s, uint8_t type, uint32_t ref' % b,
                        ['if (!ref || type == 0)', '\treturn;',
                         'if (!%s_is_known(type)) {' % u.c,
                         '\tfb_builder_fail(b, -EINVAL);', '\treturn;', '}',
                         'fb_table_add_u8(b, %d, type);' % (s - 1),
                         'fb_table_add_ref(b, %d, ref);' % s], wh)
            else:
                self.fn('void', fc, '%s, uint32_t ref' % b,
                        ['fb_table_add_ref(b, %d, ref);' % s], wh)
            if k == 'vector' and ty.elem.kind in ('scalar', 'enum', 'struct'):
                e = ty.elem
                if e.kind == 'struct':
                    et = 'struct ' + e.decl.c
                    align = e.decl.align
                else:
                    et, size, _ = self.scalar_info(e)
                    align = size
                vc = '%s_%s' % (c, f.name)
                self.fn('uint32_t', vc + '_create',
                        '%s, const %s *v, size_t n' % (b, et),
                        ['return fb_create_vector(b, v, n, sizeof(*v), %d);'
                         % align], wh)
                self.fn('%s *' % et, vc + '_alloc',
                        '%s, size_t n, uint32_t *ret_ref' % b,
                        ['return (%s *)fb_vector_alloc(b, n, sizeof(%s), %d, '
                         'ret_ref);' % (et, et, align)], wh)
        body = ['fb_table_require(b, %d);' % f.slot for f in d.fields
                if 'required' in f.attrs]
        self.fn('uint32_t', c + '_end', b, body + ['return fb_table_end(b);'],
                d.where)

    def roots(self, d):
        c = d.c
        wh = d.where
        ident = self.info.ident
        self.fn('const struct %s *' % c, c + '_root', 'const void *buf',
                ['return (const struct %s *)fb_root(buf);' % c], wh,
                ['The %s at the root of buf (verify it first).' % d.name])
        if ident is not None:
            lit = '"%s"' % ident.replace('\\', '\\\\').replace('"', '\\"')
            self.fn('int', c + '_has_identifier',
                    'const void *buf, size_t len',
                    ['return fb_has_identifier(buf, len, %s);' % lit], wh)
        else:
            lit = 'NULL'
        self.fn('int', c + '_verify',
                'const void *buf, size_t len, char *err, size_t errlen',
                ['struct fb_verifier v;', 'uint32_t root;', 'int r;', '',
                 'r = fb_verify_begin(&v, buf, len, err, errlen, "%s", &root);'
                 % d.name, 'if (r)', '\treturn r;',
                 'return %s__verify(&v, root);' % c], wh,
                ['Verify buf as a %s root: 0 or -EBADMSG with the reason in '
                 'err.' % d.name])
        self.fn('int', c + '_finish', 'struct fb_builder *b, uint32_t root',
                ['return fb_builder_finish(b, root, %s);' % lit], wh,
                ['Finish with %s root: 0 or the builder\'s error.' % d.name])

    # --- file ------------------------------------------------------------

    def run(self, src_name):
        info = self.info
        base = os.path.splitext(os.path.basename(info.path))[0]
        guard = 'FBGEN_%s_FB_H' % re.sub(r'\W', '_', base).upper()
        decls = info.decls
        enums = [d for d in decls if d.kind == 'enum']
        unions = [d for d in decls if d.kind == 'union']
        tables = [d for d in decls if d.kind == 'table']
        structs = []

        def visit(d):
            if d in structs or d.file != info.path:
                return
            for f in d.fields:
                t = f.type.elem if f.type.kind == 'array' else f.type
                if t.kind == 'struct':
                    visit(t.decl)
            structs.append(d)
        for d in decls:
            if d.kind == 'struct':
                visit(d)

        # reserve the names of every included file's declarations
        self.claim_included(info, set())

        self.w('/* SPDX-License-Identifier: GPL-2.0-only */',
               '/* Generated by schema/fbgen.py from %s: do not edit. */'
               % src_name, '#ifndef ' + guard, '#define ' + guard, '',
               '#include <math.h>', '', '#include "fb.h"')
        for inc in info.includes:
            self.w('#include "%s_fb.h"'
                   % os.path.splitext(os.path.basename(inc.path))[0])
        self.w('')
        for d in enums + unions:
            self.enum(d)
        for d in structs:
            self.struct(d)
        for d in tables:
            self.w(*c_comment(d.doc))
            self.w('struct %s;' % d.c, '')
        for d in tables:
            self.w('/* %s readers */' % d.name, '')
            self.reader(d)
        self.w('/* verifiers */', '')
        for d in tables:
            self.w('static inline int %s__verify(struct fb_verifier *v, '
                   'uint32_t pos);' % d.c)
        self.w('')
        for d in tables:
            self.verifier(d)
        for d in tables:
            self.w('/* %s builders */' % d.name, '')
            self.builder(d)
        for d in tables:
            self.roots(d)
        self.w('#endif')
        return '\n'.join(self.out) + '\n'

    def claim_included(self, info, seen):
        for inc in info.includes:
            if inc.path in seen:
                continue
            seen.add(inc.path)
            sub = Gen(self.s, inc)
            sub.run(os.path.basename(inc.path))
            for n, wh in sub.names.items():
                if self.names.get(n) != wh:
                    self.claim(n, wh)


def main(argv):
    incdirs, out, src = [], None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == '-I' and args:
            incdirs.append(args.pop(0))
        elif a.startswith('-I') and len(a) > 2:
            incdirs.append(a[2:])
        elif a == '-o' and args:
            out = args.pop(0)
        elif a in ('-h', '--help'):
            print(__doc__.strip())
            return 0
        elif a.startswith('-'):
            print('fbgen.py: unknown option %s' % a, file=sys.stderr)
            return 2
        elif src is None:
            src = a
        else:
            print('fbgen.py: one schema at a time', file=sys.stderr)
            return 2
    if src is None:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema = Schema(incdirs)
    path = os.path.normpath(src)
    try:
        try:
            info = Parser(schema, path, [path]).parse()
        except OSError as e:
            raise FbsError((path, 0), 'cannot read: %s' % e.strerror)
        schema.files[path] = info
        Resolver(schema).run()
        text = Gen(schema, info).run(os.path.basename(path))
    except FbsError as e:
        print('%s:%d: %s' % (e.where[0], e.where[1], e.msg), file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.write(text)
    else:
        tmp = out + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, out)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
