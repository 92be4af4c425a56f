"""DNP3 (IEEE 1815): Bollard's --ops against tshark's dnp3 dissector.

tshark gives one <proto name="dnp3"> per link frame.  Bollard gives one op
per link-only frame (no user data: link status, reset link...) and one per
application fragment, at the frame that completes it, which is also where
tshark shows the reassembled application layer.  So a tshark PDU is a
link-only frame or a frame that carries dnp3.al.*; the middle segments of a
multi-segment fragment are left out (no op for them by design), and so are
frames whose CRCs fail (Bollard drops their data: IEEE 1815-2012 §9.2.4.2).
"""

from .pdml import fields, first, num

PROTO = 'dnp3'
TSHARK_PROTOS = ('dnp3',)
DISPLAY_FILTER = 'dnp3'
# iti/bro/dnp3/dnp3_read_p20001.pcap runs DNP3 on TCP 20001 (Bollard finds it by content).
TSHARK_PREFS = ['-d', 'tcp.port==20001,dnp3']

LINK_PRM = 0x40
USER_DATA = (3, 4)   # confirmed / unconfirmed user data (Table 9-1)

KNOWN_DIFFERENCES = {}

# The application functions whose object headers tshark 4.0 decodes; for the
# others (ASSIGN_CLASS, authentication, application control...) it shows none.
TSHARK_OBJECT_FUNCTIONS = set(range(1, 13)) | {20, 21, 25, 26, 27, 28, 29, 30, 129, 130}


def _bool(v):
    return None if v is None else int(bool(v))


def _objects(al):
    """The object headers tshark decoded, in order; None when they cannot be compared."""
    out = []
    for obj in fields(al, 'dnp3.al.obj'):
        v = num(obj, 'dnp3.al.obj')
        if v is None:
            v = int(obj.get('show'), 0)
        o = {'group': v >> 8, 'variation': v & 0xff}
        prefix, rng = num(obj, 'dnp3.al.objq.prefix'), num(obj, 'dnp3.al.objq.range')
        if prefix is None or rng is None or first(obj, 'dnp3.unknown_object') is not None:
            return None   # tshark 4.0 stops at an object it does not know (g51 CTO, for one)
        o['qualifier'] = prefix << 4 | rng
        if first(obj, 'dnp3.al.range.abs') is not None:
            return None   # tshark reads range codes 3-5 as one address, 1815-2012 as start and stop
        start, stop, qty = num(obj, 'dnp3.al.range.start'), num(obj, 'dnp3.al.range.stop'), \
            num(obj, 'dnp3.al.range.quantity')
        if start is not None and stop is not None:
            o['start'], o['stop'] = start, stop
        elif qty is not None:
            o['count'] = qty
        out.append(o)
    return out


def tshark_pdus(protos):
    out = []
    for p in protos:
        ctl = num(p, 'dnp3.ctl')
        if ctl is None or first(p, 'dnp3.hdr.CRC.incorrect') is not None:
            continue  # framing lost: Bollard resynchronises, no op
        fc = ctl & 0x0f
        user_data = bool(ctl & LINK_PRM) and fc in USER_DATA and (num(p, 'dnp3.len') or 0) > 5
        if user_data and first(p, 'dnp3.data_chunk.CRC.incorrect') is not None:
            continue  # a damaged segment: Bollard drops it (and its fragment)
        d = {
            'link_src': num(p, 'dnp3.src'),
            'link_dst': num(p, 'dnp3.dst'),
            'link_function': fc,
            'link_dir': _bool(ctl & 0x80),
            'link_prm': _bool(ctl & LINK_PRM),
        }
        if user_data:
            if first(p, 'dnp3.al.func') is None:
                continue  # a segment that does not complete a fragment
            d['transport_fin'] = num(p, 'dnp3.tr.fin')
            d['transport_fir'] = num(p, 'dnp3.tr.fir')
            d['transport_seq'] = num(p, 'dnp3.tr.seq')
            d['transport_segments'] = num(p, 'dnp3.al.fragment.count')
            d['fragment_len'] = num(p, 'dnp3.al.fragment.reassembled.length')
            d['app_fir'] = num(p, 'dnp3.al.fir')
            d['app_fin'] = num(p, 'dnp3.al.fin')
            d['app_con'] = num(p, 'dnp3.al.con')
            d['app_uns'] = num(p, 'dnp3.al.uns')
            d['app_seq'] = num(p, 'dnp3.al.seq')
            d['app_function'] = num(p, 'dnp3.al.func')
            d['iin'] = num(p, 'dnp3.al.iin')
            if d['app_function'] in TSHARK_OBJECT_FUNCTIONS:
                d['objects'] = _objects(p)
        out.append(d)
    return out


def bollard_pdu(op):
    b = op.get('dnp3', {})
    d = {k: b.get(k) for k in ('link_src', 'link_dst', 'link_function', 'link_dir', 'link_prm',
                               'transport_fin', 'transport_fir', 'transport_seq', 'transport_segments',
                               'fragment_len', 'app_fir', 'app_fin', 'app_con', 'app_uns', 'app_seq',
                               'app_function', 'iin')}
    if 'objects' in b and not b.get('objects_incomplete') and 'objects_count' not in b:
        d['objects'] = [{k: o[k] for k in ('group', 'variation', 'qualifier', 'start', 'stop', 'count') if k in o}
                        for o in b['objects']]
    return d
