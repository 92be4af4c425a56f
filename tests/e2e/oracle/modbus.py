# SPDX-License-Identifier: BSD-3-Clause
"""Oracle mapping for Modbus/TCP (dissectors/modbus.c): Bollard's --ops against
tshark 4.0's mbtcp + modbus dissectors, one MBAP ADU at a time.

tshark writes each ADU as an <proto name="mbtcp"> (the MBAP header) followed
by a <proto name="modbus"> (the PDU); a segment with several ADUs repeats the
pair.  Field names are tshark 4.0's (`tshark -G fields | grep modbus`).

What is compared (docs/protocols/modbus.md lists Bollard's fields):
- MBAP: transaction (mbtcp.trans_id), unit (mbtcp.unit_id).
- function (modbus.func_code: tshark, like Bollard, shows the function of an
  exception response without bit 7) and exception (modbus.exception_code).
- address (modbus.reference_num) and quantity (modbus.word_cnt / bit_cnt)
  where tshark shows them: requests of 1-4, 5, 6, 15, 16, 22, 24 and the
  echoes of 5, 6, 15, 16, 22.  tshark does not repeat a read request's
  address in its response, so Bollard's "from the request" address of a read
  response is not compared (tshark has no key for it).
- byte_count (modbus.byte_cnt; byte_cnt_16 for 24).
- values: registers (modbus.regval_uint16, the default register format) of
  16 requests and 3/4 responses; coils (modbus.bitval) of 1/2 responses.
- value of 5 (modbus.data: ff00 = ON, 0000 = OFF) and 6 (modbus.data).
- and_mask/or_mask (22); read/write address and quantity (23, modbus.
  read_reference_num ...); sub_function (8, modbus.diagnostic_code); status
  and event_count (11, 12: modbus.ev_status, ev_count), message_count (12);
  fifo_count (24: modbus.word_cnt); file records of 20 and 21 requests
  (modbus.reference_num_32 = file << 16 | record, word_cnt = length).
- device identification (43/14): mei_type, read_device_id, object_id
  (request), conformity_level, more_follows, next_object_id,
  number_of_objects, objects [{id, value}].
- data (hex) of undefined functions and UMAS (modbus.data), and of 17
  (tshark's modbus.data includes the byte count: it is cut off here).

Left out, with the reason:
- values of 15 requests, 23 and 24: tshark shows them as raw modbus.data
  only; the unit tests check Bollard's decoding against the specification.
- values lists Bollard cut at its cap (values_count present): tshark lists
  every coil.
- values of 1/2 responses tshark decodes without their request: it cannot
  know the quantity either (it then lists whole bytes, as Bollard does; both
  are compared only when both have them).
"""

from .pdml import fields, first, num, nums, raw, show

PROTO = 'modbus'
TSHARK_PROTOS = ('mbtcp', 'modbus')
# Captures whose remaining differences are explained in docs/protocols/modbus.md.
EXPLAINED_CAPTURES = {
    'fuzz-72.pcap': 'the flow opens with an MBAP length of 0: not Modbus by content (Bollard), Modbus by port '
                    '(tshark); Bollard reports it unknown with app.other_on_port',
}

DISPLAY_FILTER = 'mbtcp'
# tshark classifies request and response by the server port and knows 502
# only; the port-SCADA scenario runs Modbus on 5020 too.
TSHARK_PREFS = ['-o', 'mbtcp.tcp.port:502,5020']

KNOWN_DIFFERENCES = {}

_REGISTERS_REQ = (16,)
_REGISTERS_RSP = (3, 4)
_BITS_RSP = (1, 2)


def _hex(s):
    return None if s is None else s.replace(':', '').lower()


def _modbus(mb, d):
    fc = num(mb, 'modbus.func_code')
    d['function'] = fc
    exc = num(mb, 'modbus.exception_code')
    if exc is not None:
        d['exception'] = exc
        return
    d['address'] = num(mb, 'modbus.reference_num')
    d['quantity'] = num(mb, 'modbus.word_cnt') if fc != 24 else None
    if d['quantity'] is None:
        d['quantity'] = num(mb, 'modbus.bit_cnt')
    d['byte_count'] = num(mb, 'modbus.byte_cnt_16' if fc == 24 else 'modbus.byte_cnt')
    regs = nums(mb, 'modbus.regval_uint16')
    bits = nums(mb, 'modbus.bitval')
    if regs:
        d['values'] = regs
    elif bits:
        d['values'] = bits
    data = _hex(raw(mb, 'modbus.data'))
    if fc == 5 and data in ('ff00', '0000'):
        d['value'] = int(data == 'ff00')
    elif fc == 6 and data is not None and len(data) == 4:
        d['value'] = int(data, 16)
    elif fc == 17 and data is not None:
        d['data'] = data[2:]
    elif fc == 90 or fc not in (1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43):
        d['data'] = data if data is not None else ''
    d['and_mask'] = num(mb, 'modbus.and_mask')
    d['or_mask'] = num(mb, 'modbus.or_mask')
    d['read_address'] = num(mb, 'modbus.read_reference_num')
    d['read_quantity'] = num(mb, 'modbus.read_word_cnt')
    d['write_address'] = num(mb, 'modbus.write_reference_num')
    d['write_quantity'] = num(mb, 'modbus.write_word_cnt')
    d['sub_function'] = num(mb, 'modbus.diagnostic_code')
    if fc in (11, 12):
        d['status'] = num(mb, 'modbus.ev_status')
        d['event_count'] = num(mb, 'modbus.ev_count')
        d['message_count'] = num(mb, 'modbus.ev_msg_count')
    if fc == 24:
        d['fifo_count'] = num(mb, 'modbus.word_cnt')
    if fc in (20, 21) and first(mb, 'modbus.reference_num_32') is not None:
        refs = nums(mb, 'modbus.reference_num_32')
        lens = nums(mb, 'modbus.word_cnt')
        if len(refs) == len(lens):
            d['records'] = [{'file': r >> 16, 'record': r & 0xffff, 'length': n} for r, n in zip(refs, lens)]
    if fc == 43:
        d['mei_type'] = num(mb, 'modbus.mei')
        d['read_device_id'] = num(mb, 'modbus.read_device_id')
        d['conformity_level'] = num(mb, 'modbus.conformity_level')
        mf = num(mb, 'modbus.more_follows')
        d['more_follows'] = None if mf is None else int(mf != 0)
        d['next_object_id'] = num(mb, 'modbus.next_object_id')
        d['number_of_objects'] = num(mb, 'modbus.num_objects')
        ids = nums(mb, 'modbus.object_id')
        if d['number_of_objects'] is None:
            d['object_id'] = ids[0] if ids else None
        else:
            vals = [f.get('show') for f in fields(mb, 'modbus.object_str_value')]
            if len(vals) == len(ids):
                d['objects'] = [{'id': i, 'value': v} for i, v in zip(ids, vals)]


def tshark_pdus(protos):
    out = []
    d = None
    for p in protos:
        if p.get('name') == 'mbtcp':
            d = {'transaction': num(p, 'mbtcp.trans_id'), 'unit': num(p, 'mbtcp.unit_id')}
            out.append(d)
        elif p.get('name') == 'modbus' and d is not None:
            _modbus(p, d)
    return out


def bollard_pdu(op):
    m = op.get('modbus', {})
    fc = m.get('function')
    d = {'transaction': m.get('transaction'), 'unit': m.get('unit'), 'function': fc}
    if 'exception' in m:
        d['exception'] = m['exception']
        return d
    response = op.get('dir') == 'response'
    for k in ('quantity', 'byte_count', 'value', 'and_mask', 'or_mask', 'read_address', 'read_quantity',
              'write_address', 'write_quantity', 'sub_function', 'status', 'event_count', 'message_count',
              'fifo_count', 'mei_type', 'read_device_id', 'conformity_level', 'more_follows', 'next_object_id',
              'number_of_objects', 'objects', 'object_id'):
        d[k] = m.get(k)
    # a read response's address and quantity come from its request; tshark shows neither there
    if not (response and fc in (1, 2, 3, 4, 23, 24)):
        d['address'] = m.get('address')
    else:
        d['quantity'] = None
    if response and fc == 23:
        d['read_address'] = d['read_quantity'] = None
    if 'values_count' not in m and ((not response and fc in _REGISTERS_REQ) or
                                    (response and fc in _REGISTERS_RSP + _BITS_RSP)):
        d['values'] = m.get('values')
    if fc == 17 or fc == 90 or fc not in (1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 20, 21, 22, 23, 24, 43):
        d['data'] = m.get('data')
    if fc in (20, 21) and 'records' in m and 'records_count' not in m:
        d['records'] = [{k: r.get(k) for k in ('file', 'record', 'length')} for r in m['records']
                        if 'file' in r] or None
    return d
