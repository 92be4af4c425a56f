/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OPC UA binary: UA TCP and UA Secure Conversation (OPC 10000-6 §6.7, §7.1).
 * One parse call is one message chunk.  Every chunk starts with (§7.1.2.2)
 *
 *   message type (3 ASCII: HEL ACK OPN MSG CLO ERR RHE) | chunk type (1: F final, C intermediate, A abort)
 *   | message size (4, LE, the whole chunk with this header)
 *
 * then, by type (integers little-endian; String/ByteString = Int32 length, -1 for null, then bytes):
 *
 *   HEL  protocol version(4) | receive buffer size(4) | send buffer size(4) | max message size(4)
 *        | max chunk count(4) | endpoint url(String)                                        §7.1.2.3
 *   ACK  protocol version(4) | receive buffer size(4) | send buffer size(4) | max message size(4)
 *        | max chunk count(4)                                                               §7.1.2.4
 *   ERR  error(StatusCode 4) | reason(String)                                               §7.1.2.5
 *   RHE  server uri(String) | endpoint url(String)                                          §7.1.2.6
 *   OPN  secure channel id(4) | asymmetric security header: security policy uri(String)
 *        | sender certificate(ByteString) | receiver certificate thumbprint(ByteString)     §6.7.2.3
 *        | sequence header | body
 *   MSG, CLO  secure channel id(4) | symmetric security header: token id(4)                  §6.7.2.3
 *        | sequence header | body
 *   sequence header  sequence number(4) | request id(4)                                     §6.7.2.4
 *   body (first chunk of a message)  type id(ExpandedNodeId of the DataTypeEncoding)
 *        | RequestHeader or ResponseHeader (OPC 10000-4 §7.28, §7.29) | the service's parameters
 *   body of an abort chunk (A)  error(StatusCode 4) | reason(String)                       §6.7.3
 *
 * The sequence header and body are readable on the wire when the channel's SecurityPolicy is None, or when
 * its MessageSecurityMode is Sign (signed, not encrypted).  The policy URI travels in clear in every OPN
 * (the channel state below remembers it); the mode does not when the policy is not None (the OPN body is
 * then encrypted, §6.7.4), so for those channels a body is decoded only when it looks like one: a NodeId
 * of a known service right after the sequence header.  A message split into chunks carries its service
 * header in the first chunk only: later chunks are reported without the service (no reassembly).
 */
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

#define OPCUA_MAX_SIZE (1u << 24)    /* the probe's bound: no real chunk is larger (16 MiB) */
#define OPCUA_CHANNELS 4             /* secure channels remembered per connection (one in practice) */
#define OPCUA_MAX_ITEMS 64           /* list elements (nodes, methods, results) per op */
#define OPCUA_MAX_URL 256            /* bytes of a URI or URL shown */
#define OPCUA_MAX_NAME 128           /* bytes of a name (session, user, policy id, string value) shown */
#define OPCUA_MAX_ID 96              /* bytes of a string or opaque NodeId identifier shown */
#define OPCUA_MAX_DEPTH 16           /* nesting of Variant / DataValue / DiagnosticInfo we follow */
#define OPCUA_OPN_KEY 0xffffffff00000000ull /* OPN pairs by request id: the request has no channel id yet */

static const char policy_none[] = "http://opcfoundation.org/UA/SecurityPolicy#None";

enum msg_type { T_HEL, T_ACK, T_OPN, T_MSG, T_CLO, T_ERR, T_RHE, T_NONE };
static const char msg_types[][4] = { "HEL", "ACK", "OPN", "MSG", "CLO", "ERR", "RHE" };

struct opcua_channel {
	uint32_t id;
	bool used;
	bool policy_none;        /* the OPN said SecurityPolicy None: every body is plain */
	bool plain_seen;         /* a body of this channel was plain (policy None or mode Sign) */
};

struct opcua_state {
	struct bld_txn_table txn;
	struct opcua_channel ch[OPCUA_CHANNELS];
	uint8_t ch_next;                 /* the slot replaced next when all are used */
	bool hel_seen;
	bool hel_to_server;              /* the HEL travelled to the TCP server: the UA client is the TCP client */
	uint32_t limit[2];               /* largest chunk the receiver accepts, by direction (to_server); 0: unknown */
	uint32_t max_message[2];         /* largest message body the receiver accepts, by direction; 0: no limit */
	uint32_t message_bytes[2];       /* body bytes of the MSG under way, by direction */
	bool chunking[2];                /* a message of several chunks is under way, by direction */
	uint32_t chunk_request_id[2];
};

/* ---- names ---- */

struct service {
	uint16_t id;             /* numeric NodeId of the DataTypeEncoding (DefaultBinary), namespace 0 */
	bool request;
	const char *name;
};

/* OPC 10000-4 §5 services, their DefaultBinary encoding ids (NodeIds.csv), sorted by id. */
static const struct service services[] = {
	{ 397, false, "ServiceFault" },
	{ 410, true, "TestStackRequest" },
	{ 413, false, "TestStackResponse" },
	{ 416, true, "TestStackExRequest" },
	{ 419, false, "TestStackExResponse" },
	{ 422, true, "FindServersRequest" },
	{ 425, false, "FindServersResponse" },
	{ 428, true, "GetEndpointsRequest" },
	{ 431, false, "GetEndpointsResponse" },
	{ 437, true, "RegisterServerRequest" },
	{ 440, false, "RegisterServerResponse" },
	{ 446, true, "OpenSecureChannelRequest" },
	{ 449, false, "OpenSecureChannelResponse" },
	{ 452, true, "CloseSecureChannelRequest" },
	{ 455, false, "CloseSecureChannelResponse" },
	{ 461, true, "CreateSessionRequest" },
	{ 464, false, "CreateSessionResponse" },
	{ 467, true, "ActivateSessionRequest" },
	{ 470, false, "ActivateSessionResponse" },
	{ 473, true, "CloseSessionRequest" },
	{ 476, false, "CloseSessionResponse" },
	{ 479, true, "CancelRequest" },
	{ 482, false, "CancelResponse" },
	{ 488, true, "AddNodesRequest" },
	{ 491, false, "AddNodesResponse" },
	{ 494, true, "AddReferencesRequest" },
	{ 497, false, "AddReferencesResponse" },
	{ 500, true, "DeleteNodesRequest" },
	{ 503, false, "DeleteNodesResponse" },
	{ 506, true, "DeleteReferencesRequest" },
	{ 509, false, "DeleteReferencesResponse" },
	{ 527, true, "BrowseRequest" },
	{ 530, false, "BrowseResponse" },
	{ 533, true, "BrowseNextRequest" },
	{ 536, false, "BrowseNextResponse" },
	{ 554, true, "TranslateBrowsePathsToNodeIdsRequest" },
	{ 557, false, "TranslateBrowsePathsToNodeIdsResponse" },
	{ 560, true, "RegisterNodesRequest" },
	{ 563, false, "RegisterNodesResponse" },
	{ 566, true, "UnregisterNodesRequest" },
	{ 569, false, "UnregisterNodesResponse" },
	{ 615, true, "QueryFirstRequest" },
	{ 618, false, "QueryFirstResponse" },
	{ 621, true, "QueryNextRequest" },
	{ 624, false, "QueryNextResponse" },
	{ 631, true, "ReadRequest" },
	{ 634, false, "ReadResponse" },
	{ 664, true, "HistoryReadRequest" },
	{ 667, false, "HistoryReadResponse" },
	{ 673, true, "WriteRequest" },
	{ 676, false, "WriteResponse" },
	{ 700, true, "HistoryUpdateRequest" },
	{ 703, false, "HistoryUpdateResponse" },
	{ 712, true, "CallRequest" },
	{ 715, false, "CallResponse" },
	{ 751, true, "CreateMonitoredItemsRequest" },
	{ 754, false, "CreateMonitoredItemsResponse" },
	{ 763, true, "ModifyMonitoredItemsRequest" },
	{ 766, false, "ModifyMonitoredItemsResponse" },
	{ 769, true, "SetMonitoringModeRequest" },
	{ 772, false, "SetMonitoringModeResponse" },
	{ 775, true, "SetTriggeringRequest" },
	{ 778, false, "SetTriggeringResponse" },
	{ 781, true, "DeleteMonitoredItemsRequest" },
	{ 784, false, "DeleteMonitoredItemsResponse" },
	{ 787, true, "CreateSubscriptionRequest" },
	{ 790, false, "CreateSubscriptionResponse" },
	{ 793, true, "ModifySubscriptionRequest" },
	{ 796, false, "ModifySubscriptionResponse" },
	{ 799, true, "SetPublishingModeRequest" },
	{ 802, false, "SetPublishingModeResponse" },
	{ 826, true, "PublishRequest" },
	{ 829, false, "PublishResponse" },
	{ 832, true, "RepublishRequest" },
	{ 835, false, "RepublishResponse" },
	{ 841, true, "TransferSubscriptionsRequest" },
	{ 844, false, "TransferSubscriptionsResponse" },
	{ 847, true, "DeleteSubscriptionsRequest" },
	{ 850, false, "DeleteSubscriptionsResponse" },
	{ 12208, true, "FindServersOnNetworkRequest" },
	{ 12209, false, "FindServersOnNetworkResponse" },
	{ 12211, true, "RegisterServer2Request" },
	{ 12212, false, "RegisterServer2Response" },
};

enum {
	SVC_OPN_REQ = 446,
	SVC_OPN_RSP = 449,
	SVC_CLO_REQ = 452,
	SVC_CREATE_SESSION_REQ = 461,
	SVC_CREATE_SESSION_RSP = 464,
	SVC_ACTIVATE_SESSION_REQ = 467,
	SVC_BROWSE_REQ = 527,
	SVC_READ_REQ = 631,
	SVC_READ_RSP = 634,
	SVC_WRITE_REQ = 673,
	SVC_WRITE_RSP = 676,
	SVC_CALL_REQ = 712,
	SVC_CALL_RSP = 715,
};

static const struct service *find_service(uint32_t ns, uint32_t id)
{
	if (ns != 0)
		return NULL;
	size_t lo = 0, hi = sizeof(services) / sizeof(services[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (services[mid].id == id)
			return &services[mid];
		if (services[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct status_name {
	uint32_t code;           /* the top 16 bits: severity, sub-code (OPC 10000-4 §7.34.1) */
	const char *name;
};

/* The status codes most seen on the wire (OPC 10000-6 Annex A, StatusCode.csv), sorted by code. */
static const struct status_name status_names[] = {
	{ 0x00000000, "Good" },
	{ 0x002d0000, "GoodSubscriptionTransferred" },
	{ 0x002e0000, "GoodCompletesAsynchronously" },
	{ 0x002f0000, "GoodOverload" },
	{ 0x00300000, "GoodClamped" },
	{ 0x00a50000, "GoodNoData" },
	{ 0x00a60000, "GoodMoreData" },
	{ 0x00a90000, "GoodCallAgain" },
	{ 0x40000000, "Uncertain" },
	{ 0x408f0000, "UncertainNoCommunicationLastUsableValue" },
	{ 0x40900000, "UncertainLastUsableValue" },
	{ 0x40910000, "UncertainSubstituteValue" },
	{ 0x40920000, "UncertainInitialValue" },
	{ 0x40930000, "UncertainSensorNotAccurate" },
	{ 0x40940000, "UncertainEngineeringUnitsExceeded" },
	{ 0x40950000, "UncertainSubNormal" },
	{ 0x80000000, "Bad" },
	{ 0x80010000, "BadUnexpectedError" },
	{ 0x80020000, "BadInternalError" },
	{ 0x80030000, "BadOutOfMemory" },
	{ 0x80040000, "BadResourceUnavailable" },
	{ 0x80050000, "BadCommunicationError" },
	{ 0x80060000, "BadEncodingError" },
	{ 0x80070000, "BadDecodingError" },
	{ 0x80080000, "BadEncodingLimitsExceeded" },
	{ 0x80090000, "BadUnknownResponse" },
	{ 0x800a0000, "BadTimeout" },
	{ 0x800b0000, "BadServiceUnsupported" },
	{ 0x800c0000, "BadShutdown" },
	{ 0x800d0000, "BadServerNotConnected" },
	{ 0x800e0000, "BadServerHalted" },
	{ 0x800f0000, "BadNothingToDo" },
	{ 0x80100000, "BadTooManyOperations" },
	{ 0x80110000, "BadDataTypeIdUnknown" },
	{ 0x80120000, "BadCertificateInvalid" },
	{ 0x80130000, "BadSecurityChecksFailed" },
	{ 0x80140000, "BadCertificateTimeInvalid" },
	{ 0x80150000, "BadCertificateIssuerTimeInvalid" },
	{ 0x80160000, "BadCertificateHostNameInvalid" },
	{ 0x80170000, "BadCertificateUriInvalid" },
	{ 0x80180000, "BadCertificateUseNotAllowed" },
	{ 0x80190000, "BadCertificateIssuerUseNotAllowed" },
	{ 0x801a0000, "BadCertificateUntrusted" },
	{ 0x801b0000, "BadCertificateRevocationUnknown" },
	{ 0x801c0000, "BadCertificateIssuerRevocationUnknown" },
	{ 0x801d0000, "BadCertificateRevoked" },
	{ 0x801e0000, "BadCertificateIssuerRevoked" },
	{ 0x801f0000, "BadUserAccessDenied" },
	{ 0x80200000, "BadIdentityTokenInvalid" },
	{ 0x80210000, "BadIdentityTokenRejected" },
	{ 0x80220000, "BadSecureChannelIdInvalid" },
	{ 0x80230000, "BadInvalidTimestamp" },
	{ 0x80240000, "BadNonceInvalid" },
	{ 0x80250000, "BadSessionIdInvalid" },
	{ 0x80260000, "BadSessionClosed" },
	{ 0x80270000, "BadSessionNotActivated" },
	{ 0x80280000, "BadSubscriptionIdInvalid" },
	{ 0x802a0000, "BadRequestHeaderInvalid" },
	{ 0x802b0000, "BadTimestampsToReturnInvalid" },
	{ 0x802c0000, "BadRequestCancelledByClient" },
	{ 0x80310000, "BadNoCommunication" },
	{ 0x80320000, "BadWaitingForInitialData" },
	{ 0x80330000, "BadNodeIdInvalid" },
	{ 0x80340000, "BadNodeIdUnknown" },
	{ 0x80350000, "BadAttributeIdInvalid" },
	{ 0x80360000, "BadIndexRangeInvalid" },
	{ 0x80370000, "BadIndexRangeNoData" },
	{ 0x80380000, "BadDataEncodingInvalid" },
	{ 0x80390000, "BadDataEncodingUnsupported" },
	{ 0x803a0000, "BadNotReadable" },
	{ 0x803b0000, "BadNotWritable" },
	{ 0x803c0000, "BadOutOfRange" },
	{ 0x803d0000, "BadNotSupported" },
	{ 0x803e0000, "BadNotFound" },
	{ 0x803f0000, "BadObjectDeleted" },
	{ 0x80400000, "BadNotImplemented" },
	{ 0x80410000, "BadMonitoringModeInvalid" },
	{ 0x80420000, "BadMonitoredItemIdInvalid" },
	{ 0x80430000, "BadMonitoredItemFilterInvalid" },
	{ 0x80440000, "BadMonitoredItemFilterUnsupported" },
	{ 0x80450000, "BadFilterNotAllowed" },
	{ 0x80460000, "BadStructureMissing" },
	{ 0x80470000, "BadEventFilterInvalid" },
	{ 0x80480000, "BadContentFilterInvalid" },
	{ 0x804a0000, "BadContinuationPointInvalid" },
	{ 0x804b0000, "BadNoContinuationPoints" },
	{ 0x804c0000, "BadReferenceTypeIdInvalid" },
	{ 0x804d0000, "BadBrowseDirectionInvalid" },
	{ 0x804e0000, "BadNodeNotInView" },
	{ 0x804f0000, "BadServerUriInvalid" },
	{ 0x80500000, "BadServerNameMissing" },
	{ 0x80510000, "BadDiscoveryUrlMissing" },
	{ 0x80520000, "BadSemaphoreFileMissing" },
	{ 0x80530000, "BadRequestTypeInvalid" },
	{ 0x80540000, "BadSecurityModeRejected" },
	{ 0x80550000, "BadSecurityPolicyRejected" },
	{ 0x80560000, "BadTooManySessions" },
	{ 0x80570000, "BadUserSignatureInvalid" },
	{ 0x80580000, "BadApplicationSignatureInvalid" },
	{ 0x80590000, "BadNoValidCertificates" },
	{ 0x805a0000, "BadRequestCancelledByRequest" },
	{ 0x805b0000, "BadParentNodeIdInvalid" },
	{ 0x805c0000, "BadReferenceNotAllowed" },
	{ 0x805d0000, "BadNodeIdRejected" },
	{ 0x805e0000, "BadNodeIdExists" },
	{ 0x805f0000, "BadNodeClassInvalid" },
	{ 0x80600000, "BadBrowseNameInvalid" },
	{ 0x80610000, "BadBrowseNameDuplicated" },
	{ 0x80620000, "BadNodeAttributesInvalid" },
	{ 0x80630000, "BadTypeDefinitionInvalid" },
	{ 0x80640000, "BadSourceNodeIdInvalid" },
	{ 0x80650000, "BadTargetNodeIdInvalid" },
	{ 0x80690000, "BadNoDeleteRights" },
	{ 0x806b0000, "BadViewIdUnknown" },
	{ 0x806d0000, "BadTooManyMatches" },
	{ 0x806e0000, "BadQueryTooComplex" },
	{ 0x806f0000, "BadNoMatch" },
	{ 0x80700000, "BadMaxAgeInvalid" },
	{ 0x80710000, "BadHistoryOperationInvalid" },
	{ 0x80720000, "BadHistoryOperationUnsupported" },
	{ 0x80730000, "BadWriteNotSupported" },
	{ 0x80740000, "BadTypeMismatch" },
	{ 0x80750000, "BadMethodInvalid" },
	{ 0x80760000, "BadArgumentsMissing" },
	{ 0x80770000, "BadTooManySubscriptions" },
	{ 0x80780000, "BadTooManyPublishRequests" },
	{ 0x80790000, "BadNoSubscription" },
	{ 0x807a0000, "BadSequenceNumberUnknown" },
	{ 0x807b0000, "BadMessageNotAvailable" },
	{ 0x807c0000, "BadInsufficientClientProfile" },
	{ 0x807d0000, "BadTcpServerTooBusy" },
	{ 0x807e0000, "BadTcpMessageTypeInvalid" },
	{ 0x807f0000, "BadTcpSecureChannelUnknown" },
	{ 0x80800000, "BadTcpMessageTooLarge" },
	{ 0x80810000, "BadTcpNotEnoughResources" },
	{ 0x80820000, "BadTcpInternalError" },
	{ 0x80830000, "BadTcpEndpointUrlInvalid" },
	{ 0x80840000, "BadRequestInterrupted" },
	{ 0x80850000, "BadRequestTimeout" },
	{ 0x80860000, "BadSecureChannelClosed" },
	{ 0x80870000, "BadSecureChannelTokenUnknown" },
	{ 0x80880000, "BadSequenceNumberInvalid" },
	{ 0x80890000, "BadConfigurationError" },
	{ 0x808a0000, "BadNotConnected" },
	{ 0x808b0000, "BadDeviceFailure" },
	{ 0x808c0000, "BadSensorFailure" },
	{ 0x808d0000, "BadOutOfService" },
	{ 0x808e0000, "BadDeadbandFilterInvalid" },
	{ 0x809b0000, "BadNoData" },
	{ 0x80ab0000, "BadInvalidArgument" },
	{ 0x80ac0000, "BadConnectionRejected" },
	{ 0x80ad0000, "BadDisconnect" },
	{ 0x80ae0000, "BadConnectionClosed" },
	{ 0x80af0000, "BadInvalidState" },
	{ 0x80b60000, "BadSyntaxError" },
	{ 0x80b70000, "BadMaxConnectionsReached" },
	{ 0x80b80000, "BadRequestTooLarge" },
	{ 0x80b90000, "BadResponseTooLarge" },
	{ 0x80be0000, "BadProtocolVersionUnsupported" },
	{ 0x80db0000, "BadTooManyMonitoredItems" },
	{ 0x80e40000, "BadRequestNotAllowed" },
	{ 0x80e50000, "BadTooManyArguments" },
	{ 0x80e60000, "BadSecurityModeInsufficient" },
	{ 0x80ee0000, "BadServerTooBusy" },
	{ 0x810d0000, "BadCertificateChainIncomplete" },
	{ 0x81110000, "BadNotExecutable" },
	{ 0x81140000, "BadCertificatePolicyCheckFailed" },
};

/* The symbol of a status code (its info bits, the low 16, ignored), or NULL. */
static const char *status_name(uint32_t code)
{
	code &= 0xffff0000u;
	size_t lo = 0, hi = sizeof(status_names) / sizeof(status_names[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (status_names[mid].code == code)
			return status_names[mid].name;
		if (status_names[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* StatusCode severity (OPC 10000-4 §7.34.1): bit 31 set is Bad (bits 31..30 = 11 is reserved, read as Bad). */
static bool status_is_bad(uint32_t code)
{
	return (code & 0x80000000u) != 0;
}

/* ---- built-in type decoding (OPC 10000-6 §5.2.2) ---- */

/*
 * A cursor over a chunk's body and why decoding stopped: `c.err` alone is a
 * body shorter than its fields (truncated); `bad` a field encoded wrongly
 * (malformed), which also sets `c.err` so that every later read fails.
 */
struct ua {
	struct bld_cur c;
	bool bad;
};

static void ua_fail(struct ua *u)
{
	u->bad = true;
	u->c.err = true;
}

static bool ua_ok(const struct ua *u)
{
	return !u->c.err;
}

struct ua_bytes {
	const uint8_t *p;
	uint32_t len;
	bool null;
};

/* String, ByteString, XmlElement (§5.2.2.4, §5.2.2.7, §5.2.2.8): Int32 length, -1 is null. */
static struct ua_bytes ua_string(struct ua *u)
{
	struct ua_bytes s = { NULL, 0, true };
	int32_t n = (int32_t)bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return s;
	if (n == -1)
		return s;
	if (n < 0) {
		ua_fail(u); /* §5.2.2.4: -1 is the only negative length */
		return s;
	}
	s.p = bld_cur_bytes(&u->c, (uint32_t)n);
	if (s.p) {
		s.len = (uint32_t)n;
		s.null = false;
	}
	return s;
}

static void ua_skip_string(struct ua *u)
{
	(void)ua_string(u);
}

/* An array's Int32 length (§5.2.5): -1 (null) reads as 0 elements; other negatives are malformed. */
static uint32_t ua_array_len(struct ua *u)
{
	int32_t n = (int32_t)bld_cur_le32(&u->c);
	if (!ua_ok(u) || n == -1)
		return 0;
	if (n < 0) {
		ua_fail(u);
		return 0;
	}
	return (uint32_t)n;
}

/* Skip n fixed-size elements of `size` bytes each, without overflowing. */
static void ua_skip_fixed(struct ua *u, uint32_t n, uint32_t size)
{
	if (size && n > bld_cur_left(&u->c) / size)
		u->c.err = true;
	else
		bld_cur_skip(&u->c, n * size);
}

enum nodeid_kind { NID_NUMERIC, NID_STRING, NID_GUID, NID_OPAQUE };

struct ua_nodeid {
	uint8_t kind;            /* enum nodeid_kind */
	uint16_t ns;
	uint32_t num;            /* NID_NUMERIC */
	const uint8_t *id;       /* NID_STRING, NID_GUID (16 bytes), NID_OPAQUE */
	uint32_t id_len;
};

/*
 * NodeId (§5.2.2.9) or, when `expanded`, ExpandedNodeId (§5.2.2.10): the
 * encoding byte's low bits say the form (0 two-byte, 1 four-byte, 2
 * numeric, 3 string, 4 guid, 5 opaque); an ExpandedNodeId's bit 7 adds a
 * namespace URI after it and bit 6 a server index.
 */
static struct ua_nodeid ua_nodeid(struct ua *u, bool expanded)
{
	struct ua_nodeid n = { 0 };
	uint8_t enc = bld_cur_u8(&u->c);
	if (!ua_ok(u))
		return n;
	if ((enc & (expanded ? 0x30 : 0xf0)) != 0) {
		ua_fail(u);
		return n;
	}
	switch (enc & 0x0f) {
	case 0:
		n.num = bld_cur_u8(&u->c);
		break;
	case 1:
		n.ns = bld_cur_u8(&u->c);
		n.num = bld_cur_le16(&u->c);
		break;
	case 2:
		n.ns = bld_cur_le16(&u->c);
		n.num = bld_cur_le32(&u->c);
		break;
	case 3:
	case 5: {
		n.ns = bld_cur_le16(&u->c);
		struct ua_bytes s = ua_string(u);
		n.kind = (enc & 0x0f) == 3 ? NID_STRING : NID_OPAQUE;
		n.id = s.p;
		n.id_len = s.len;
		break;
	}
	case 4:
		n.ns = bld_cur_le16(&u->c);
		n.kind = NID_GUID;
		n.id = bld_cur_bytes(&u->c, 16);
		n.id_len = 16;
		break;
	default:
		ua_fail(u);
		return n;
	}
	if (expanded && (enc & 0x80))
		ua_skip_string(u); /* namespace URI */
	if (expanded && (enc & 0x40))
		bld_cur_skip(&u->c, 4); /* server index */
	return n;
}

/* ---- text for the op (no printf in the hot path) ---- */

struct txt {
	char b[192];
	uint32_t n;
};

static void txt_c(struct txt *t, char c)
{
	if (t->n < sizeof(t->b))
		t->b[t->n++] = c;
}

static void txt_s(struct txt *t, const char *s)
{
	while (*s)
		txt_c(t, *s++);
}

static void txt_u(struct txt *t, uint64_t v)
{
	char d[20];
	int k = 0;
	do {
		d[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		txt_c(t, d[--k]);
}

static void txt_hex(struct txt *t, const uint8_t *p, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (uint32_t i = 0; i < n; i++) {
		txt_c(t, hex[p[i] >> 4]);
		txt_c(t, hex[p[i] & 15]);
	}
}

static void txt_base64(struct txt *t, const uint8_t *p, uint32_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (uint32_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		txt_c(t, b64[v >> 18 & 63]);
		txt_c(t, b64[v >> 12 & 63]);
		txt_c(t, i + 1 < n ? b64[v >> 6 & 63] : '=');
		txt_c(t, i + 2 < n ? b64[v & 63] : '=');
	}
}

/*
 * A NodeId in the string notation of OPC 10000-6 §5.3.1.10: "ns=2;s=Pump.Speed",
 * "i=2258" (namespace 0 left out), "ns=1;g=<guid>", "ns=1;b=<base64>".
 * Long string and opaque identifiers are cut at OPCUA_MAX_ID bytes.
 */
static void op_nodeid(struct bld_op *op, const char *name, const struct ua_nodeid *n)
{
	struct txt t = { .n = 0 };
	if (n->ns) {
		txt_s(&t, "ns=");
		txt_u(&t, n->ns);
		txt_c(&t, ';');
	}
	uint32_t len = n->id_len < OPCUA_MAX_ID ? n->id_len : OPCUA_MAX_ID;
	switch (n->kind) {
	case NID_NUMERIC:
		txt_s(&t, "i=");
		txt_u(&t, n->num);
		break;
	case NID_STRING:
		txt_s(&t, "s=");
		for (uint32_t i = 0; i < len; i++)
			txt_c(&t, (char)n->id[i]);
		break;
	case NID_GUID: {
		/* Data1 (LE 4) - Data2 (LE 2) - Data3 (LE 2) - Data4[0..1] - Data4[2..7] (§5.2.2.6) */
		const uint8_t *g = n->id;
		const uint8_t d1[4] = { g[3], g[2], g[1], g[0] }, d2[2] = { g[5], g[4] }, d3[2] = { g[7], g[6] };
		txt_s(&t, "g=");
		txt_hex(&t, d1, 4);
		txt_c(&t, '-');
		txt_hex(&t, d2, 2);
		txt_c(&t, '-');
		txt_hex(&t, d3, 2);
		txt_c(&t, '-');
		txt_hex(&t, g + 8, 2);
		txt_c(&t, '-');
		txt_hex(&t, g + 10, 6);
		break;
	}
	case NID_OPAQUE:
		txt_s(&t, "b=");
		txt_base64(&t, n->id, len);
		break;
	}
	bld_op_text(op, name, t.b, t.n);
}

/* A String field as text, cut at `max` bytes; nothing for a null or empty string (no information). */
static void op_string(struct bld_op *op, const char *name, struct ua_bytes s, uint32_t max)
{
	if (s.len)
		bld_op_text(op, name, s.p, s.len < max ? s.len : max);
}

static void op_status(struct bld_op *op, const char *name, const char *name_field, uint32_t code)
{
	bld_op_uint(op, name, code);
	const char *s = status_name(code);
	if (s)
		bld_op_cstr(op, name_field, s);
}

/* ---- structured built-in types ---- */

static void ua_variant(struct ua *u, struct bld_op *op, unsigned depth);

/* ExtensionObject (§5.2.2.15): type NodeId | encoding (0 none, 1 ByteString body, 2 XmlElement body) | body. */
static struct ua_bytes ua_extobj(struct ua *u, struct ua_nodeid *type)
{
	struct ua_nodeid t = ua_nodeid(u, false);
	if (type)
		*type = t;
	uint8_t enc = bld_cur_u8(&u->c);
	struct ua_bytes body = { NULL, 0, true };
	if (!ua_ok(u))
		return body;
	if (enc == 1 || enc == 2)
		body = ua_string(u);
	else if (enc != 0)
		ua_fail(u);
	return body;
}

/* LocalizedText (§5.2.2.14): mask (1 locale, 2 text) | locale String | text String. */
static void ua_skip_loctext(struct ua *u)
{
	uint8_t m = bld_cur_u8(&u->c);
	if (m & 1)
		ua_skip_string(u);
	if (m & 2)
		ua_skip_string(u);
}

/*
 * DiagnosticInfo (§5.2.2.12): mask | symbolic id (0x01) | namespace uri (0x02) | locale (0x08)
 * | localized text (0x04) | additional info (0x10) | inner status (0x20) | inner diagnostic info (0x40).
 */
static void ua_skip_diag(struct ua *u, unsigned depth)
{
	uint8_t m = bld_cur_u8(&u->c);
	if (!ua_ok(u))
		return;
	if (depth >= OPCUA_MAX_DEPTH) {
		ua_fail(u);
		return;
	}
	ua_skip_fixed(u, (m & 1) + (m >> 1 & 1) + (m >> 3 & 1) + (m >> 2 & 1), 4);
	if (m & 0x10)
		ua_skip_string(u);
	if (m & 0x20)
		bld_cur_skip(&u->c, 4);
	if (m & 0x40)
		ua_skip_diag(u, depth + 1);
}

/*
 * DataValue (§5.2.2.17): mask | value Variant (0x01) | status (0x02) | source timestamp (0x04)
 * | source picoseconds (0x10) | server timestamp (0x08) | server picoseconds (0x20).
 * With an op, the status and the value go into the open object.
 */
static void ua_datavalue(struct ua *u, struct bld_op *op, unsigned depth)
{
	uint8_t m = bld_cur_u8(&u->c);
	if (!ua_ok(u))
		return;
	if (depth >= OPCUA_MAX_DEPTH) {
		ua_fail(u);
		return;
	}
	if (m & 0x01)
		ua_variant(u, op, depth + 1);
	if (m & 0x02) {
		uint32_t st = bld_cur_le32(&u->c);
		if (op && ua_ok(u))
			bld_op_uint(op, "status", st);
	}
	if (m & 0x04)
		bld_cur_skip(&u->c, 8);
	if (m & 0x10)
		bld_cur_skip(&u->c, 2);
	if (m & 0x08)
		bld_cur_skip(&u->c, 8);
	if (m & 0x20)
		bld_cur_skip(&u->c, 2);
}

/* Fixed sizes of the built-in types (§5.1.2 Table 1 ids), 0 for variable-size ones. */
static const uint8_t builtin_size[26] = {
	[1] = 1, [2] = 1, [3] = 1, [4] = 2, [5] = 2, [6] = 4, [7] = 4, [8] = 8, [9] = 8, [10] = 4, [11] = 8,
	[13] = 8, [14] = 16, [19] = 4,
};

/* One value of built-in type `type`; a scalar with an op is shown as "value" when it is a number or text. */
static void ua_builtin(struct ua *u, uint8_t type, struct bld_op *op, unsigned depth)
{
	if (builtin_size[type]) {
		const uint8_t *p = bld_cur_bytes(&u->c, builtin_size[type]);
		if (!p || !op)
			return;
		uint64_t v = 0;
		for (int i = builtin_size[type] - 1; i >= 0; i--)
			v = v << 8 | p[i];
		switch (type) {
		case 1:
			bld_op_bool(op, "value", v != 0);
			break;
		case 2:
			bld_op_int(op, "value", (int8_t)v);
			break;
		case 4:
			bld_op_int(op, "value", (int16_t)v);
			break;
		case 6:
			bld_op_int(op, "value", (int32_t)v);
			break;
		case 8:
			bld_op_int(op, "value", (int64_t)v);
			break;
		case 3:
		case 5:
		case 7:
		case 9:
		case 19:
			bld_op_uint(op, "value", v);
			break;
		case 10: { /* Float: IEEE 754 single, little-endian (OPC 10000-6 §5.2.2.3) */
			uint32_t bits = (uint32_t)v;
			float f;
			memcpy(&f, &bits, sizeof(f));
			bld_op_real32(op, "value", f);
			break;
		}
		case 11: { /* Double */
			double d;
			memcpy(&d, &v, sizeof(d));
			bld_op_real(op, "value", d);
			break;
		}
		default:
			break; /* DateTime, Guid: the type only */
		}
		return;
	}
	switch (type) {
	case 12: { /* String */
		struct ua_bytes s = ua_string(u);
		if (op)
			op_string(op, "value", s, OPCUA_MAX_NAME);
		break;
	}
	case 15: /* ByteString */
	case 16: /* XmlElement */
		ua_skip_string(u);
		break;
	case 17: /* NodeId */
	case 18: { /* ExpandedNodeId */
		struct ua_nodeid n = ua_nodeid(u, type == 18);
		if (op && ua_ok(u))
			op_nodeid(op, "value", &n);
		break;
	}
	case 20: /* QualifiedName: namespace(2) | name */
		bld_cur_skip(&u->c, 2);
		ua_skip_string(u);
		break;
	case 21:
		ua_skip_loctext(u);
		break;
	case 22:
		(void)ua_extobj(u, NULL);
		break;
	case 23:
		ua_datavalue(u, NULL, depth + 1);
		break;
	case 24:
		ua_variant(u, NULL, depth + 1);
		break;
	case 25:
		ua_skip_diag(u, depth + 1);
		break;
	default:
		ua_fail(u); /* 26..63 are not built-in types */
		break;
	}
}

/*
 * Variant (§5.2.2.16): mask (bits 0-5 built-in type, bit 6 array dimensions follow, bit 7 array)
 * | value or Int32 length + values | dimensions (Int32 count + Int32 each).
 * With an op: "value_type", then "value" (scalar) or "array_length".
 */
static void ua_variant(struct ua *u, struct bld_op *op, unsigned depth)
{
	uint8_t m = bld_cur_u8(&u->c);
	if (!ua_ok(u))
		return;
	if (depth >= OPCUA_MAX_DEPTH) {
		ua_fail(u);
		return;
	}
	uint8_t type = m & 0x3f;
	if (type > 25) {
		ua_fail(u);
		return;
	}
	if (op)
		bld_op_uint(op, "value_type", type);
	if (!(m & 0x80)) {
		if (type)
			ua_builtin(u, type, op, depth);
		return;
	}
	uint32_t n = ua_array_len(u);
	if (op && ua_ok(u))
		bld_op_uint(op, "array_length", n);
	if (builtin_size[type])
		ua_skip_fixed(u, n, builtin_size[type]);
	else if (type != 0) /* a null element has no bytes */
		for (uint32_t i = 0; i < n && ua_ok(u); i++) /* every element takes at least a byte */
			ua_builtin(u, type, NULL, depth);
	if (m & 0x40)
		ua_skip_fixed(u, ua_array_len(u), 4);
}

/* ---- per-flow state ---- */

static struct opcua_channel *find_channel(struct opcua_state *st, uint32_t id)
{
	for (int i = 0; i < OPCUA_CHANNELS; i++)
		if (st->ch[i].used && st->ch[i].id == id)
			return &st->ch[i];
	return NULL;
}

static struct opcua_channel *add_channel(struct opcua_state *st, uint32_t id)
{
	struct opcua_channel *c = find_channel(st, id);
	if (c)
		return c;
	for (int i = 0; i < OPCUA_CHANNELS; i++)
		if (!st->ch[i].used) {
			c = &st->ch[i];
			break;
		}
	if (!c) {
		c = &st->ch[st->ch_next];
		st->ch_next = (uint8_t)((st->ch_next + 1) % OPCUA_CHANNELS);
	}
	*c = (struct opcua_channel){ .id = id, .used = true };
	return c;
}

/* The bytes come from the UA client: the side that sent HEL, else the TCP client (no reverse connect seen). */
static bool from_client(const struct bld_parse_ctx *pc, const struct opcua_state *st)
{
	return st->hel_seen ? pc->to_server == st->hel_to_server : pc->to_server;
}

/* ---- service headers and parameters (OPC 10000-4) ---- */

struct msg {
	struct bld_parse_ctx *pc;
	struct opcua_state *st;
	struct bld_op *op;
	struct ua *u;
	uint32_t channel_id;
	uint32_t request_id;
	bool is_opn;
	bool security_none_raised;
};

/*
 * RequestHeader (OPC 10000-4 §7.28, binary §5.2.6): authentication token NodeId | timestamp DateTime
 * | request handle | return diagnostics | audit entry id String | timeout hint | additional header
 * ExtensionObject.  Returns the request handle.
 */
static uint32_t request_header(struct msg *m)
{
	struct ua *u = m->u;
	struct ua_nodeid tok = ua_nodeid(u, false);
	if (!ua_ok(u))
		return 0;
	op_nodeid(m->op, "authentication_token", &tok);
	uint64_t ts = bld_cur_le32(&u->c);
	ts |= (uint64_t)bld_cur_le32(&u->c) << 32;
	uint32_t handle = bld_cur_le32(&u->c);
	uint32_t diag = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return 0;
	bld_op_uint(m->op, "timestamp", ts);
	bld_op_uint(m->op, "request_handle", handle);
	bld_op_uint(m->op, "return_diagnostics", diag);
	struct ua_bytes audit = ua_string(u);
	uint32_t timeout = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return handle;
	op_string(m->op, "audit_entry_id", audit, OPCUA_MAX_NAME);
	bld_op_uint(m->op, "timeout_hint", timeout);
	struct ua_nodeid addl;
	(void)ua_extobj(u, &addl);
	if (ua_ok(u) && (addl.num || addl.ns || addl.kind != NID_NUMERIC))
		op_nodeid(m->op, "additional_header", &addl);
	return handle;
}

/*
 * ResponseHeader (OPC 10000-4 §7.29): timestamp DateTime | request handle | service result StatusCode
 * | service diagnostics DiagnosticInfo | string table String[] | additional header ExtensionObject.
 */
static void response_header(struct msg *m, uint32_t *handle, uint32_t *result, bool *have)
{
	struct ua *u = m->u;
	uint64_t ts = bld_cur_le32(&u->c);
	ts |= (uint64_t)bld_cur_le32(&u->c) << 32;
	*handle = bld_cur_le32(&u->c);
	*result = bld_cur_le32(&u->c);
	*have = ua_ok(u);
	if (!*have)
		return;
	bld_op_uint(m->op, "timestamp", ts);
	bld_op_uint(m->op, "request_handle", *handle);
	op_status(m->op, "service_result", "service_result_name", *result);
	ua_skip_diag(u, 0);
	uint32_t n = ua_array_len(u);
	for (uint32_t i = 0; i < n && ua_ok(u); i++)
		ua_skip_string(u);
	(void)ua_extobj(u, NULL);
}

/* A list's element count when the list was cut at OPCUA_MAX_ITEMS (and the capacity event, once per PDU). */
static void list_cut(struct msg *m, const char *count_name, uint32_t n, bool *raised)
{
	if (n <= OPCUA_MAX_ITEMS)
		return;
	bld_op_uint(m->op, count_name, n);
	if (!*raised) {
		bld_event(m->pc, BLD_EVENT_APP_ITEMS_CAPACITY);
		*raised = true;
	}
}

static const char *const security_mode_names[4] = { "Invalid", "None", "Sign", "SignAndEncrypt" };

/*
 * OpenSecureChannelRequest (OPC 10000-4 §5.5.2): client protocol version | request type
 * (0 Issue, 1 Renew) | security mode (1 None, 2 Sign, 3 SignAndEncrypt) | client nonce | requested lifetime.
 */
static void opn_request(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t version = bld_cur_le32(&u->c);
	uint32_t type = bld_cur_le32(&u->c);
	uint32_t mode = bld_cur_le32(&u->c);
	struct ua_bytes nonce = ua_string(u);
	uint32_t lifetime = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return;
	bld_op_uint(m->op, "client_protocol_version", version);
	bld_op_uint(m->op, "request_type", type);
	if (type <= 1)
		bld_op_cstr(m->op, "request_type_name", type ? "Renew" : "Issue");
	bld_op_uint(m->op, "security_mode", mode);
	if (mode <= 3)
		bld_op_cstr(m->op, "security_mode_name", security_mode_names[mode]);
	bld_op_uint(m->op, "client_nonce_length", nonce.len);
	bld_op_uint(m->op, "requested_lifetime", lifetime);
	if (mode == 1 && !m->security_none_raised) {
		bld_event(m->pc, BLD_EVENT_OPCUA_SECURITY_NONE);
		m->security_none_raised = true;
	}
}

/* OpenSecureChannelResponse: server protocol version | ChannelSecurityToken (channel id, token id,
 * created at DateTime, revised lifetime) | server nonce. */
static void opn_response(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t version = bld_cur_le32(&u->c);
	uint32_t channel = bld_cur_le32(&u->c);
	uint32_t token = bld_cur_le32(&u->c);
	bld_cur_skip(&u->c, 8);
	uint32_t lifetime = bld_cur_le32(&u->c);
	struct ua_bytes nonce = ua_string(u);
	if (!ua_ok(u))
		return;
	bld_op_uint(m->op, "server_protocol_version", version);
	bld_op_uint(m->op, "channel_id", channel);
	bld_op_uint(m->op, "token_id", token);
	bld_op_uint(m->op, "revised_lifetime", lifetime);
	bld_op_uint(m->op, "server_nonce_length", nonce.len);
}

/* The fields a ReadValueId and a WriteValue share: which attribute of which node, and which part of it. */
static void put_node_attribute(struct bld_op *op, const struct ua_nodeid *node, uint32_t attr, struct ua_bytes range)
{
	op_nodeid(op, "node_id", node);
	bld_op_uint(op, "attribute_id", attr);
	op_string(op, "index_range", range, OPCUA_MAX_NAME);
}

/* ReadRequest (§5.10.2): max age Double | timestamps to return | nodes to read ReadValueId[]
 * (node id | attribute id | index range String | data encoding QualifiedName). */
static void read_request(struct msg *m)
{
	struct ua *u = m->u;
	bld_cur_skip(&u->c, 8);
	uint32_t ttr = bld_cur_le32(&u->c);
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bld_op_uint(m->op, "timestamps_to_return", ttr);
	bool raised = false;
	bld_op_list(m->op, "nodes_to_read");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		struct ua_nodeid node = ua_nodeid(u, false);
		uint32_t attr = bld_cur_le32(&u->c);
		struct ua_bytes range = ua_string(u);
		bld_cur_skip(&u->c, 2);
		ua_skip_string(u);
		if (!ua_ok(u))
			break;
		bld_op_object(m->op, NULL);
		put_node_attribute(m->op, &node, attr, range);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "nodes_to_read_count", n, &raised);
}

/* WriteRequest (§5.10.4): nodes to write WriteValue[] (node id | attribute id | index range | DataValue). */
static void write_request(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bool raised = false;
	bld_op_list(m->op, "nodes_to_write");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		struct ua_nodeid node = ua_nodeid(u, false);
		uint32_t attr = bld_cur_le32(&u->c);
		struct ua_bytes range = ua_string(u);
		if (!ua_ok(u))
			break;
		bld_op_object(m->op, NULL);
		put_node_attribute(m->op, &node, attr, range);
		ua_datavalue(u, m->op, 0);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "nodes_to_write_count", n, &raised);
}

/* CallRequest (§5.11.2): methods to call CallMethodRequest[] (object id | method id | input arguments
 * Variant[]). */
static void call_request(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bool raised = false;
	bld_op_list(m->op, "methods_to_call");
	/* An element is shown as far as it decodes: the object of a call whose method id is garbled. */
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		struct ua_nodeid object = ua_nodeid(u, false);
		if (!ua_ok(u))
			break;
		bld_op_object(m->op, NULL);
		op_nodeid(m->op, "object_id", &object);
		struct ua_nodeid method = ua_nodeid(u, false);
		if (ua_ok(u))
			op_nodeid(m->op, "method_id", &method);
		uint32_t args = ua_array_len(u);
		if (ua_ok(u))
			bld_op_uint(m->op, "input_argument_count", args);
		bld_op_end(m->op);
		for (uint32_t k = 0; k < args && ua_ok(u); k++)
			ua_variant(u, NULL, 0);
	}
	bld_op_end(m->op);
	list_cut(m, "methods_to_call_count", n, &raised);
}

/* BrowseRequest (§5.8.2): view (view id NodeId | timestamp | view version) | requested max references
 * per node | nodes to browse BrowseDescription[] (node id | browse direction | reference type id
 * | include subtypes Boolean | node class mask | result mask). */
static void browse_request(struct msg *m)
{
	struct ua *u = m->u;
	(void)ua_nodeid(u, false);
	bld_cur_skip(&u->c, 12);
	uint32_t max_refs = bld_cur_le32(&u->c);
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bld_op_uint(m->op, "requested_max_references_per_node", max_refs);
	bool raised = false;
	bld_op_list(m->op, "nodes_to_browse");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		struct ua_nodeid node = ua_nodeid(u, false);
		uint32_t direction = bld_cur_le32(&u->c);
		(void)ua_nodeid(u, false);
		bld_cur_skip(&u->c, 9);
		if (!ua_ok(u))
			break;
		bld_op_object(m->op, NULL);
		op_nodeid(m->op, "node_id", &node);
		bld_op_uint(m->op, "browse_direction", direction);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "nodes_to_browse_count", n, &raised);
}

/*
 * CreateSessionRequest (§5.6.2): client description ApplicationDescription (application uri | product
 * uri | application name LocalizedText | application type | gateway server uri | discovery profile uri
 * | discovery urls String[]) | server uri | endpoint url | session name | client nonce | client
 * certificate | requested session timeout Double | max response message size.
 */
static void create_session_request(struct msg *m)
{
	struct ua *u = m->u;
	struct ua_bytes app_uri = ua_string(u);
	ua_skip_string(u);
	ua_skip_loctext(u);
	uint32_t app_type = bld_cur_le32(&u->c);
	ua_skip_string(u);
	ua_skip_string(u);
	uint32_t n = ua_array_len(u);
	for (uint32_t i = 0; i < n && ua_ok(u); i++)
		ua_skip_string(u);
	ua_skip_string(u);
	struct ua_bytes endpoint = ua_string(u);
	struct ua_bytes session = ua_string(u);
	ua_skip_string(u);
	struct ua_bytes cert = ua_string(u);
	if (!ua_ok(u))
		return;
	op_string(m->op, "application_uri", app_uri, OPCUA_MAX_URL);
	bld_op_uint(m->op, "application_type", app_type);
	op_string(m->op, "endpoint_url", endpoint, OPCUA_MAX_URL);
	op_string(m->op, "session_name", session, OPCUA_MAX_NAME);
	bld_op_uint(m->op, "client_certificate_length", cert.len);
}

/* CreateSessionResponse (§5.6.2): session id NodeId | authentication token NodeId | ... */
static void create_session_response(struct msg *m)
{
	struct ua_nodeid id = ua_nodeid(m->u, false);
	if (ua_ok(m->u))
		op_nodeid(m->op, "session_id", &id);
}

/* DefaultBinary encoding ids of the UserIdentityToken types (OPC 10000-4 §7.36). */
enum { TOKEN_ANONYMOUS = 321, TOKEN_USER_NAME = 324, TOKEN_X509 = 327, TOKEN_ISSUED = 940 };

static const char *token_type_name(uint64_t t)
{
	return t == TOKEN_ANONYMOUS   ? "AnonymousIdentityToken"
	       : t == TOKEN_USER_NAME ? "UserNameIdentityToken"
	       : t == TOKEN_X509      ? "X509IdentityToken"
	       : t == TOKEN_ISSUED    ? "IssuedIdentityToken"
				      : NULL;
}

/*
 * ActivateSessionRequest (§5.6.3): client signature SignatureData (algorithm String | signature
 * ByteString) | client software certificates SignedSoftwareCertificate[] (2 ByteStrings) | locale ids
 * String[] | user identity token ExtensionObject | user token signature SignatureData.
 * UserNameIdentityToken body: policy id | user name | password ByteString | encryption algorithm.
 */
static void activate_session_request(struct msg *m)
{
	struct ua *u = m->u;
	ua_skip_string(u);
	ua_skip_string(u);
	uint32_t n = ua_array_len(u);
	for (uint32_t i = 0; i < n && ua_ok(u); i++) {
		ua_skip_string(u);
		ua_skip_string(u);
	}
	n = ua_array_len(u);
	for (uint32_t i = 0; i < n && ua_ok(u); i++)
		ua_skip_string(u);
	struct ua_nodeid type;
	struct ua_bytes body = ua_extobj(u, &type);
	if (!ua_ok(u))
		return;
	uint32_t t = type.kind == NID_NUMERIC && type.ns == 0 ? type.num : 0;
	bld_op_uint(m->op, "user_token_type", t);
	const char *name = token_type_name(t);
	if (name)
		bld_op_cstr(m->op, "user_token_type_name", name);
	if (body.null)
		return;
	/* The token's body is its own length-bounded structure: a short one is not the message's fault. */
	struct ua tu = { .c = bld_cur_make(body.p, body.len) };
	struct ua_bytes policy = ua_string(&tu);
	if (!ua_ok(&tu))
		return;
	op_string(m->op, "user_token_policy_id", policy, OPCUA_MAX_NAME);
	if (t != TOKEN_USER_NAME)
		return;
	struct ua_bytes user = ua_string(&tu);
	struct ua_bytes password = ua_string(&tu);
	struct ua_bytes algorithm = ua_string(&tu);
	if (!ua_ok(&tu))
		return;
	op_string(m->op, "user_name", user, OPCUA_MAX_NAME);
	op_string(m->op, "encryption_algorithm", algorithm, OPCUA_MAX_URL);
	/* OPC 10000-4 §7.36.4: without an encryption algorithm the password travels as plain bytes. */
	if (password.len && algorithm.len == 0)
		bld_event(m->pc, BLD_EVENT_OPCUA_CLEARTEXT_PASSWORD);
}

/* ReadResponse (§5.10.2): results DataValue[] | diagnostic infos. */
static void read_response(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bool raised = false;
	bld_op_list(m->op, "results");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		bld_op_object(m->op, NULL);
		ua_datavalue(u, m->op, 0);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "results_count", n, &raised);
}

/* WriteResponse (§5.10.4): results StatusCode[] | diagnostic infos. */
static void write_response(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bool raised = false;
	bld_op_list(m->op, "results");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS; i++) {
		uint32_t st = bld_cur_le32(&u->c);
		if (!ua_ok(u))
			break;
		bld_op_uint(m->op, NULL, st);
	}
	bld_op_end(m->op);
	list_cut(m, "results_count", n, &raised);
}

/* CallResponse (§5.11.2): results CallMethodResult[] (status code | input argument results StatusCode[]
 * | input argument diagnostic infos | output arguments Variant[]). */
static void call_response(struct msg *m)
{
	struct ua *u = m->u;
	uint32_t n = ua_array_len(u);
	if (!ua_ok(u))
		return;
	bool raised = false;
	bld_op_list(m->op, "results");
	for (uint32_t i = 0; i < n && i < OPCUA_MAX_ITEMS && ua_ok(u); i++) {
		uint32_t st = bld_cur_le32(&u->c);
		if (!ua_ok(u))
			break;
		bld_op_uint(m->op, NULL, st);
		ua_skip_fixed(u, ua_array_len(u), 4);
		uint32_t k = ua_array_len(u);
		for (uint32_t j = 0; j < k && ua_ok(u); j++)
			ua_skip_diag(u, 0);
		k = ua_array_len(u);
		for (uint32_t j = 0; j < k && ua_ok(u); j++)
			ua_variant(u, NULL, 0);
	}
	bld_op_end(m->op);
	list_cut(m, "results_count", n, &raised);
}

/* Whether the bytes at the cursor look like a plain service body: a sequence header, then the
 * type NodeId (two-byte, four-byte or numeric form) of a known service. */
static bool looks_plain(const struct bld_cur *c)
{
	struct ua u = { .c = *c };
	bld_cur_skip(&u.c, 8);
	const uint8_t *enc = bld_cur_peek(&u.c, 1);
	if (!enc || *enc > 2)
		return false;
	struct ua_nodeid t = ua_nodeid(&u, true);
	return ua_ok(&u) && find_service(t.ns, t.num);
}

/*
 * The pairing key (OPC 10000-4 §7.28: the request handle is the client's, echoed in the response):
 * the channel and the request handle; for OPN (its response or ServiceFault) the request id, since
 * an Issue request has no channel id yet.
 */
static uint64_t txn_key(const struct msg *m, uint32_t handle)
{
	return m->is_opn ? OPCUA_OPN_KEY | m->request_id : (uint64_t)m->channel_id << 32 | handle;
}

/*
 * The service in the first chunk of a plain OPN/MSG/CLO: type id, header, parameters.  The op's
 * direction is settled here: the service's name says request or response.
 */
static void service(struct msg *m)
{
	struct ua *u = m->u;
	struct bld_parse_ctx *pc = m->pc;
	struct ua_nodeid t = ua_nodeid(u, true);
	if (!ua_ok(u))
		return;
	uint32_t id = t.kind == NID_NUMERIC ? t.num : 0;
	const struct service *s = t.kind == NID_NUMERIC ? find_service(t.ns, t.num) : NULL;
	bool request = s ? s->request : from_client(pc, m->st);
	m->op->dir = request ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
	bld_op_uint(m->op, "service_type", id);
	if (t.ns)
		bld_op_uint(m->op, "service_namespace", t.ns);
	if (!s)
		return; /* a vendor or unknown type: its header form is not known */
	bld_op_cstr(m->op, "service_name", s->name);
	if (request) {
		uint32_t handle = request_header(m);
		if (!ua_ok(u))
			return;
		/* A CLO is never answered (OPC 10000-4 §5.5.3): nothing to pair. */
		if (s->id != SVC_CLO_REQ)
			bld_txn_request(pc, &m->st->txn, txn_key(m, handle), s->id);
		switch (s->id) {
		case SVC_OPN_REQ:
			opn_request(m);
			break;
		case SVC_READ_REQ:
			read_request(m);
			break;
		case SVC_WRITE_REQ:
			write_request(m);
			break;
		case SVC_CALL_REQ:
			call_request(m);
			break;
		case SVC_BROWSE_REQ:
			browse_request(m);
			break;
		case SVC_CREATE_SESSION_REQ:
			create_session_request(m);
			break;
		case SVC_ACTIVATE_SESSION_REQ:
			activate_session_request(m);
			break;
		default:
			break;
		}
		return;
	}
	uint32_t handle, result;
	bool have;
	response_header(m, &handle, &result, &have);
	if (!have)
		return;
	bool paired = bld_txn_response(pc, &m->st->txn, txn_key(m, handle), NULL);
	if (!paired)
		bld_event(pc, BLD_EVENT_OPCUA_RESPONSE_WITHOUT_REQUEST);
	if (status_is_bad(result))
		bld_event(pc, BLD_EVENT_OPCUA_BAD_STATUS);
	/* security_none once per channel opening: on the request, or here when the request was not seen */
	if (paired && m->is_opn)
		m->security_none_raised = true;
	if (!ua_ok(u))
		return;
	switch (s->id) {
	case SVC_OPN_RSP:
		opn_response(m);
		break;
	case SVC_READ_RSP:
		read_response(m);
		break;
	case SVC_WRITE_RSP:
		write_response(m);
		break;
	case SVC_CALL_RSP:
		call_response(m);
		break;
	case SVC_CREATE_SESSION_RSP:
		create_session_response(m);
		break;
	default:
		break;
	}
}

/* ---- message types ---- */

/* HEL and ACK (§7.1.2.3, §7.1.2.4): the five limits, then HEL's endpoint URL. */
static void hello_ack(struct bld_parse_ctx *pc, struct opcua_state *st, struct ua *u, enum msg_type type)
{
	struct bld_op *op = pc->op;
	uint32_t version = bld_cur_le32(&u->c);
	uint32_t rbs = bld_cur_le32(&u->c);
	uint32_t sbs = bld_cur_le32(&u->c);
	uint32_t mms = bld_cur_le32(&u->c);
	uint32_t mcc = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return;
	struct ua_bytes url = { NULL, 0, true };
	if (type == T_HEL)
		url = ua_string(u);
	bld_op_uint(op, "protocol_version", version);
	bld_op_uint(op, "receive_buffer_size", rbs);
	bld_op_uint(op, "send_buffer_size", sbs);
	bld_op_uint(op, "max_message_size", mms);
	bld_op_uint(op, "max_chunk_count", mcc);
	op_string(op, "endpoint_url", url, OPCUA_MAX_URL);
	/*
	 * State (§7.1.3): HEL opens the connection once, from the client; the server answers ACK.  The
	 * receive buffer each side announces bounds the chunks travelling towards it.
	 */
	if (type == T_HEL) {
		if (st->hel_seen)
			bld_event(pc, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE);
		st->hel_seen = true;
		st->hel_to_server = pc->to_server;
	} else if (!st->hel_seen || pc->to_server == st->hel_to_server) {
		bld_event(pc, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE);
	}
	st->limit[!pc->to_server] = rbs;
	st->max_message[!pc->to_server] = mms;
}

/* OPN, MSG, CLO (§6.7.2): channel id, security header, then the sequence header and body when readable. */
static void secure(struct bld_parse_ctx *pc, struct opcua_state *st, struct ua *u, enum msg_type type,
		   uint8_t chunk)
{
	struct bld_op *op = pc->op;
	struct msg m = { .pc = pc, .st = st, .op = op, .u = u, .is_opn = type == T_OPN };
	m.channel_id = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return;
	bld_op_uint(op, "secure_channel_id", m.channel_id);
	struct opcua_channel *ch = find_channel(st, m.channel_id);
	bool plain;
	if (type == T_OPN) {
		struct ua_bytes uri = ua_string(u);
		struct ua_bytes cert = ua_string(u);
		struct ua_bytes thumb = ua_string(u);
		if (!ua_ok(u))
			return;
		op_string(op, "security_policy_uri", uri, OPCUA_MAX_URL);
		bld_op_uint(op, "sender_certificate_length", cert.len);
		bld_op_uint(op, "receiver_thumbprint_length", thumb.len);
		bool none = uri.len == sizeof(policy_none) - 1 && memcmp(uri.p, policy_none, uri.len) == 0;
		/* Channel 0 is an Issue request: the id comes with the response. */
		if (m.channel_id) {
			ch = add_channel(st, m.channel_id);
			ch->policy_none = none;
		}
		plain = none || looks_plain(&u->c);
		/* §6.7.2.3: the policy None also means no signature and no encryption for the whole channel. */
		if (none && from_client(pc, st)) {
			bld_event(pc, BLD_EVENT_OPCUA_SECURITY_NONE);
			m.security_none_raised = true;
		}
	} else {
		uint32_t token = bld_cur_le32(&u->c);
		if (!ua_ok(u))
			return;
		bld_op_uint(op, "token_id", token);
		plain = (ch && (ch->policy_none || ch->plain_seen)) || looks_plain(&u->c);
	}
	bld_op_bool(op, "encrypted", !plain);
	if (!plain)
		return;
	uint32_t seq = bld_cur_le32(&u->c);
	m.request_id = bld_cur_le32(&u->c);
	if (!ua_ok(u))
		return;
	bld_op_uint(op, "sequence_number", seq);
	bld_op_uint(op, "request_id", m.request_id);
	/* Remember a plain channel (its OPN may be before the capture): its later chunks, which begin
	 * mid-message and so look like nothing, are plain too. */
	if (!ch && m.channel_id)
		ch = add_channel(st, m.channel_id);
	if (ch)
		ch->plain_seen = true;
	/* §6.7.2.2: the chunks of one message share its request id; only the first holds the service. */
	int d = pc->to_server;
	bool first = !(st->chunking[d] && st->chunk_request_id[d] == m.request_id);
	st->chunking[d] = chunk == 'C';
	st->chunk_request_id[d] = m.request_id;
	if (chunk == 'A') {
		/* §6.7.3: an abort chunk's body is an error code and a reason */
		uint32_t error = bld_cur_le32(&u->c);
		struct ua_bytes reason = ua_string(u);
		if (!ua_ok(u))
			return;
		op_status(op, "error", "error_name", error);
		op_string(op, "reason", reason, OPCUA_MAX_URL);
		bld_event(pc, BLD_EVENT_OPCUA_ABORT);
		return;
	}
	if (!first)
		return;
	service(&m);
	/* §6.7.4: a channel opened with MessageSecurityMode None is as open as policy None. */
	if (type == T_OPN && !m.security_none_raised && ch && ch->policy_none && !from_client(pc, st))
		bld_event(pc, BLD_EVENT_OPCUA_SECURITY_NONE);
}

/*
 * §7.1.2.3/§7.1.2.4: MaxMessageSize bounds a whole message, all its chunks' bodies (0: no limit).  The
 * chunk type is in clear even on an encrypted channel, so the count needs no decoding; the body is
 * taken as the chunk less its MSG headers (8 + channel id 4 + token id 4 + sequence header 8), so a
 * signature is counted too.  Raised once per message, on the chunk that crosses the limit.
 */
static void message_size(struct bld_parse_ctx *pc, struct opcua_state *st, uint32_t size, uint8_t chunk)
{
	int d = pc->to_server;
	uint32_t body = size > 24 ? size - 24 : 0;
	uint32_t before = st->message_bytes[d];
	st->message_bytes[d] = before + body < before ? UINT32_MAX : before + body;
	uint32_t max = st->max_message[d];
	if (max && st->message_bytes[d] > max && before <= max)
		bld_event(pc, BLD_EVENT_OPCUA_BAD_LENGTH);
	if (chunk != 'C')
		st->message_bytes[d] = 0;
}

static struct bld_parse_result opcua_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct opcua_state *st = pc->state;
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *h = bld_cur_bytes(&c, 3);
	if (!h)
		return bld_parse_incomplete(0);
	enum msg_type type = T_NONE;
	for (int i = 0; i < T_NONE; i++)
		if (memcmp(h, msg_types[i], 3) == 0)
			type = (enum msg_type)i;
	if (type == T_NONE) {
		bld_event(pc, BLD_EVENT_OPCUA_BAD_TYPE);
		return bld_parse_error(1);
	}
	uint8_t chunk = bld_cur_u8(&c);
	uint32_t size = bld_cur_le32(&c);
	if (c.err)
		return bld_parse_incomplete(0);
	/* §7.1.2.2: the size counts the 8-byte header; beyond 16 MiB no stack sends a chunk (the probe's bound). */
	if (size < 8 || size > OPCUA_MAX_SIZE) {
		bld_event(pc, BLD_EVENT_OPCUA_BAD_LENGTH);
		return bld_parse_error(1);
	}
	if (size > len)
		return bld_parse_incomplete(size);

	/* A whole chunk: framed, so whatever is wrong inside is an event on an OK. */
	struct bld_op *op = bld_op_begin(pc, from_client(pc, st) ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	bld_op_text(op, "message_type", h, 3);
	bld_op_text(op, "chunk_type", &chunk, 1);
	bld_op_uint(op, "message_size", size);
	struct ua u = { .c = bld_cur_make(data + 8, size - 8) };
	bool secure_type = type == T_OPN || type == T_MSG || type == T_CLO;
	/* §7.1.2.2: F, C, A; the connection messages are always single (F). */
	if ((chunk != 'F' && chunk != 'C' && chunk != 'A') || (!secure_type && chunk != 'F'))
		bld_event(pc, BLD_EVENT_OPCUA_BAD_CHUNK);
	if (st->limit[pc->to_server] && size > st->limit[pc->to_server])
		bld_event(pc, BLD_EVENT_OPCUA_BAD_LENGTH);
	if (type == T_MSG)
		message_size(pc, st, size, chunk);
	switch (type) {
	case T_HEL:
		op->dir = BLD_OP_REQUEST;
		hello_ack(pc, st, &u, type);
		break;
	case T_ACK:
		op->dir = BLD_OP_RESPONSE;
		hello_ack(pc, st, &u, type);
		break;
	case T_ERR: {
		uint32_t error = bld_cur_le32(&u.c);
		if (ua_ok(&u))
			op_status(op, "error", "error_name", error);
		op_string(op, "reason", ua_string(&u), OPCUA_MAX_URL);
		bld_event(pc, BLD_EVENT_OPCUA_ERROR_MESSAGE);
		break;
	}
	case T_RHE: {
		op->dir = BLD_OP_REQUEST;
		struct ua_bytes server = ua_string(&u);
		struct ua_bytes url = ua_string(&u);
		op_string(op, "server_uri", server, OPCUA_MAX_URL);
		op_string(op, "endpoint_url", url, OPCUA_MAX_URL);
		break;
	}
	default:
		secure(pc, st, &u, type, chunk);
		break;
	}
	/* A first chunk C ends inside its service's parameters: the rest is in the next chunk. */
	if (u.bad)
		bld_event(pc, BLD_EVENT_OPCUA_MALFORMED);
	else if (u.c.err && chunk != 'C')
		bld_event(pc, BLD_EVENT_OPCUA_TRUNCATED);
	bld_op_emit(pc);
	return bld_parse_ok(size);
}

static enum bld_probe opcua_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *h = bld_cur_bytes(&c, 8);
	if (!h)
		return BLD_PROBE_NO;
	bool known = false;
	for (size_t i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++)
		known |= memcmp(h, msg_types[i], 3) == 0;
	if (!known || (h[3] != 'F' && h[3] != 'C' && h[3] != 'A'))
		return BLD_PROBE_NO;
	uint32_t size = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	/* HEL is at least 32 bytes; any chunk is at least its 8-byte header. */
	if (size < 8 || size > OPCUA_MAX_SIZE)
		return BLD_PROBE_NO;
	return BLD_PROBE_MATCH;
}

/* Free what the request tables hold. */
static void opcua_state_fini(void *state)
{
	struct opcua_state *st = state;
	bld_txn_fini(&st->txn);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

/* The service_name an op shows: standard services are in namespace 0, whose ids fit 16 bits. */
static const char *field_service_name(uint64_t v)
{
	const struct service *s = v <= UINT16_MAX ? find_service(0, (uint32_t)v) : NULL;
	return s ? s->name : NULL;
}

/* MessageSecurityMode (OPC 10000-4 §7.20): None 1 < Sign 2 < SignAndEncrypt 3, 0 Invalid. */
static const char *field_security_mode_name(uint64_t v)
{
	return v < sizeof(security_mode_names) / sizeof(security_mode_names[0]) ? security_mode_names[v] : NULL;
}

/*
 * A service is only seen in plain chunks: a signed-and-encrypted channel's
 * MSG chunks carry message_type and encrypted, no service_type.
 */
static const struct bld_field_spec opcua_fields[] = {
	{ .key = "service", .kind = BLD_FIELD_SET, .path = "service_type", .max = UINT16_MAX,
	  .name = field_service_name, .doc = "service encoding id, e.g. ReadRequest (631), WriteRequest (673)" },
	{ .key = "message_type", .kind = BLD_FIELD_TEXT, .path = "message_type",
	  .doc = "UA TCP message type: HEL, ACK, OPN, MSG, CLO, ERR, RHE" },
	{ .key = "security_mode", .kind = BLD_FIELD_MIN, .path = "security_mode", .max = 3,
	  .name = field_security_mode_name,
	  .doc = "least security mode an OpenSecureChannelRequest may ask for: None < Sign < SignAndEncrypt" },
	{ .key = "security_policy", .kind = BLD_FIELD_TEXT, .path = "security_policy_uri",
	  .doc = "security policy URI of OPN chunks, e.g. http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256" },
	{ .key = "endpoint_url", .kind = BLD_FIELD_TEXT, .path = "endpoint_url",
	  .doc = "endpoint URL of HEL, RHE and CreateSessionRequest" },
	{ .key = "user_token_type", .kind = BLD_FIELD_SET, .path = "user_token_type", .max = UINT16_MAX,
	  .name = token_type_name, .doc = "ActivateSessionRequest identity token, e.g. UserNameIdentityToken" },
	{ .key = "user_name", .kind = BLD_FIELD_TEXT, .path = "user_name",
	  .doc = "user name of a UserNameIdentityToken" },
	{ .key = "node_id", .kind = BLD_FIELD_TEXT, .path = "nodes_to_read.node_id",
	  .doc = "nodes read, e.g. ns=2;s=Crane.Hoist.Load" },
	{ .key = "node_id", .kind = BLD_FIELD_TEXT, .path = "nodes_to_write.node_id", .doc = "nodes written" },
	{ .key = "node_id", .kind = BLD_FIELD_TEXT, .path = "nodes_to_browse.node_id", .doc = "nodes browsed" },
	{ .key = "node_id", .kind = BLD_FIELD_TEXT, .path = "methods_to_call.object_id",
	  .doc = "objects whose methods are called" },
	{ .key = "method_id", .kind = BLD_FIELD_TEXT, .path = "methods_to_call.method_id", .doc = "methods called" },
	{ .key = "attribute_id", .kind = BLD_FIELD_SET, .path = "nodes_to_read.attribute_id", .max = UINT32_MAX,
	  .doc = "attributes read (13 Value)" },
	{ .key = "attribute_id", .kind = BLD_FIELD_SET, .path = "nodes_to_write.attribute_id", .max = UINT32_MAX,
	  .doc = "attributes written (13 Value)" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "nodes_to_write.value",
	  .doc = "scalar numbers and booleans written" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "results.value", .doc = "scalar numbers and booleans read" },
};

const struct bld_dissector bld_dsc_opcua = {
	.name = "opcua",
	.description = "OPC UA binary (UA TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 4840 },
	.probe = opcua_probe,
	.parse = opcua_parse,
	.state_size = sizeof(struct opcua_state),
	.state_fini = opcua_state_fini,
	.fields = opcua_fields,
	.n_fields = sizeof(opcua_fields) / sizeof(opcua_fields[0]),
};
