# SPDX-License-Identifier: BSD-3-Clause
"""Oracle mapping for OPC UA binary (dissectors/opcua.c): Bollard's --ops against
tshark 4.0's opcua dissector, one message chunk at a time.

tshark writes each chunk as one <proto name="opcua">.  Its structures are
unnamed <field name="" show="RequestHeader: RequestHeader"> elements holding
the named leaves (opcua.RequestHandle ...), so lists are read through those
labels.  Field names are tshark 4.0's (`tshark -G fields | grep opcua`).

What is compared (docs/protocols/opcua.md lists Bollard's fields):
- the chunk header: message_type, chunk_type, message_size (opcua.transport.*),
  secure_channel_id (opcua.transport.scid);
- HEL/ACK limits (opcua.transport.ver, rbs, sbs, mms, mcc), endpoint_url,
  ERR error and reason, RHE server_uri;
- OPN: security_policy_uri (opcua.security.spu); OPN/MSG/CLO: token_id
  (opcua.security.tokenid; in an OpenSecureChannelResponse the new token,
  opcua.TokenId), sequence_number, request_id (opcua.security.seq, rqid);
- service_type and service_namespace (opcua.servicenodeid.*);
- RequestHeader: authentication_token (rebuilt from opcua.nodeid.* in the
  ns=..;i=.. notation), timestamp (opcua.Timestamp, its raw 8 bytes),
  request_handle, return_diagnostics (opcua.returndiag), audit_entry_id,
  timeout_hint; ResponseHeader: timestamp, request_handle, service_result;
- OpenSecureChannel: client/server protocol version, request_type
  (opcua.SecurityTokenRequestType), security_mode (opcua.MessageSecurityMode),
  requested_lifetime, channel_id, revised_lifetime;
- ReadRequest timestamps_to_return and nodes_to_read [{node_id,
  attribute_id}]; WriteRequest nodes_to_write [{node_id, attribute_id}];
  CallRequest methods_to_call [{object_id, method_id}]; BrowseRequest
  nodes_to_browse [{node_id, browse_direction}]; CreateSessionRequest
  application_uri, application_type, endpoint_url, session_name;
  CreateSessionResponse session_id; ActivateSessionRequest user_token_type,
  user_token_policy_id, user_name; ReadResponse results [{value_type}];
  WriteResponse results (opcua.Results).

Left out, with the reason:
- chunks of a message in several chunks: tshark reassembles them and decodes
  the message once, at its last chunk; Bollard reports every chunk and
  decodes the service from the first (none in the captures at hand).
- lists Bollard cut at its cap (a *_count field present).
- certificate, thumbprint and nonce lengths: tshark shows the bytes, not the
  length, and the same null/empty distinction Bollard folds into 0.
"""

import base64

from .pdml import first, num, nums, raw, show

PROTO = 'opcua'
TSHARK_PROTOS = ('opcua',)
DISPLAY_FILTER = 'opcua'
# tshark decodes OPC UA on 4840 only; the iti capture (a fuzzing tool against the UA stack test
# server) runs on 12001.
TSHARK_PREFS = ['-d', 'tcp.port==12001,opcua']

KNOWN_DIFFERENCES = {}

_OPN_REQ, _OPN_RSP = 446, 449
_CREATE_SESSION_REQ, _CREATE_SESSION_RSP, _ACTIVATE_SESSION_REQ = 461, 464, 467
_BROWSE_REQ, _READ_REQ, _READ_RSP, _WRITE_REQ, _WRITE_RSP, _CALL_REQ = 527, 631, 634, 673, 676, 712


def _labelled(elem, prefix):
    """The first unnamed structure field under elem whose label starts with prefix."""
    for f in elem.iter('field'):
        if f.get('name') == '' and (f.get('show') or '').startswith(prefix):
            return f
    return None


def _children(elem, prefix):
    """The direct unnamed children of elem whose label starts with prefix (list elements '[i]: ...')."""
    return [f for f in elem.findall('field') if f.get('name') == '' and (f.get('show') or '').startswith(prefix)]


def _le(hexstr):
    return None if hexstr is None else int.from_bytes(bytes.fromhex(hexstr), 'little')


def _nodeid(elem):
    """A NodeId under elem in the notation of OPC 10000-6 §5.3.1.10, as Bollard writes it."""
    if elem is None or first(elem, 'opcua.nodeid.encodingmask') is None:
        return None
    ns = num(elem, 'opcua.nodeid.nsindex') or 0
    pre = f'ns={ns};' if ns else ''
    if first(elem, 'opcua.nodeid.numeric') is not None:
        return f'{pre}i={num(elem, "opcua.nodeid.numeric")}'
    if first(elem, 'opcua.nodeid.string') is not None:
        return f'{pre}s={show(elem, "opcua.nodeid.string")}'
    if first(elem, 'opcua.nodeid.guid') is not None:
        return f'{pre}g={show(elem, "opcua.nodeid.guid")}'
    if first(elem, 'opcua.nodeid.bytestring') is not None:
        b = bytes.fromhex(raw(elem, 'opcua.nodeid.bytestring') or '')
        return f'{pre}b={base64.b64encode(b[:96]).decode()}'
    return None


def _text(elem, name):
    """A String field's text, or None when null or empty (Bollard leaves those out)."""
    s = show(elem, name)
    return s or None


def _request_header(p, d):
    hdr = _labelled(p, 'RequestHeader:')
    if hdr is None:
        return
    d['authentication_token'] = _nodeid(_labelled(hdr, 'AuthenticationToken:'))
    d['timestamp'] = _le(raw(hdr, 'opcua.Timestamp'))
    d['request_handle'] = num(hdr, 'opcua.RequestHandle')
    d['return_diagnostics'] = num(hdr, 'opcua.returndiag')
    d['audit_entry_id'] = _text(hdr, 'opcua.AuditEntryId')
    d['timeout_hint'] = num(hdr, 'opcua.TimeoutHint')


def _response_header(p, d):
    hdr = _labelled(p, 'ResponseHeader:')
    if hdr is None:
        return
    d['timestamp'] = _le(raw(hdr, 'opcua.Timestamp'))
    d['request_handle'] = num(hdr, 'opcua.RequestHandle')
    d['service_result'] = num(hdr, 'opcua.ServiceResult')


def _list(p, label, item):
    arr = _labelled(p, label)
    if arr is None:
        return None
    return [item(e) for e in _children(arr, '[')]


def _service(p, d):
    svc = num(p, 'opcua.servicenodeid.numeric')
    d['service_type'] = svc
    ns = num(p, 'opcua.servicenodeid.nsid')
    if ns:
        d['service_namespace'] = ns
    if _labelled(p, 'RequestHeader:') is not None:
        _request_header(p, d)
    else:
        _response_header(p, d)
    if svc == _OPN_REQ:
        d['client_protocol_version'] = num(p, 'opcua.ClientProtocolVersion')
        d['request_type'] = num(p, 'opcua.SecurityTokenRequestType')
        d['security_mode'] = num(p, 'opcua.MessageSecurityMode')
        d['requested_lifetime'] = num(p, 'opcua.RequestedLifetime')
    elif svc == _OPN_RSP:
        d['server_protocol_version'] = num(p, 'opcua.ServerProtocolVersion')
        d['channel_id'] = num(p, 'opcua.ChannelId')
        d['token_id'] = num(p, 'opcua.TokenId')
        d['revised_lifetime'] = num(p, 'opcua.RevisedLifetime')
    elif svc == _READ_REQ:
        d['timestamps_to_return'] = num(p, 'opcua.TimestampsToReturn')
        d['nodes_to_read'] = _list(p, 'NodesToRead:', lambda e: {
            'node_id': _nodeid(_labelled(e, 'NodeId:')), 'attribute_id': num(e, 'opcua.AttributeId')})
    elif svc == _WRITE_REQ:
        d['nodes_to_write'] = _list(p, 'NodesToWrite:', lambda e: {
            'node_id': _nodeid(_labelled(e, 'NodeId:')), 'attribute_id': num(e, 'opcua.AttributeId')})
    elif svc == _CALL_REQ:
        d['methods_to_call'] = _list(p, 'MethodsToCall:', lambda e: {
            'object_id': _nodeid(_labelled(e, 'ObjectId:')), 'method_id': _nodeid(_labelled(e, 'MethodId:'))})
    elif svc == _BROWSE_REQ:
        d['requested_max_references_per_node'] = num(p, 'opcua.RequestedMaxReferencesPerNode')
        d['nodes_to_browse'] = _list(p, 'NodesToBrowse:', lambda e: {
            'node_id': _nodeid(_labelled(e, 'NodeId:')), 'browse_direction': num(e, 'opcua.BrowseDirection')})
    elif svc == _CREATE_SESSION_REQ:
        d['application_uri'] = _text(p, 'opcua.ApplicationUri')
        d['application_type'] = num(p, 'opcua.ApplicationType')
        d['endpoint_url'] = _text(p, 'opcua.EndpointUrl')
        d['session_name'] = _text(p, 'opcua.SessionName')
    elif svc == _CREATE_SESSION_RSP:
        d['session_id'] = _nodeid(_labelled(p, 'SessionId:'))
    elif svc == _ACTIVATE_SESSION_REQ:
        tok = _labelled(p, 'UserIdentityToken:')
        if tok is not None:
            t = _labelled(tok, 'TypeId:')
            d['user_token_type'] = None if t is None else num(t, 'opcua.nodeid.numeric')
            d['user_token_policy_id'] = _text(tok, 'opcua.PolicyId')
            d['user_name'] = _text(tok, 'opcua.UserName')
    elif svc == _READ_RSP:
        def value_type(e):
            v = _labelled(e, 'Value:')
            vr = None if v is None else v.get('value')
            return {'value_type': int(vr[:2], 16) & 0x3f if vr else None}
        d['results'] = _list(p, 'Results:', value_type)
    elif svc == _WRITE_RSP:
        d['results'] = nums(p, 'opcua.Results')


def _one(p):
    d = {
        'message_type': show(p, 'opcua.transport.type'),
        'chunk_type': show(p, 'opcua.transport.chunk'),
        'message_size': num(p, 'opcua.transport.size'),
    }
    t = d['message_type']
    if t in ('HEL', 'ACK'):
        d['protocol_version'] = num(p, 'opcua.transport.ver')
        d['receive_buffer_size'] = num(p, 'opcua.transport.rbs')
        d['send_buffer_size'] = num(p, 'opcua.transport.sbs')
        d['max_message_size'] = num(p, 'opcua.transport.mms')
        d['max_chunk_count'] = num(p, 'opcua.transport.mcc')
        d['endpoint_url'] = _text(p, 'opcua.transport.endpoint')
    elif t == 'ERR':
        d['error'] = num(p, 'opcua.transport.error')
        d['reason'] = _text(p, 'opcua.transport.reason')
    elif t == 'RHE':
        d['server_uri'] = _text(p, 'opcua.transport.suri')
        d['endpoint_url'] = _text(p, 'opcua.transport.endpoint')
    elif t in ('OPN', 'MSG', 'CLO'):
        d['secure_channel_id'] = num(p, 'opcua.transport.scid')
        d['security_policy_uri'] = _text(p, 'opcua.security.spu')
        d['token_id'] = num(p, 'opcua.security.tokenid')
        d['sequence_number'] = num(p, 'opcua.security.seq')
        d['request_id'] = num(p, 'opcua.security.rqid')
        if d['chunk_type'] == 'F' and first(p, 'opcua.servicenodeid.numeric') is not None:
            _service(p, d)
    return d


def tshark_pdus(protos):
    return [_one(p) for p in protos]


_KEYS = ('message_type', 'chunk_type', 'message_size', 'protocol_version', 'receive_buffer_size',
         'send_buffer_size', 'max_message_size', 'max_chunk_count', 'endpoint_url', 'error', 'reason', 'server_uri',
         'secure_channel_id', 'security_policy_uri', 'token_id', 'sequence_number', 'request_id', 'service_type',
         'service_namespace', 'authentication_token', 'timestamp', 'request_handle', 'return_diagnostics',
         'audit_entry_id', 'timeout_hint', 'service_result', 'client_protocol_version', 'request_type',
         'security_mode', 'requested_lifetime', 'server_protocol_version', 'channel_id', 'revised_lifetime',
         'timestamps_to_return', 'requested_max_references_per_node', 'application_uri', 'application_type',
         'session_name', 'session_id', 'user_token_type', 'user_token_policy_id', 'user_name')


def bollard_pdu(op):
    m = op.get('opcua', {})
    d = {k: m.get(k) for k in _KEYS}
    if m.get('chunk_type') != 'F':
        # tshark decodes a chunked message once, reassembled: compare only the header of its chunks
        for k in _KEYS[3:]:
            if k not in ('secure_channel_id', 'security_policy_uri', 'token_id', 'sequence_number', 'request_id'):
                d[k] = None
    for k, keep in (('nodes_to_read', ('node_id', 'attribute_id')), ('nodes_to_write', ('node_id', 'attribute_id')),
                    ('methods_to_call', ('object_id', 'method_id')),
                    ('nodes_to_browse', ('node_id', 'browse_direction'))):
        if k in m and k + '_count' not in m:
            d[k] = [{f: e.get(f) for f in keep} for e in m[k]]
    if 'results' in m and 'results_count' not in m:
        r = m['results']
        if m.get('service_type') == _READ_RSP:
            d['results'] = [{'value_type': e.get('value_type')} for e in r]
        elif m.get('service_type') == _WRITE_RSP:
            d['results'] = r
    return d
