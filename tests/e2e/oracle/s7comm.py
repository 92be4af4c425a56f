# SPDX-License-Identifier: BSD-3-Clause
"""Oracle mapping for S7comm (dissectors/s7comm.c): Bollard's --ops against
tshark 4.0's s7comm dissector, one S7 PDU (one TPKT with COTP EOT) at a time.

What is compared: the TPKT length and COTP type of the TPDU that completed the
PDU, the S7 header, the function, setup parameters, read/write items (address
part and data part), block control file names, PI service names, userdata
group/subfunction/sequence and SZL id/index.  docs/protocols/s7comm.md lists
the fields.

Left out, with the reason:
- COTP connection TPDUs (CR, CC, DR...): tshark decodes them on every
  ISO-on-TCP flow (MMS, RDP too) while Bollard reports them only on S7 flows,
  so pairing them would count every MMS connect as a miss.  The unit tests
  check them against tshark's decode of the same frames.
- S7comm-plus PDUs (protocol id 0x72): tshark 4.0 has no S7comm-plus
  dissector (`tshark -G protocols | grep -i s7` lists s7comm only).
- COTP fragments (DT without EOT): Bollard reports the reassembled PDU once,
  at the DT that ends it, as tshark does.
"""

from .pdml import fields, first, num, show

PROTO = 's7comm'
ALSO_PROTOS = ('s7comm-plus',)  # an S7comm PDU on a flow named s7comm-plus is still S7comm
TSHARK_PROTOS = ('tpkt', 'cotp', 's7comm')
DISPLAY_FILTER = 's7comm'
TSHARK_PREFS = []

# Return codes for which tshark reads the item's transport size and length
# (s7comm_decode_response_read_data); for the others it shows the previous
# item's values, so those two keys are not compared.
_RC_WITH_HEAD = (0x00, 0x0A, 0xFF)
_BLOCK_CONTROL = range(0x1A, 0x20)
_S7ANY_KEYS = ('syntax_id', 'transport_size', 'length', 'db', 'area', 'address')

KNOWN_DIFFERENCES = {}


def _int_or_none(s):
    try:
        return int(s, 10)
    except (TypeError, ValueError):
        return None


def _param_items(s7):
    out = []
    for it in fields(s7, 's7comm.param.item'):
        d = {'syntax_id': num(it, 's7comm.param.item.syntaxid')}
        if d['syntax_id'] == 0x10:
            d.update(transport_size=num(it, 's7comm.param.item.transp_size'),
                     length=num(it, 's7comm.param.item.length'),
                     db=num(it, 's7comm.param.item.db'),
                     area=num(it, 's7comm.param.item.area'),
                     address=num(it, 's7comm.param.item.address'))
        out.append(d)
    return out


def _data_items(s7, job):
    out = []
    for it in fields(s7, 's7comm.data.item'):
        rc = num(it, 's7comm.data.returncode')
        d = {} if job else {'return_code': rc}
        if first(it, 's7comm.data.transportsize') is not None and (job or rc in _RC_WITH_HEAD):
            d['transport_size'] = num(it, 's7comm.data.transportsize')
            d['length'] = num(it, 's7comm.data.length')
        out.append(d)
    return out


def _s7(s7, d):
    rosctr = num(s7, 's7comm.header.rosctr')
    fn = num(s7, 's7comm.param.func')
    d.update(rosctr=rosctr,
             pdu_ref=num(s7, 's7comm.header.pduref'),
             param_length=num(s7, 's7comm.header.parlg'),
             data_length=num(s7, 's7comm.header.datlg'),
             error_class=num(s7, 's7comm.header.errcls'),
             error_code=num(s7, 's7comm.header.errcod'),
             function=fn,
             max_amq_calling=num(s7, 's7comm.param.maxamq_calling'),
             max_amq_called=num(s7, 's7comm.param.maxamq_called'),
             pdu_length=num(s7, 's7comm.param.pdu_length'),
             pi_service=show(s7, 's7comm.param.pistart.servicename'))
    if rosctr in (1, 3) and fn in (0x04, 0x05):
        d['item_count'] = num(s7, 's7comm.param.itemcount')
        if rosctr == 1:
            d['items'] = _param_items(s7)
            if fn == 0x05:
                d['data_items'] = _data_items(s7, True)
        else:
            d['data_items'] = _data_items(s7, False)
    if fn in _BLOCK_CONTROL:
        d['filesystem'] = show(s7, 's7comm.data.blockcontrol.dest_filesys')
        d['function_status'] = num(s7, 's7comm.param.blockcontrol.functionstatus')
        d['filename'] = show(s7, 's7comm.param.blockcontrol.filename')
        d['block_type'] = show(s7, 's7comm.data.blockcontrol.block_type')
        d['block_number'] = _int_or_none(show(s7, 's7comm.data.blockcontrol.block_number'))
    if rosctr == 7:
        d.update(userdata_type=num(s7, 's7comm.param.userdata.type'),
                 function_group=num(s7, 's7comm.param.userdata.funcgroup'),
                 subfunction=num(s7, 's7comm.param.userdata.subfunc'),
                 sequence_number=num(s7, 's7comm.param.userdata.seq_num'),
                 data_unit_ref=num(s7, 's7comm.param.userdata.dataunitref'),
                 last_data_unit=num(s7, 's7comm.param.userdata.lastdataunit'),
                 param_error_code=num(s7, 's7comm.param.errcod'),
                 return_code=num(s7, 's7comm.data.returncode'),
                 transport_size=num(s7, 's7comm.data.transportsize'),
                 szl_id=num(s7, 's7comm.data.userdata.szl_id'),
                 szl_index=num(s7, 's7comm.data.userdata.szl_index'))
        if d['function_group'] == 3 and d['userdata_type'] == 4:  # block functions: the block asked about
            d.update(block_type=show(s7, 's7comm.blockinfo.blocktype'),
                     block_number=_int_or_none(show(s7, 's7comm.data.blockinfo.block_number')),
                     filesystem=show(s7, 's7comm.data.blockinfo.filesys'))
    return d


def tshark_pdus(protos):
    """One dict per TPKT that carries an S7comm PDU (the frame's TPKT/COTP/S7comm triples)."""
    out = []
    cur = None
    for p in protos:
        name = p.get('name')
        if name == 'tpkt':
            cur = {'tpkt': p}
        elif cur is not None and name in ('cotp', 's7comm') and name not in cur:
            cur[name] = p
            if name == 's7comm':
                d = {'tpkt_length': num(cur['tpkt'], 'tpkt.length')}
                if 'cotp' in cur:
                    d['cotp_pdu_type'] = num(cur['cotp'], 'cotp.type')
                out.append(_s7(p, d))
                cur = None
    return out


def bollard_pdu(op):
    s = op.get(op['proto'], {})
    if s.get('protocol_id') != 0x32:
        return None  # COTP connection TPDUs and S7comm-plus: see the module docstring
    d = {k: s.get(k) for k in ('tpkt_length', 'cotp_pdu_type', 'rosctr', 'pdu_ref', 'param_length',
                               'data_length', 'error_class', 'error_code', 'function', 'max_amq_calling',
                               'max_amq_called', 'pdu_length', 'pi_service', 'item_count', 'function_status',
                               'filename', 'block_type', 'block_number', 'userdata_type', 'function_group',
                               'subfunction', 'sequence_number', 'data_unit_ref', 'last_data_unit',
                               'param_error_code', 'szl_id', 'szl_index', 'filesystem')}
    items = s.get('items')
    fn, rosctr = s.get('function'), s.get('rosctr')
    if rosctr == 7:
        d['return_code'] = s.get('return_code')
        d['transport_size'] = s.get('transport_size')
    if items is not None and fn in (0x04, 0x05):
        if rosctr == 1:
            d['items'] = [{k: it.get(k) for k in _S7ANY_KEYS} if it.get('syntax_id') == 0x10
                          else {'syntax_id': it.get('syntax_id')} for it in items]
            if fn == 0x05:
                d['data_items'] = [{'transport_size': it.get('value_transport_size'),
                                    'length': it.get('value_length')} for it in items]
        else:
            d['data_items'] = []
            for it in items:
                rc = it.get('return_code')
                e = {'return_code': rc}
                if fn == 0x04 and rc in _RC_WITH_HEAD:
                    e.update(transport_size=it.get('transport_size'), length=it.get('length'))
                d['data_items'].append(e)
    if fn not in _BLOCK_CONTROL and not (rosctr == 7 and s.get('function_group') == 3):
        for k in ('filename', 'block_type', 'block_number', 'filesystem'):
            d[k] = None
    return d
