"""IEC 60870-5-104: Bollard's --ops against tshark (see README.md here).

tshark writes one <proto name="iec60870_104"> element per APDU and, for an
I format, an <proto name="iec60870_asdu"> element right after it.  Each APCI
element starts a PDU; its ASDU element, if any, belongs to it.

tshark 4.0 also reads an "APDU" wherever 0x68 appears after bytes that are
not IEC 104 (its element then holds an iec60870_104.data field with the junk).
Bollard resynchronises there only if its probe accepts a whole valid APDU
(dissectors/iec104.c, valid_apdu), so such tshark PDUs are kept only when they
pass the same checks; otherwise the n-th PDUs of a direction would no longer
line up.
"""

from .pdml import fields, first, num, nums

PROTO = 'iec104'
TSHARK_PROTOS = ('iec60870_104', 'iec60870_asdu')
DISPLAY_FILTER = 'iec60870_104'
TSHARK_PREFS = []

APCI = {0: 'i', 1: 's', 3: 'u'}
U_FUNCTIONS = {1: 'startdt_act', 2: 'startdt_con', 4: 'stopdt_act', 8: 'stopdt_con',
               16: 'testfr_act', 32: 'testfr_con'}

# Type ids and causes IEC 60870-5-101/104 define (the probe's lists).
KNOWN_TYPES = (set(range(1, 22)) | set(range(30, 41)) | set(range(45, 52)) | set(range(58, 65)) | {70} |
               set(range(100, 108)) | set(range(110, 114)) | set(range(120, 128)))
KNOWN_CAUSES = set(range(1, 14)) | set(range(20, 42)) | set(range(44, 48))

# No waivers: a U format with several function bits is 'invalid' on both sides here.
KNOWN_DIFFERENCES = {}


def _apdu_len(apci):
    return num(apci, 'iec60870_104.apdulen')


def _plausible(apci, asdu):
    """The checks Bollard's probe makes before it resynchronises on an APDU."""
    length = _apdu_len(apci)
    kind = num(apci, 'iec60870_104.type')
    if length is None or kind is None or not 4 <= length <= 253:
        return False
    if kind == 0:
        if length < 10 or asdu is None:
            return False
        typeid = num(asdu, 'iec60870_asdu.typeid')
        cause = num(asdu, 'iec60870_asdu.causetx')
        numix = num(asdu, 'iec60870_asdu.numix')
        return typeid in KNOWN_TYPES and cause in KNOWN_CAUSES and bool(numix)
    if length != 4:
        return False
    if kind == 3:
        return num(apci, 'iec60870_104.utype') in U_FUNCTIONS
    return True


def tshark_pdus(protos):
    pdus = []
    for elem in protos:
        if elem.get('name') == 'iec60870_104':
            pdus.append([elem, None])
        elif pdus and pdus[-1][1] is None:
            pdus[-1][1] = elem
    out = []
    for apci, asdu in pdus:
        length = _apdu_len(apci)
        kind = num(apci, 'iec60870_104.type')
        if length is None or kind is None or length < 4 or length > 253:
            continue  # bytes tshark could not frame: Bollard drops them (iec104.bad_length, app.resync)
        if first(apci, 'iec60870_104.data') is not None and not _plausible(apci, asdu):
            continue  # after junk: Bollard's resynchronisation skips what its probe rejects
        d = {'apci': APCI.get(kind)}
        if kind == 3:
            utype = num(apci, 'iec60870_104.utype')
            d['u_function'] = U_FUNCTIONS.get(utype, 'invalid')
        if kind == 0:
            d['send_seq'] = num(apci, 'iec60870_104.tx')
        if kind in (0, 1):
            d['recv_seq'] = num(apci, 'iec60870_104.rx')
        if asdu is not None:
            d['typeid'] = num(asdu, 'iec60870_asdu.typeid')
            d['sq'] = num(asdu, 'iec60870_asdu.sq')
            d['num_objects'] = num(asdu, 'iec60870_asdu.numix')
            d['cot'] = num(asdu, 'iec60870_asdu.causetx')
            d['negative'] = num(asdu, 'iec60870_asdu.nega')
            d['test'] = num(asdu, 'iec60870_asdu.test')
            d['originator'] = num(asdu, 'iec60870_asdu.oa')
            d['ca'] = num(asdu, 'iec60870_asdu.addr')
            # tshark decodes the objects of the types it knows; with an undefined type it shows none.
            ioas = nums(asdu, 'iec60870_asdu.ioa')
            d['ioas'] = ioas if d['typeid'] in KNOWN_TYPES and fields(asdu, 'iec60870_asdu.ioa') else None
        out.append(d)
    return out


def _int(v):
    return None if v is None else int(v)


def bollard_pdu(op):
    f = op.get('iec104', {})
    d = {'apci': f.get('apci'), 'u_function': f.get('u_function'),
         'send_seq': f.get('send_seq'), 'recv_seq': f.get('recv_seq')}
    if f.get('apci') == 'i' and 'typeid' in f:
        d.update({
            'typeid': f.get('typeid'),
            'sq': _int(f.get('sq')),
            'num_objects': f.get('num_objects'),
            'cot': f.get('cot'),
            'negative': _int(f.get('negative')),
            'test': _int(f.get('test')),
            'originator': f.get('originator'),
            'ca': f.get('ca'),
            # A list Bollard cut at its cap is not compared.
            'ioas': None if 'ioas_count' in f else f.get('ioas'),
        })
    return d
