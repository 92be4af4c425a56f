"""EtherNet/IP + CIP: Bollard's `enip` ops against tshark's enip / cip / cipcm.

One Bollard op per encapsulation message (and per class 0/1 I/O datagram on
UDP 2222); tshark writes one <proto name="enip"> per message, followed by the
protocols of the CIP message it carries (cip, then cipcm for the Connection
Manager, cipcls / cippccc / ... for other classes).  A PDU here is an enip
element and the CIP elements after it, up to the next enip.

Embedded messages (Multiple Service Packet entries, the request inside an
Unconnected Send) are <proto name="cip"> elements nested inside the outer
one; the helpers below read the outer message's own fields only and the
nested ones separately.
"""
from .pdml import first, num, raw, show, to_int

PROTO = 'enip'
TSHARK_PROTOS = ('enip', 'cip', 'cipcm', 'cipcls', 'cipio', 'cippccc', 'cipmb', 'cipsafety', 'cipmotion')
DISPLAY_FILTER = 'enip or cip or cipcls or cipcm'
# iti/openics/EIP-ControlProtocolChangeAttempt.pcap: the client's port 1102 is IDMP's in tshark, and the
# lower port wins, so tshark never tries EtherNet/IP on that connection.
TSHARK_PREFS = ['-d', 'tcp.port==1102,enip']

KNOWN_DIFFERENCES = {
    'sender_context': 'tshark 4.0 reads the first 2 bytes of a ListIdentity request\'s sender context as a '
                      '"max response delay" (enip.listid_delay); this module joins them back, so a '
                      'difference here is real',
}


def own_fields(elem, name):
    """Fields `name` of this protocol element, not of CIP messages nested inside it."""
    out = []
    stack = list(elem)[::-1]
    while stack:
        e = stack.pop()
        if e.tag == 'proto':
            continue
        if e.tag == 'field' and e.get('name') == name:
            out.append(e)
        stack.extend(list(e)[::-1])
    return out


def own(elem, name, generated=False):
    """The first own field `name` as an int; generated ([...], no raw value) ones only if asked."""
    for f in own_fields(elem, name):
        if generated or f.get('value') is not None:
            return to_int(f.get('show'))
    return None


def nested(elem):
    """The CIP messages directly nested in elem (MSP entries, an Unconnected Send's request)."""
    out = []
    stack = list(elem)[::-1]
    while stack:
        e = stack.pop()
        if e.tag == 'proto':
            if e.get('name') == 'cip':
                out.append(e)
            continue
        stack.extend(list(e)[::-1])
    return out


def _identity(e, d):
    d['vendor_id'] = num(e, 'enip.lir.vendor')
    d['device_type'] = num(e, 'enip.lir.devtype')
    d['product_code'] = num(e, 'enip.lir.prodcode')
    rev = raw(e, 'enip.lir.revision')
    if rev and len(rev) == 4:
        d['revision_major'] = int(rev[0:2], 16)
        d['revision_minor'] = int(rev[2:4], 16)
    d['device_status'] = num(e, 'enip.lir.status')
    d['serial_number'] = num(e, 'enip.lir.serial')
    d['product_name'] = show(e, 'enip.lir.name')
    d['state'] = num(e, 'enip.lir.state')
    d['socket_ip'] = show(e, 'enip.sinaddr')
    d['socket_port'] = num(e, 'enip.sinport')


def _cip(cip, cm, d):
    d['cip_service'] = own(cip, 'cip.sc')
    rr = own(cip, 'cip.rr')
    d['cip_response'] = None if rr is None else bool(rr)
    inner = nested(cip) + (nested(cm) if cm is not None else [])
    if rr:
        d['general_status'] = own(cip, 'cip.genstat')
        size = own(cip, 'cip.addstat_size')
        d['additional_status_size'] = size or None
    else:
        for key, field in (('class', 'cip.class'), ('instance', 'cip.instance'), ('attribute', 'cip.attribute')):
            d[key] = own(cip, field)
        symbols = [f.get('show') for f in own_fields(cip, 'cip.symbol')]
        if symbols and not own_fields(cip, 'cip.member'):
            d['tag'] = '.'.join(symbols)
    count = own(cip, 'cip.msp.num_services')
    if count is not None:
        d['service_count'] = count
        d['msp_services'] = [own(m, 'cip.sc') for m in inner]
        if rr:
            d['msp_status'] = [own(m, 'cip.genstat') for m in inner]
    elif inner and not rr:
        d['embedded_service'] = own(inner[0], 'cip.sc')
        d['embedded_class'] = own(inner[0], 'cip.class')
    if cm is not None:
        for key, field in (('ot_connection_id', 'cip.cm.ot_connid'), ('to_connection_id', 'cip.cm.to_connid'),
                           ('connection_serial', 'cip.cm.conn_serial_num'), ('originator_vendor', 'cip.cm.vendor'),
                           ('originator_serial', 'cip.cm.orig_serial_num'), ('ot_rpi', 'cip.cm.otrpi'),
                           ('to_rpi', 'cip.cm.torpi'), ('ot_connection_params', 'cip.cm.ot_net_params'),
                           ('to_connection_params', 'cip.cm.to_net_params'), ('ot_api', 'cip.cm.otapi'),
                           ('to_api', 'cip.cm.toapi')):
            d[key] = own(cm, field)


def _pdu(group):
    e = group['enip']
    d = {}
    cmd = num(e, 'enip.command')
    d['item_count'] = num(e, 'enip.cpf.itemcount')
    if cmd is None:
        # Class 0/1 I/O: a CPF with no encapsulation header.
        d['io'] = True
        d['connection_id'] = num(e, 'enip.cpf.sai.connid')
        d['encap_sequence'] = num(e, 'enip.cpf.sai.seq')
        return d
    d['command'] = cmd
    d['length'] = num(e, 'enip.length')
    d['session_handle'] = num(e, 'enip.session')
    d['status'] = num(e, 'enip.status')
    ctx = raw(e, 'enip.context')
    delay = raw(e, 'enip.listid_delay')
    d['sender_context'] = None if ctx is None else (delay or '') + ctx
    if cmd == 0x63 and first(e, 'enip.lir.vendor') is not None:
        _identity(e, d)
    if cmd in (0x6F, 0x70):
        d['timeout'] = num(e, 'enip.timeout')
    if cmd == 0x70:
        d['connection_id'] = num(e, 'enip.cpf.cai.connid')
        d['cip_sequence'] = num(e, 'cip.seq')
    if group['cip'] is not None:
        _cip(group['cip'], group['cipcm'], d)
    return d


def tshark_pdus(protos):
    groups = []
    cur = None
    for p in protos:
        name = p.get('name')
        if name == 'enip':
            cur = {'enip': p, 'cip': None, 'cipcm': None}
            groups.append(cur)
        elif cur is not None and name in ('cip', 'cipcm') and cur[name] is None:
            cur[name] = p
    return [_pdu(g) for g in groups]


def bollard_pdu(op):
    e = op.get('enip', {})
    d = {k: e.get(k) for k in (
        'io', 'item_count', 'connection_id', 'encap_sequence', 'command', 'length', 'session_handle', 'status',
        'sender_context', 'vendor_id', 'device_type', 'product_code', 'revision_major', 'revision_minor',
        'device_status', 'serial_number', 'product_name', 'state', 'socket_ip', 'socket_port', 'timeout',
        'cip_sequence', 'cip_service', 'cip_response', 'general_status', 'additional_status_size', 'class',
        'instance', 'attribute', 'tag', 'service_count', 'ot_connection_id', 'to_connection_id',
        'connection_serial', 'originator_vendor', 'originator_serial', 'ot_rpi', 'to_rpi',
        'ot_connection_params', 'to_connection_params', 'ot_api', 'to_api')}
    if e.get('io'):
        # tshark reads the CIP sequence count only when it saw the Forward Open: not compared.
        d['cip_sequence'] = None
    services = e.get('services')
    if services is not None and e.get('service_count') is not None and e.get('command') in (0x6F, 0x70):
        d['msp_services'] = [s.get('service') for s in services]
        if e.get('cip_response'):
            d['msp_status'] = [s.get('general_status') for s in services]
        if len(services) < e['service_count']:
            d['msp_services'] = d['msp_status'] = None  # listed up to the cap: nothing to compare
    emb = e.get('embedded')
    if emb is not None:
        d['embedded_service'] = emb.get('service')
        d['embedded_class'] = emb.get('class')
    return d
