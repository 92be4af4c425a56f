"""IEC 61850 GOOSE: Bollard's --ops against tshark (see README.md here).

GOOSE runs directly over Ethernet (ethertype 0x88B8): PDUs are paired by
source and destination MAC (ops_vs_tshark.py falls back to them when a frame
has no IP).  One <proto name="goose"> per frame.

The data set values (allData) are compared as one canonical list on both
sides: [type, value] per entry, [type, [members]] for arrays and structures,
where value is what both tools show: a boolean or integer as a number, a
bit-string as its bits ('0'/'1', first bit first), a string as text, octets
as hex, a UtcTime as ISO 8601 with nanoseconds.
"""

import calendar
import re
import struct

from .pdml import first, num, show

PROTO = 'goose'
TSHARK_PROTOS = ('goose',)
DISPLAY_FILTER = 'goose'
TSHARK_PREFS = []

# None: the two display limits of tshark 4.0 below (docs/protocols/goose.md, "Differences from
# tshark") are undone on tshark's side, so that every other difference in `data` still shows.
KNOWN_DIFFERENCES = {}

MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}
TSHARK_TIME = re.compile(r'(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{9}) UTC')


def iso(s):
    """tshark's 'Jan  2, 2000 02:46:11.258165836 UTC' as Bollard's '2000-01-02T02:46:11.258165836Z'."""
    m = TSHARK_TIME.fullmatch(s or '')
    if not m:
        return s
    mon, day, year, hh, mm, ss, ns = m.groups()
    return f'{int(year):04}-{MONTHS[mon]:02}-{int(day):02}T{hh}:{mm}:{ss}.{ns}Z'


def _bits(hexstr, padding):
    """tshark's bit-string octets and padding as '0'/'1' text."""
    b = bytes.fromhex(hexstr or '')
    bits = ''.join(f'{x:08b}' for x in b)
    return bits[:len(bits) - padding] if padding else bits


def _single(v):
    """A floating-point value as both tools can show it: tshark prints 6 significant digits."""
    return float('%.6g' % v)


def _children(elem):
    """The goose.Data fields directly inside elem (allData, a structure or an array)."""
    return [f for f in elem.findall('field') if f.get('name') == 'goose.Data']


def _t_data(d):
    kind = d.get('showname', '').split(':', 1)[-1].split('(')[0].strip()
    sub = {f.get('name'): f for f in d.findall('field')}
    if kind in ('structure', 'array'):
        inner = sub.get('goose.' + kind)
        return [kind, [_t_data(x) for x in _children(inner)] if inner is not None else []]
    if kind == 'boolean':
        return [kind, int(sub['goose.boolean'].get('show'))]
    if kind == 'bit-string':
        pad = sub.get('ber.bitstring.padding')
        return [kind, _bits(sub['goose.bit_string'].get('value'), int(pad.get('show')) if pad is not None else 0)]
    if kind in ('integer', 'unsigned', 'bcd'):
        v = int(sub['goose.' + kind].get('show'))
        if kind == 'unsigned' and v < 0:
            v += 1 << 32  # tshark 4.0 shows `unsigned` as an INT32: values above 2^31-1 come out negative
        return [kind, v]
    if kind == 'floating-point':
        if 'goose.float_value' in sub:
            return [kind, _single(float(sub['goose.float_value'].get('show')))]
        octets = bytes.fromhex(sub['goose.floating_point'].get('value'))
        if len(octets) == 9 and octets[0] == 11:
            return [kind, _single(struct.unpack('>d', octets[1:])[0])]  # tshark 4.0 decodes singles only
        return [kind, octets.hex()]
    if kind in ('visible-string', 'mMSString'):
        f = sub.get('goose.visible_string', sub.get('goose.mMSString'))
        return [kind, f.get('show')]
    if kind == 'utc-time':
        return [kind, iso(sub['goose.utc_time'].get('show'))]
    f = next(iter(sub.values()), None)
    return [kind, f.get('value') if f is not None else None]


def tshark_pdus(protos):
    out = []
    for g in protos:
        d = {'appid': num(g, 'goose.appid'), 'length': num(g, 'goose.length'),
             'reserved1': num(g, 'goose.reserve1'), 'reserved2': num(g, 'goose.reserve2'),
             's_bit': num(g, 'goose.reserve1.s_bit')}
        pdu = first(g, 'goose.goosePdu_element')
        if pdu is not None:
            d.update({
                'gocb_ref': show(pdu, 'goose.gocbRef'),
                'time_allowed_to_live': num(pdu, 'goose.timeAllowedtoLive'),
                'dataset': show(pdu, 'goose.datSet'),
                'go_id': show(pdu, 'goose.goID'),
                't': iso(show(pdu, 'goose.t')),
                'st_num': num(pdu, 'goose.stNum'),
                'sq_num': num(pdu, 'goose.sqNum'),
                'simulation': num(pdu, 'goose.simulation'),
                'conf_rev': num(pdu, 'goose.confRev'),
                'nds_com': num(pdu, 'goose.ndsCom'),
                'num_dataset_entries': num(pdu, 'goose.numDatSetEntries'),
            })
            all_data = first(pdu, 'goose.allData')
            if all_data is not None:
                d['data'] = [_t_data(x) for x in _children(all_data)]
                d['data_count'] = len(d['data'])
        out.append(d)
    return out


def _b_data(e):
    kind = e.get('type')
    if kind in ('structure', 'array'):
        return [kind, [_b_data(x) for x in e.get('items', [])]]
    if kind == 'bit-string':
        return [kind, e.get('bits')]
    if kind in ('visible-string', 'mms-string'):
        return ['visible-string' if kind == 'visible-string' else 'mMSString', e.get('text')]
    if kind == 'utc-time':
        return [kind, e.get('time')]
    if kind == 'floating-point' and e.get('value') is not None:
        return [kind, _single(e['value'])]
    if 'value' in e:
        v = e['value']
        return [kind, int(v) if isinstance(v, bool) else v]
    return [kind, e.get('hex')]


def bollard_pdu(op):
    g = op['goose']
    keys = ('appid', 'length', 'reserved1', 'reserved2', 's_bit', 'gocb_ref', 'time_allowed_to_live', 'dataset',
            'go_id', 't', 'st_num', 'sq_num', 'simulation', 'conf_rev', 'nds_com', 'num_dataset_entries')
    d = {k: g.get(k) for k in keys}
    if 'data' in g:
        d['data_count'] = g.get('data_count', len(g['data']))
        # A list Bollard cut at its cap (64 values) is compared by its count only.
        if not _cut(g['data']) and 'data_count' not in g:
            d['data'] = [_b_data(x) for x in g['data']]
    return d


def _cut(entries):
    return any('items_count' in e or _cut(e.get('items', [])) for e in entries)
