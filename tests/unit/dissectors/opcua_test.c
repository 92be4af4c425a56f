/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the OPC UA dissector (dissectors/opcua.c).
 *
 * Real chunks come from public captures (named with their frame numbers):
 *   ndpi   /work/shared/pcaps/ndpi/opc-ua.pcap (open62541 client and server, SecurityPolicy None)
 *   scada  tests/fixtures/scenario/port-scada.pcap (historian polling a terminal gateway)
 *   iti    /work/shared/pcaps/iti/OPC/opc-ua-ap-method-wireshark-freeze.pcap (a fuzzing tool, port 12001)
 * The others are built from OPC 10000-6 §6.7 / §7.1 and OPC 10000-4 §5 to cover what those lack
 * (Write, Call, Browse, ServiceFault, chunking, abort, encrypted and signed channels, RHE).
 * Integers are little-endian; a String is an Int32 length (ffffffff: null) then its bytes.
 */
#include "dsc_test.h"
#include "registry.h"
#include "txn.h"

/* ---- connection messages ---- */

/* ndpi frame 5 */
#define HEL_NDPI                                                                                    \
	"48454c 46"             /* "HEL" final */                                                  \
	"38000000"              /* message size 56 */                                              \
	"00000000"              /* protocol version 0 */                                           \
	"00000200"              /* receive buffer size 131072 */                                   \
	"00000200"              /* send buffer size 131072 */                                      \
	"00000040"              /* max message size 1073741824 */                                  \
	"00800000"              /* max chunk count 32768 */                                        \
	"18000000 6f70632e7463703a2f2f6c6f63616c686f73743a34383430" /* endpoint "opc.tcp://localhost:4840" */

/* ndpi frame 7 */
#define ACK_NDPI                                                                                    \
	"41434b 46"             /* "ACK" final */                                                  \
	"1c000000"              /* message size 28 */                                              \
	"00000000"              /* protocol version 0 */                                           \
	"00000200"              /* receive buffer size 131072 */                                   \
	"00000200"              /* send buffer size 131072 */                                      \
	"00000040"              /* max message size 1073741824 */                                  \
	"00800000"              /* max chunk count 32768 */

/* iti frame 85: the server gives up on the malformed CallRequest */
#define ERR_ITI                                                                                     \
	"455252 46"             /* "ERR" final */                                                  \
	"10000000"              /* message size 16 */                                              \
	"00000780"              /* error 0x80070000 BadDecodingError */                            \
	"ffffffff"              /* reason: null */

/* reverse connect (§7.1.2.6): the server opens the TCP connection and announces itself */
#define RHE_SYNTH                                                                                   \
	"524845 46"             /* "RHE" final */                                                  \
	"34000000"              /* message size 52 */                                              \
	"0d000000 75726e3a67773a736572766572" /* server uri "urn:gw:server" */                     \
	"17000000 6f70632e7463703a2f2f31302e302e302e313a34383430" /* endpoint "opc.tcp://10.0.0.1:4840" */

/* ---- secure channel: SecurityPolicy None ---- */

#define POLICY_NONE                                                                                 \
	"2f000000 687474703a2f2f6f7063666f756e646174696f6e2e6f72672f55412f5365637572697479506f6c696379" \
	"234e6f6e65"

/* ndpi frame 9 */
#define OPN_REQ_NDPI                                                                                \
	"4f504e 46"             /* "OPN" final */                                                  \
	"84000000"              /* message size 132 */                                             \
	"00000000"              /* secure channel id 0: Issue */                                   \
	POLICY_NONE             /* security policy uri ...#None */                                 \
	"ffffffff"              /* sender certificate: null */                                     \
	"ffffffff"              /* receiver certificate thumbprint: null */                        \
	"01000000"              /* sequence number 1 */                                            \
	"01000000"              /* request id 1 */                                                 \
	"01 00 be01"            /* type id: four-byte NodeId i=446 OpenSecureChannelRequest */     \
	"00 00"                 /* RequestHeader: authentication token two-byte i=0 */             \
	"3440df99a8f3d801"      /*   timestamp */                                                  \
	"00000000"              /*   request handle 0 */                                           \
	"00000000"              /*   return diagnostics */                                         \
	"ffffffff"              /*   audit entry id: null */                                       \
	"00000000"              /*   timeout hint */                                               \
	"00 00 00"              /*   additional header: i=0, no body */                            \
	"00000000"              /* client protocol version */                                      \
	"00000000"              /* request type 0 Issue */                                         \
	"01000000"              /* security mode 1 None */                                         \
	"ffffffff"              /* client nonce: null */                                           \
	"c0270900"              /* requested lifetime 600000 ms */

/* ndpi frame 11 */
#define OPN_RSP_NDPI                                                                                \
	"4f504e 46"             /* "OPN" final */                                                  \
	"87000000"              /* message size 135 */                                             \
	"01000000"              /* secure channel id 1 */                                          \
	POLICY_NONE             /* security policy uri ...#None */                                 \
	"ffffffff ffffffff"     /* sender certificate, receiver thumbprint: null */                \
	"01000000"              /* sequence number 1 */                                            \
	"01000000"              /* request id 1 */                                                 \
	"01 00 c101"            /* type id i=449 OpenSecureChannelResponse */                      \
	"b244df99a8f3d801"      /* ResponseHeader: timestamp */                                    \
	"00000000"              /*   request handle 0 */                                           \
	"00000000"              /*   service result Good */                                        \
	"00"                    /*   service diagnostics: empty */                                 \
	"ffffffff"              /*   string table: null */                                         \
	"00 00 00"              /*   additional header */                                          \
	"00000000"              /* server protocol version */                                      \
	"01000000"              /* security token: channel id 1 */                                 \
	"01000000"              /*   token id 1 */                                                 \
	"b244df99a8f3d801"      /*   created at */                                                 \
	"c0270900"              /*   revised lifetime 600000 */                                    \
	"ffffffff"              /* server nonce: null */

/* the server refuses the channel with a ServiceFault (OPC 10000-4 §5.5.2.3) */
#define OPN_FAULT                                                                                   \
	"4f504e 46 6b000000"    /* "OPN" final, size 107 */                                        \
	"00000000"              /* secure channel id 0: none was created */                        \
	POLICY_NONE             /* security policy uri ...#None */                                 \
	"ffffffff ffffffff"     /* sender certificate, receiver thumbprint: null */                \
	"01000000 01000000"     /* sequence number 1, request id 1 (the request's) */              \
	"01 00 8d01"            /* type id i=397 ServiceFault */                                   \
	"b244df99a8f3d801"      /* ResponseHeader: timestamp */                                    \
	"00000000"              /*   request handle 0 */                                           \
	"00005580"              /*   service result 0x80550000 BadSecurityPolicyRejected */        \
	"00 ffffffff 000000"    /*   diagnostics, string table, additional header */

/* ndpi frame 17 */
#define CREATE_SESSION_NDPI                                                                         \
	"4d5347 46"             /* "MSG" final */                                                  \
	"a6000000"              /* message size 166 */                                             \
	"01000000"              /* secure channel id 1 */                                          \
	"01000000"              /* token id 1 */                                                   \
	"03000000 03000000"     /* sequence number 3, request id 3 */                              \
	"01 00 cd01"            /* type id i=461 CreateSessionRequest */                           \
	"00 00"                 /* RequestHeader: authentication token i=0 */                      \
	"2658df99a8f3d801"      /*   timestamp */                                                  \
	"03000000"              /*   request handle 3 */                                           \
	"00000000 ffffffff"     /*   return diagnostics, audit entry id null */                    \
	"10270000"              /*   timeout hint 10000 */                                         \
	"000000"                /*   additional header */                                          \
	"1c000000 75726e3a756e636f6e666967757265643a6170706c69636174696f6e" /* "urn:unconfigured:application" */ \
	"ffffffff"              /* product uri null */                                             \
	"00"                    /* application name: empty LocalizedText */                        \
	"01000000"              /* application type 1 Client */                                    \
	"ffffffff ffffffff ffffffff" /* gateway uri, discovery profile uri, discovery urls */      \
	"ffffffff"              /* server uri null */                                              \
	"18000000 6f70632e7463703a2f2f6c6f63616c686f73743a34383430" /* endpoint url */             \
	"ffffffff"              /* session name null */                                            \
	"ffffffff ffffffff"     /* client nonce, client certificate: null */                       \
	"00000000804f3241"      /* requested session timeout 1200000.0 */                          \
	"ffffff7f"              /* max response message size */

/* ndpi frame 21: a user name and password with no encryption algorithm */
#define ACTIVATE_NDPI                                                                               \
	"4d5347 46 a1000000"    /* "MSG" final, size 161 */                                        \
	"01000000 01000000"     /* secure channel id 1, token id 1 */                              \
	"04000000 04000000"     /* sequence number 4, request id 4 */                              \
	"01 00 d301"            /* type id i=467 ActivateSessionRequest */                         \
	"04 0100 5b9315bfee25bf67281211612d8238b3" /* authentication token: guid, ns 1 */          \
	"745fdf99a8f3d801"      /* timestamp */                                                    \
	"05000000"              /* request handle 5 */                                             \
	"00000000 ffffffff"     /* return diagnostics, audit entry id */                           \
	"c0270900 000000"       /* timeout hint 600000, additional header */                       \
	"ffffffff ffffffff"     /* client signature: algorithm, signature null */                  \
	"ffffffff"              /* client software certificates: null */                           \
	"ffffffff"              /* locale ids: null */                                             \
	"01 00 4401"            /* user identity token: type i=324 UserNameIdentityToken */        \
	"01 36000000"           /*   binary body, 54 bytes */                                      \
	"19000000 6f70656e36323534312d757365726e616d652d706f6c696379" /* policy id */              \
	"05000000 7573657231"   /*   user name "user1" */                                          \
	"08000000 70617373776f7264" /* password (clear) */                                         \
	"ffffffff"              /*   encryption algorithm: null */                                 \
	"ffffffff ffffffff"     /* user token signature */

/* the same with the password encrypted for the server (OPC 10000-4 §7.36.4): no clear password */
#define ACTIVATE_ENCRYPTED                                                                          \
	"4d5347 46 99000000"    /* "MSG" final, size 153 */                                        \
	"01000000 01000000 05000000 05000000" /* channel 1, token 1, sequence number 5, request id 5 */ \
	"01 00 d301"            /* type id i=467 ActivateSessionRequest */                         \
	"00 00 745fdf99a8f3d801" /* authentication token i=0, timestamp */                         \
	"06000000 00000000 ffffffff c0270900 000000" /* handle 6, ..., additional header */        \
	"ffffffff ffffffff ffffffff ffffffff" /* client signature, certificates, locale ids */     \
	"01 00 4401 01 3f000000" /* UserNameIdentityToken, binary body of 63 bytes */              \
	"01000000 70"           /*   policy id "p" */                                              \
	"01000000 75"           /*   user name "u" */                                              \
	"04000000 8e3d21f0"     /*   password: ciphertext */                                       \
	"29000000 687474703a2f2f7777772e77332e6f72672f323030312f30342f786d6c656e63237273612d6f616570" \
	                        /*   encryption algorithm http://www.w3.org/2001/04/xmlenc#rsa-oaep */ \
	"ffffffff ffffffff"     /* user token signature */

/* ndpi frame 377 */
#define CLO_NDPI                                                                                    \
	"434c4f 46 39000000"    /* "CLO" final, size 57 */                                         \
	"01000000 01000000"     /* secure channel id 1, token id 1 */                              \
	"5d000000 5d000000"     /* sequence number 93, request id 93 */                            \
	"01 00 c401"            /* type id i=452 CloseSecureChannelRequest */                      \
	"00 00 4253e199a8f3d801" /* authentication token i=0, timestamp */                         \
	"01000000"              /* request handle 1 */                                             \
	"00000000 ffffffff"     /* return diagnostics, audit entry id */                           \
	"10270000 000000"       /* timeout hint, additional header */

/* scada frame 180 */
#define READ_REQ_SCADA                                                                              \
	"4d5347 46 db000000"    /* "MSG" final, size 219 */                                        \
	"5e440000"              /* secure channel id 17502 */                                      \
	"01000000"              /* token id 1 */                                                   \
	"04000000 04000000"     /* sequence number 4, request id 4 */                              \
	"01 00 7702"            /* type id i=631 ReadRequest */                                    \
	"02 0000 d182f340"      /* authentication token: numeric i=1089700561 */                   \
	"304691f5c3a5da01"      /* timestamp */                                                    \
	"04000000"              /* request handle 4 */                                             \
	"00000000 ffffffff"     /* return diagnostics, audit entry id */                           \
	"10270000 000000"       /* timeout hint 10000, additional header */                        \
	"0000000000000000"      /* max age 0.0 */                                                  \
	"02000000"              /* timestamps to return 2 Both */                                  \
	"04000000"              /* nodes to read: 4 */                                             \
	"03 0200 10000000 53545330312e486f6973742e4c6f6164" /* ns=2;s=STS01.Hoist.Load */          \
	"0d000000 ffffffff 0000 ffffffff" /* attribute 13 Value, no range, default encoding */     \
	"03 0200 16000000 53545330312e54726f6c6c65792e506f736974696f6e" /* STS01.Trolley.Position */ \
	"0d000000 ffffffff 0000 ffffffff"                                                          \
	"03 0200 16000000 476174652e4c616e65332e51756575654c656e677468" /* Gate.Lane3.QueueLength */ \
	"0d000000 ffffffff 0000 ffffffff"                                                          \
	"01 00 d208"            /* i=2258 Server_ServerStatus_CurrentTime */                       \
	"0d000000 ffffffff 0000 ffffffff"

/* scada frame 181 */
#define READ_RSP_SCADA                                                                              \
	"4d5347 46 a4000000"    /* "MSG" final, size 164 */                                        \
	"5e440000 01000000"     /* secure channel id 17502, token id 1 */                          \
	"04000000 04000000"     /* sequence number 4, request id 4 */                              \
	"01 00 7a02"            /* type id i=634 ReadResponse */                                   \
	"50c191f5c3a5da01"      /* timestamp */                                                    \
	"04000000"              /* request handle 4 */                                             \
	"00000000"              /* service result Good */                                          \
	"00 00000000 000000"    /* diagnostics, string table (0), additional header */             \
	"04000000"              /* results: 4 DataValues */                                        \
	"0d 0b aef29c48c5064040 20208af5c3a5da01 50c191f5c3a5da01" /* value Double, source/server time */ \
	"0d 0b bba23a54984c4540 20208af5c3a5da01 50c191f5c3a5da01"                                 \
	"0d 0b 0000000000000840 20208af5c3a5da01 50c191f5c3a5da01"                                 \
	"0d 0d 50c191f5c3a5da01 50c191f5c3a5da01 50c191f5c3a5da01" /* value DateTime */            \
	"00000000"              /* diagnostic infos: 0 */

/* iti frame 84: the method id's NodeId encoding 7 does not exist (§5.2.2.9) */
#define CALL_ITI                                                                                    \
	"4d5347 46 6e000000"    /* "MSG" final, size 110 */                                        \
	"60190000 01000000"     /* secure channel id 6496, token id 1 */                           \
	"05000000 05000000"     /* sequence number 5, request id 5 */                              \
	"01 00 c802"            /* type id i=712 CallRequest */                                    \
	"01 00 8019"            /* authentication token i=6528 */                                  \
	"0069ae0d5c2bca01"      /* timestamp */                                                    \
	"01000000"              /* request handle 1 */                                             \
	"ff030000 ffffffff"     /* return diagnostics 1023, audit entry id */                      \
	"00000000 000000"       /* timeout hint, additional header */                              \
	"01000000"              /* methods to call: 1 */                                           \
	"01 00 5601"            /* object id i=342 */                                              \
	"07 ff7f0000"           /* method id: encoding 7 (invalid) ... */                          \
	"13000000 687474703a2f2f2f2f3a2f2f2f2f3a2f2f2f2f 01000000 99010000000c0100000025"

/* ---- built from the standard ---- */

#define SCADA_MSG(seq_req) "5e440000 01000000" seq_req /* channel 17502, token 1, sequence header */
#define SCADA_REQ_HEADER(handle)                                                                    \
	"02 0000 d182f340"      /* authentication token i=1089700561 */                            \
	"304691f5c3a5da01"      /* timestamp */                                                    \
	handle                  /* request handle */                                               \
	"00000000 ffffffff"     /* return diagnostics, audit entry id */                           \
	"10270000 000000"       /* timeout hint, additional header */
#define SCADA_RSP_HEADER(handle, result)                                                            \
	"50c191f5c3a5da01"      /* timestamp */                                                    \
	handle result           /* request handle, service result */                               \
	"00 ffffffff 000000"    /* diagnostics, string table, additional header */

/* WriteRequest (OPC 10000-4 §5.10.4): an Int32 setpoint and a Boolean with its status */
#define WRITE_REQ                                                                                   \
	"4d5347 46 7b000000"    /* "MSG" final, size 123 */                                        \
	SCADA_MSG("0a000000 0a000000") /* sequence number 10, request id 10 */                     \
	"01 00 a102"            /* type id i=673 WriteRequest */                                   \
	SCADA_REQ_HEADER("0a000000") /* request handle 10 */                                       \
	"02000000"              /* nodes to write: 2 */                                            \
	"03 0200 11000000 53545330312e486f6973742e4c696d6974" /* ns=2;s=STS01.Hoist.Limit */       \
	"0d000000 ffffffff"     /* attribute 13 Value, no index range */                           \
	"01 06 dc050000"        /* DataValue: value; Variant Int32 1500 */                         \
	"01 00 e803"            /* i=1000 */                                                       \
	"0d000000 ffffffff"     /* attribute 13 */                                                 \
	"03 01 01 00000000"     /* DataValue: value + status; Variant Boolean true; status Good */

/* WriteResponse: the second write refused, BadNotWritable */
#define WRITE_RSP                                                                                   \
	"4d5347 46 44000000"    /* "MSG" final, size 68 */                                         \
	SCADA_MSG("0a000000 0a000000")                                                             \
	"01 00 a402"            /* type id i=676 WriteResponse */                                  \
	SCADA_RSP_HEADER("0a000000", "00000000") /* handle 10, Good */                             \
	"02000000 00000000 00003b80" /* results: Good, 0x803b0000 BadNotWritable */                \
	"ffffffff"              /* diagnostic infos: null */

/* CallRequest (§5.11.2): one method with one Int32 argument */
#define CALL_REQ                                                                                    \
	"4d5347 46 5f000000"    /* "MSG" final, size 95 */                                         \
	SCADA_MSG("0b000000 0b000000")                                                             \
	"01 00 c802"            /* type id i=712 CallRequest */                                    \
	SCADA_REQ_HEADER("0c000000") /* request handle 12 */                                       \
	"01000000"              /* methods to call: 1 */                                           \
	"03 0200 06000000 4372616e6531" /* object id ns=2;s=Crane1 */                              \
	"02 0200 591b0000"      /* method id ns=2;i=7001 */                                        \
	"01000000 06 e8030000"  /* input arguments: 1, Variant Int32 1000 */

#define CALL_RSP                                                                                    \
	"4d5347 46 52000000"    /* "MSG" final, size 82 */                                         \
	SCADA_MSG("0b000000 0b000000")                                                             \
	"01 00 cb02"            /* type id i=715 CallResponse */                                   \
	SCADA_RSP_HEADER("0c000000", "00000000")                                                   \
	"01000000"              /* results: 1 CallMethodResult */                                  \
	"00000000"              /*   status Good */                                                \
	"01000000 00000000"     /*   input argument results: Good */                               \
	"ffffffff"              /*   input argument diagnostics: null */                           \
	"01000000 01 01"        /*   output arguments: Boolean true */                             \
	"ffffffff"              /* diagnostic infos: null */

/* BrowseRequest (§5.8.2) from the Objects folder */
#define BROWSE_REQ                                                                                  \
	"4d5347 46 65000000"    /* "MSG" final, size 101 */                                        \
	SCADA_MSG("0c000000 0c000000")                                                             \
	"01 00 0f02"            /* type id i=527 BrowseRequest */                                  \
	SCADA_REQ_HEADER("0b000000") /* request handle 11 */                                       \
	"00 00 0000000000000000 00000000" /* view: i=0, timestamp, version */                      \
	"e8030000"              /* requested max references per node 1000 */                       \
	"01000000"              /* nodes to browse: 1 */                                           \
	"00 55"                 /* node id i=85 Objects */                                         \
	"00000000"              /* browse direction 0 Forward */                                   \
	"00 21 01"              /* reference type i=33, include subtypes */                        \
	"00000000 3f000000"     /* node class mask, result mask */

/* ServiceFault (§7.30) answering request handle 11 */
#define FAULT_RSP                                                                                   \
	"4d5347 46 34000000"    /* "MSG" final, size 52 */                                         \
	SCADA_MSG("0c000000 0c000000")                                                             \
	"01 00 8d01"            /* type id i=397 ServiceFault */                                   \
	SCADA_RSP_HEADER("0b000000", "00002580") /* handle 11, 0x80250000 BadSessionIdInvalid */

/* A ReadRequest in two chunks (§6.7.2.2): the first (C) stops inside the second node */
#define READ_CHUNK1                                                                                 \
	"4d5347 43 62000000"    /* "MSG" intermediate, size 98 */                                  \
	SCADA_MSG("0d000000 0d000000") /* sequence number 13, request id 13 */                     \
	"01 00 7702"            /* type id i=631 ReadRequest */                                    \
	SCADA_REQ_HEADER("0d000000")                                                               \
	"0000000000000000 02000000" /* max age, timestamps to return */                            \
	"02000000"              /* nodes to read: 2 */                                             \
	"01 00 d208 0d000000 ffffffff 0000 ffffffff" /* i=2258 Value */                            \
	"01 00"                 /* (the next node starts here) */
#define READ_CHUNK2                                                                                 \
	"4d5347 46 28000000"    /* "MSG" final, size 40 */                                         \
	SCADA_MSG("0e000000 0d000000") /* sequence number 14, same request id 13 */                \
	"d308 0d000000 ffffffff 0000 ffffffff" /* ...the rest of i=2259 */

/* An abort chunk (§6.7.3): the sender gives up on request 13 */
#define ABORT_MSG                                                                                   \
	"4d5347 41 2e000000"    /* "MSG" abort, size 46 */                                         \
	SCADA_MSG("0f000000 0d000000")                                                             \
	"00000880"              /* error 0x80080000 BadEncodingLimitsExceeded */                   \
	"0e000000 746f6f206d616e79206e6f646573" /* reason "too many nodes" */

/* ---- a channel with a real security policy ---- */

#define POLICY_BASIC256                                                                             \
	"39000000 687474703a2f2f6f7063666f756e646174696f6e2e6f72672f55412f5365637572697479506f6c696379" \
	"234261736963323536536861323536"

/* OPN with Basic256Sha256: certificate and thumbprint present, the rest encrypted (§6.7.4) */
#define OPN_REQ_SECURE                                                                              \
	"4f504e 46 81000000"    /* "OPN" final, size 129 */                                        \
	"00000000"              /* secure channel id 0 */                                          \
	POLICY_BASIC256         /* ...#Basic256Sha256 */                                           \
	"04000000 30820122"     /* sender certificate: 4 bytes (cut for the test) */               \
	"14000000 00112233445566778899aabbccddeeff00112233" /* receiver thumbprint: 20 bytes */    \
	"9f3ac27e5b10d4e68a7c11f0e2b3a4c5d6e7f8091a2b3c4d" /* encrypted */
#define OPN_RSP_SECURE                                                                              \
	"4f504e 46 81000000"    /* "OPN" final, size 129 */                                        \
	"07000000"              /* secure channel id 7 */                                          \
	POLICY_BASIC256                                                                            \
	"04000000 30820122"                                                                        \
	"14000000 ffeeddccbbaa99887766554433221100ffeeddcc"                                        \
	"71c3a9e05d2b4f8896e1c7a3b5d9f0e24c6a8e1b3d5f7092" /* encrypted */
/* MSG on channel 7 in SignAndEncrypt: the sequence header and body are ciphertext */
#define MSG_ENCRYPTED                                                                               \
	"4d5347 46 28000000"    /* "MSG" final, size 40 */                                         \
	"07000000 01000000"     /* secure channel id 7, token id 1 */                              \
	"5ab7e2c19d0f3386a4e1b2c3d4e5f60718293a4b5c6d7e8f" /* ciphertext */
/* MSG on channel 7 in Sign mode: plain, a 32-byte signature at the end */
#define MSG_SIGNED                                                                                  \
	"4d5347 46 5a000000"    /* "MSG" final, size 90 */                                         \
	"07000000 01000000"     /* secure channel id 7, token id 1 */                              \
	"02000000 02000000"     /* sequence number 2, request id 2 */                              \
	"01 00 d901"            /* type id i=473 CloseSessionRequest */                            \
	"00 00 304691f5c3a5da01" /* authentication token i=0, timestamp */                         \
	"07000000"              /* request handle 7 */                                             \
	"00000000 ffffffff 10270000 000000"                                                        \
	"01"                    /* delete subscriptions: true */                                   \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" /* signature */

/* ---- helpers ---- */

static struct dsc_run *run(void)
{
	return dsc_run_new(&bld_dsc_opcua);
}

/* Feed one fixture; it must parse whole. */
static void feed(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	free(b);
	uint32_t used = dsc_feed_hex(r, to_server, hex);
	CU_ASSERT_EQUAL(used, len);
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
}

/* The first place `pat` occurs in b[from..len), or NULL (memmem is a GNU extension). */
static uint8_t *find(uint8_t *b, uint32_t len, uint32_t from, const uint8_t *pat, uint32_t n)
{
	for (uint32_t i = from; i + n <= len; i++)
		if (memcmp(b + i, pat, n) == 0)
			return b + i;
	return NULL;
}

static unsigned total_events(const struct dsc_run *r)
{
	return r->n_events;
}

/* ---- tests ---- */

static void test_hello_ack(void)
{
	struct dsc_run *r = run();
	feed(r, true, HEL_NDPI);
	feed(r, false, ACK_NDPI);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request message_type=\"HEL\" chunk_type=\"F\" message_size=56 protocol_version=0 "
			       "receive_buffer_size=131072 send_buffer_size=131072 max_message_size=1073741824 "
			       "max_chunk_count=32768 endpoint_url=\"opc.tcp://localhost:4840\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response message_type=\"ACK\" chunk_type=\"F\" message_size=28 protocol_version=0 "
			       "receive_buffer_size=131072 send_buffer_size=131072 max_message_size=1073741824 "
			       "max_chunk_count=32768");
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_error_message(void)
{
	struct dsc_run *r = run();
	feed(r, true, HEL_NDPI);
	feed(r, false, ERR_ITI);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response message_type=\"ERR\" chunk_type=\"F\" message_size=16 "
					     "error=2147942400 error_name=\"BadDecodingError\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_ERROR_MESSAGE), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	dsc_run_free(r);
}

static void test_reverse_hello(void)
{
	/* The server connects (TCP client) and sends RHE; the UA client answers HEL from the TCP server. */
	struct dsc_run *r = run();
	feed(r, true, RHE_SYNTH);
	feed(r, false, HEL_NDPI);
	feed(r, true, ACK_NDPI);
	feed(r, false, MSG_ENCRYPTED); /* from the UA client: a request, though it travels to the TCP client */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request message_type=\"RHE\" chunk_type=\"F\" message_size=52 "
					     "server_uri=\"urn:gw:server\" endpoint_url=\"opc.tcp://10.0.0.1:4840\"");
	CU_ASSERT_TRUE(strncmp(dsc_op(r, 1), "request message_type=\"HEL\"", 26) == 0);
	CU_ASSERT_TRUE(strncmp(dsc_op(r, 2), "response message_type=\"ACK\"", 27) == 0);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3), "request message_type=\"MSG\" chunk_type=\"F\" message_size=40 "
					     "secure_channel_id=7 token_id=1 encrypted=true");
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_open_none(void)
{
	struct dsc_run *r = run();
	r->ts_ns = 1000000;
	feed(r, true, OPN_REQ_NDPI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"OPN\" chunk_type=\"F\" message_size=132 secure_channel_id=0 "
		"security_policy_uri=\"http://opcfoundation.org/UA/SecurityPolicy#None\" sender_certificate_length=0 "
		"receiver_thumbprint_length=0 encrypted=false sequence_number=1 request_id=1 service_type=446 "
		"service_name=\"OpenSecureChannelRequest\" authentication_token=\"i=0\" timestamp=133124094469029940 "
		"request_handle=0 return_diagnostics=0 timeout_hint=0 client_protocol_version=0 request_type=0 "
		"request_type_name=\"Issue\" security_mode=1 security_mode_name=\"None\" client_nonce_length=0 "
		"requested_lifetime=600000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_SECURITY_NONE), 1);
	r->ts_ns = 1000115;
	feed(r, false, OPN_RSP_NDPI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"OPN\" chunk_type=\"F\" message_size=135 secure_channel_id=1 "
		"security_policy_uri=\"http://opcfoundation.org/UA/SecurityPolicy#None\" sender_certificate_length=0 "
		"receiver_thumbprint_length=0 encrypted=false sequence_number=1 request_id=1 service_type=449 "
		"service_name=\"OpenSecureChannelResponse\" timestamp=133124094469031090 request_handle=0 "
		"service_result=0 service_result_name=\"Good\" server_protocol_version=0 channel_id=1 token_id=1 "
		"revised_lifetime=600000 server_nonce_length=0");
	CU_ASSERT_EQUAL(r->response_time[1], 115);
	/* once per opening: the response of a request seen adds nothing */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_SECURITY_NONE), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	dsc_run_free(r);

	/* the response alone (capture started late) still says the channel is open */
	r = run();
	feed(r, false, OPN_RSP_NDPI);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_SECURITY_NONE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_RESPONSE_WITHOUT_REQUEST), 1);
	dsc_run_free(r);
}

static void test_open_refused(void)
{
	/* A ServiceFault answering an OPN pairs by request id like the OpenSecureChannelResponse. */
	struct dsc_run *r = run();
	r->ts_ns = 50;
	feed(r, true, OPN_REQ_NDPI);
	r->ts_ns = 80;
	feed(r, false, OPN_FAULT);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"OPN\" chunk_type=\"F\" message_size=107 secure_channel_id=0 "
		"security_policy_uri=\"http://opcfoundation.org/UA/SecurityPolicy#None\" sender_certificate_length=0 "
		"receiver_thumbprint_length=0 encrypted=false sequence_number=1 request_id=1 service_type=397 "
		"service_name=\"ServiceFault\" timestamp=133124094469031090 request_handle=0 service_result=2153054208 "
		"service_result_name=\"BadSecurityPolicyRejected\"");
	CU_ASSERT_EQUAL(r->response_time[1], 30);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_STATUS), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_SECURITY_NONE), 1);
	CU_ASSERT_EQUAL(total_events(r), 2);
	dsc_run_free(r);
}

static void test_mode_none_event(void)
{
	/* Another policy, but the OPN body is plain and asks for mode None: raised for the mode. */
	struct dsc_run *r = run();
	uint32_t len;
	uint8_t *b = bld_test_hex(OPN_REQ_NDPI, &len);
	static const uint8_t none[4] = { 'N', 'o', 'n', 'e' };
	uint8_t *p = find(b, len, 0, none, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[1] = 'a'; /* ...#Nane */
	dsc_parse(r, true, false, b, len);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "SecurityPolicy#Nane\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "security_mode=1 security_mode_name=\"None\""));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_SECURITY_NONE), 1);
	/* the same with mode Sign: nothing */
	dsc_clear(r);
	static const uint8_t mode[8] = { 0, 0, 0, 0, 1, 0, 0, 0 }; /* request type Issue, mode None */
	p = find(b, len, 60, mode, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[4] = 2;
	dsc_parse(r, true, false, b, len);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "security_mode=2 security_mode_name=\"Sign\""));
	CU_ASSERT_EQUAL(total_events(r), 0);
	free(b);
	dsc_run_free(r);
}

static void test_read(void)
{
	struct dsc_run *r = run();
	r->ts_ns = 5000;
	feed(r, true, READ_REQ_SCADA);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=219 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=4 request_id=4 service_type=631 service_name=\"ReadRequest\" "
		"authentication_token=\"i=1089700561\" timestamp=133601400017995312 request_handle=4 "
		"return_diagnostics=0 timeout_hint=10000 timestamps_to_return=2 "
		"nodes_to_read=[{node_id=\"ns=2;s=STS01.Hoist.Load\" attribute_id=13} "
		"{node_id=\"ns=2;s=STS01.Trolley.Position\" attribute_id=13} "
		"{node_id=\"ns=2;s=Gate.Lane3.QueueLength\" attribute_id=13} {node_id=\"i=2258\" attribute_id=13}]");
	r->ts_ns = 8150;
	feed(r, false, READ_RSP_SCADA);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"MSG\" chunk_type=\"F\" message_size=164 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=4 request_id=4 service_type=634 service_name=\"ReadResponse\" "
		"timestamp=133601400018026832 request_handle=4 service_result=0 service_result_name=\"Good\" "
		"results=[{value_type=11 value=32.052895619044065} {value_type=11 value=42.59839871275968} "
		"{value_type=11 value=3} {value_type=13}]");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 3150);
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_pairing_per_channel(void)
{
	/* The same request handle on another channel is another request. */
	struct dsc_run *r = run();
	feed(r, true, READ_REQ_SCADA);
	uint32_t len;
	uint8_t *b = bld_test_hex(READ_RSP_SCADA, &len);
	b[8] = 0x5f; /* channel 17503 */
	dsc_parse(r, false, false, b, len);
	CU_ASSERT_EQUAL(r->response_time[1], UINT64_MAX);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_RESPONSE_WITHOUT_REQUEST), 1);
	/* the right channel still pairs, once */
	feed(r, false, READ_RSP_SCADA);
	CU_ASSERT_NOT_EQUAL(r->response_time[2], UINT64_MAX);
	feed(r, false, READ_RSP_SCADA);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_RESPONSE_WITHOUT_REQUEST), 2);
	free(b);
	dsc_run_free(r);
}

static void test_session(void)
{
	struct dsc_run *r = run();
	feed(r, true, CREATE_SESSION_NDPI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=166 secure_channel_id=1 token_id=1 "
		"encrypted=false sequence_number=3 request_id=3 service_type=461 service_name=\"CreateSessionRequest\" "
		"authentication_token=\"i=0\" timestamp=133124094469036070 request_handle=3 return_diagnostics=0 "
		"timeout_hint=10000 application_uri=\"urn:unconfigured:application\" application_type=1 "
		"endpoint_url=\"opc.tcp://localhost:4840\" client_certificate_length=0");
	feed(r, true, ACTIVATE_NDPI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=161 secure_channel_id=1 token_id=1 "
		"encrypted=false sequence_number=4 request_id=4 service_type=467 "
		"service_name=\"ActivateSessionRequest\" "
		"authentication_token=\"ns=1;g=bf15935b-25ee-67bf-2812-11612d8238b3\" timestamp=133124094469037940 "
		"request_handle=5 return_diagnostics=0 timeout_hint=600000 user_token_type=324 "
		"user_token_type_name=\"UserNameIdentityToken\" user_token_policy_id=\"open62541-username-policy\" "
		"user_name=\"user1\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_CLEARTEXT_PASSWORD), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	/* the password never reaches the op */
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 1), "password\""));
	dsc_run_free(r);

	/* with an encryption algorithm the password is not readable: no event */
	r = run();
	feed(r, true, ACTIVATE_ENCRYPTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "user_token_type=324 user_token_type_name=\"UserNameIdentityToken\" "
						    "user_token_policy_id=\"p\" user_name=\"u\" encryption_algorithm="
						    "\"http://www.w3.org/2001/04/xmlenc#rsa-oaep\""));
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_close(void)
{
	struct dsc_run *r = run();
	feed(r, true, CLO_NDPI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"CLO\" chunk_type=\"F\" message_size=57 secure_channel_id=1 token_id=1 "
		"encrypted=false sequence_number=93 request_id=93 service_type=452 "
		"service_name=\"CloseSecureChannelRequest\" authentication_token=\"i=0\" timestamp=133124094469165890 "
		"request_handle=1 return_diagnostics=0 timeout_hint=10000");
	/* never answered: it must not wait in the transaction table (the state's first member) */
	struct bld_txn_table *t = r->state;
	CU_ASSERT_EQUAL(t->n, 0);
	dsc_run_free(r);
}

static void test_write(void)
{
	struct dsc_run *r = run();
	r->ts_ns = 100;
	feed(r, true, WRITE_REQ);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=123 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=10 request_id=10 service_type=673 service_name=\"WriteRequest\" "
		"authentication_token=\"i=1089700561\" timestamp=133601400017995312 request_handle=10 "
		"return_diagnostics=0 timeout_hint=10000 "
		"nodes_to_write=[{node_id=\"ns=2;s=STS01.Hoist.Limit\" attribute_id=13 value_type=6 value=1500} "
		"{node_id=\"i=1000\" attribute_id=13 value_type=1 value=true status=0}]");
	r->ts_ns = 900;
	feed(r, false, WRITE_RSP);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"MSG\" chunk_type=\"F\" message_size=68 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=10 request_id=10 service_type=676 service_name=\"WriteResponse\" "
		"timestamp=133601400018026832 request_handle=10 service_result=0 service_result_name=\"Good\" "
		"results=[0 2151350272]");
	CU_ASSERT_EQUAL(r->response_time[1], 800);
	/* a refused write is an operation result, not a Bad service result */
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_call(void)
{
	struct dsc_run *r = run();
	feed(r, true, CALL_REQ);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=95 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=11 request_id=11 service_type=712 service_name=\"CallRequest\" "
		"authentication_token=\"i=1089700561\" timestamp=133601400017995312 request_handle=12 "
		"return_diagnostics=0 timeout_hint=10000 "
		"methods_to_call=[{object_id=\"ns=2;s=Crane1\" method_id=\"ns=2;i=7001\" input_argument_count=1}]");
	feed(r, false, CALL_RSP);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"MSG\" chunk_type=\"F\" message_size=82 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=11 request_id=11 service_type=715 service_name=\"CallResponse\" "
		"timestamp=133601400018026832 request_handle=12 service_result=0 service_result_name=\"Good\" "
		"results=[0]");
	CU_ASSERT_NOT_EQUAL(r->response_time[1], UINT64_MAX);
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_call_malformed(void)
{
	/* iti frame 84: framed, so OK; the bad NodeId encoding is malformed, not truncated */
	struct dsc_run *r = run();
	feed(r, true, CALL_ITI);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=110 secure_channel_id=6496 token_id=1 "
		"encrypted=false sequence_number=5 request_id=5 service_type=712 service_name=\"CallRequest\" "
		"authentication_token=\"i=6528\" timestamp=128963213700000000 request_handle=1 "
		"return_diagnostics=1023 timeout_hint=0 methods_to_call=[{object_id=\"i=342\"}]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_MALFORMED), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_TRUNCATED), 0);
	CU_ASSERT_EQUAL(total_events(r), 1);
	dsc_run_free(r);
}

static void test_browse_fault(void)
{
	struct dsc_run *r = run();
	r->ts_ns = 10;
	feed(r, true, BROWSE_REQ);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"F\" message_size=101 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=12 request_id=12 service_type=527 service_name=\"BrowseRequest\" "
		"authentication_token=\"i=1089700561\" timestamp=133601400017995312 request_handle=11 "
		"return_diagnostics=0 timeout_hint=10000 requested_max_references_per_node=1000 "
		"nodes_to_browse=[{node_id=\"i=85\" browse_direction=0}]");
	r->ts_ns = 25;
	feed(r, false, FAULT_RSP);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"MSG\" chunk_type=\"F\" message_size=52 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=12 request_id=12 service_type=397 service_name=\"ServiceFault\" "
		"timestamp=133601400018026832 request_handle=11 service_result=2149908480 "
		"service_result_name=\"BadSessionIdInvalid\"");
	CU_ASSERT_EQUAL(r->response_time[1], 15);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_STATUS), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	dsc_run_free(r);
}

static void test_chunks(void)
{
	struct dsc_run *r = run();
	feed(r, true, READ_CHUNK1);
	feed(r, true, READ_CHUNK2);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"MSG\" chunk_type=\"C\" message_size=98 secure_channel_id=17502 token_id=1 "
		"encrypted=false sequence_number=13 request_id=13 service_type=631 service_name=\"ReadRequest\" "
		"authentication_token=\"i=1089700561\" timestamp=133601400017995312 request_handle=13 "
		"return_diagnostics=0 timeout_hint=10000 timestamps_to_return=2 "
		"nodes_to_read=[{node_id=\"i=2258\" attribute_id=13}]");
	/* the continuation holds no service header: chunk fields only */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "request message_type=\"MSG\" chunk_type=\"F\" message_size=40 "
					     "secure_channel_id=17502 token_id=1 encrypted=false sequence_number=14 "
					     "request_id=13");
	/* a first chunk ending inside its parameters is not truncated */
	CU_ASSERT_EQUAL(total_events(r), 0);
	/* a new message after the final chunk is decoded again */
	feed(r, true, READ_REQ_SCADA);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 2), "service_name=\"ReadRequest\""));
	dsc_run_free(r);
}

static void test_abort(void)
{
	struct dsc_run *r = run();
	feed(r, true, READ_CHUNK1);
	feed(r, true, ABORT_MSG);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "request message_type=\"MSG\" chunk_type=\"A\" message_size=46 "
					     "secure_channel_id=17502 token_id=1 encrypted=false sequence_number=15 "
					     "request_id=13 error=2148007936 error_name=\"BadEncodingLimitsExceeded\" "
					     "reason=\"too many nodes\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_ABORT), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	dsc_run_free(r);
}

static void test_secure_channel(void)
{
	struct dsc_run *r = run();
	feed(r, true, OPN_REQ_SECURE);
	feed(r, false, OPN_RSP_SECURE);
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 0),
		"request message_type=\"OPN\" chunk_type=\"F\" message_size=129 secure_channel_id=0 "
		"security_policy_uri=\"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256\" "
		"sender_certificate_length=4 receiver_thumbprint_length=20 encrypted=true");
	CU_ASSERT_STRING_EQUAL(
		dsc_op(r, 1),
		"response message_type=\"OPN\" chunk_type=\"F\" message_size=129 secure_channel_id=7 "
		"security_policy_uri=\"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256\" "
		"sender_certificate_length=4 receiver_thumbprint_length=20 encrypted=true");
	feed(r, true, MSG_ENCRYPTED);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request message_type=\"MSG\" chunk_type=\"F\" message_size=40 "
					     "secure_channel_id=7 token_id=1 encrypted=true");
	/* Sign mode: the body is plain, the signature after it ignored */
	feed(r, true, MSG_SIGNED);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3),
			       "request message_type=\"MSG\" chunk_type=\"F\" message_size=90 secure_channel_id=7 "
			       "token_id=1 encrypted=false sequence_number=2 request_id=2 service_type=473 "
			       "service_name=\"CloseSessionRequest\" authentication_token=\"i=0\" "
			       "timestamp=133601400017995312 request_handle=7 return_diagnostics=0 timeout_hint=10000");
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_run_free(r);
}

static void test_policy_none_channel_decodes_unknown_types(void)
{
	/* On a None channel every body is plain: a vendor type is reported by number. */
	struct dsc_run *r = run();
	feed(r, true, OPN_REQ_NDPI);
	feed(r, false, OPN_RSP_NDPI);
	feed(r, true, "4d5347 46 21000000"    /* "MSG" final, size 33 */
		      "01000000 01000000"     /* channel 1, token 1 */
		      "06000000 06000000"     /* sequence number 6, request id 6 */
		      "01 05 3930"            /* type id ns=5;i=12345: not a standard service */
		      "00000000 00");         /* its parameters */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request message_type=\"MSG\" chunk_type=\"F\" message_size=33 "
					     "secure_channel_id=1 token_id=1 encrypted=false sequence_number=6 "
					     "request_id=6 service_type=12345 service_namespace=5");
	dsc_run_free(r);
}

static void test_framing_errors(void)
{
	struct dsc_run *r = run();
	/* an unknown message type: framing lost */
	struct bld_parse_result res;
	uint32_t len;
	uint8_t *b = bld_test_hex("58595a 46 10000000 0000000000000000", &len);
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_TYPE), 1);
	free(b);
	/* a size below the 8-byte header */
	dsc_clear(r);
	b = bld_test_hex("4d5347 46 07000000 00000000", &len);
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	free(b);
	/* a size past 16 MiB */
	dsc_clear(r);
	b = bld_test_hex("4d5347 46 01000001 00000000", &len);
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	free(b);
	/* exactly 16 MiB is a (large) chunk: wait for it */
	dsc_clear(r);
	b = bld_test_hex("4d5347 46 00000001 00000000", &len);
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 1u << 24);
	CU_ASSERT_EQUAL(total_events(r), 0);
	free(b);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	dsc_run_free(r);
}

static void test_bad_chunk(void)
{
	struct dsc_run *r = run();
	uint32_t len;
	uint8_t *b = bld_test_hex(READ_REQ_SCADA, &len);
	b[3] = 'X';
	struct bld_parse_result res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_CHUNK), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "chunk_type=\"X\""));
	free(b);
	/* HEL is always a single chunk */
	dsc_clear(r);
	b = bld_test_hex(HEL_NDPI, &len);
	b[3] = 'C';
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_CHUNK), 1);
	free(b);
	dsc_run_free(r);
}

static void test_truncated_and_malformed(void)
{
	/* the size frames the chunk inside its RequestHeader */
	struct dsc_run *r = run();
	uint32_t len;
	uint8_t *b = bld_test_hex(READ_REQ_SCADA, &len);
	b[4] = 44;
	struct bld_parse_result res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 44);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_TRUNCATED), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request message_type=\"MSG\" chunk_type=\"F\" message_size=44 "
					     "secure_channel_id=17502 token_id=1 encrypted=false sequence_number=4 "
					     "request_id=4 service_type=631 service_name=\"ReadRequest\" "
					     "authentication_token=\"i=1089700561\"");
	free(b);
	/* a String length of -5 (only -1 is allowed) */
	dsc_clear(r);
	b = bld_test_hex(READ_REQ_SCADA, &len);
	static const uint8_t audit[8] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	uint8_t *p = find(b, len, 40, audit, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[4] = 0xfb;
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_MALFORMED), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_TRUNCATED), 0);
	free(b);
	/* a HEL too short for its limits */
	dsc_clear(r);
	feed(r, true, "48454c 46 10000000 00000000 00000200");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request message_type=\"HEL\" chunk_type=\"F\" message_size=16");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_TRUNCATED), 1);
	dsc_run_free(r);
}

/* A MSG chunk of `size` bytes on an unknown channel (its body reads as ciphertext). */
static uint8_t *opaque_msg(uint32_t size, char chunk)
{
	uint8_t *b = calloc(1, size);
	if (!b)
		abort();
	memcpy(b, "MSG", 3);
	b[3] = (uint8_t)chunk;
	b[4] = (uint8_t)size, b[5] = (uint8_t)(size >> 8), b[6] = (uint8_t)(size >> 16);
	b[8] = 9;                         /* channel 9 */
	memset(b + 16, 0xa5, size - 16);  /* not a service NodeId */
	return b;
}

static void test_negotiated_limits(void)
{
	struct dsc_run *r = run();
	feed(r, true, HEL_NDPI);
	/* ACK: the server receives chunks of 8192 bytes at most, messages of 12000 */
	feed(r, false, "41434b 46 1c000000 00000000"
		       "00200000"     /* receive buffer size 8192 */
		       "00000200"     /* send buffer size */
		       "e02e0000"     /* max message size 12000 */
		       "00000000");   /* max chunk count */
	CU_ASSERT_EQUAL(total_events(r), 0);
	uint8_t *b = opaque_msg(8192, 'F');
	dsc_parse(r, true, false, b, 8192);
	CU_ASSERT_EQUAL(total_events(r), 0);
	free(b);
	b = opaque_msg(8193, 'F');
	struct bld_parse_result res = dsc_parse(r, true, false, b, 8193);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	free(b);
	/* towards the client the HEL's 131072 applies */
	dsc_clear(r);
	b = opaque_msg(9000, 'F');
	dsc_parse(r, false, false, b, 9000);
	CU_ASSERT_EQUAL(total_events(r), 0);
	free(b);
	/* a message of three chunks crossing 12000 bytes of body: one event, on the chunk that crosses */
	dsc_clear(r);
	b = opaque_msg(5000, 'C');
	dsc_parse(r, true, false, b, 5000);
	dsc_parse(r, true, false, b, 5000);
	CU_ASSERT_EQUAL(total_events(r), 0);
	dsc_parse(r, true, false, b, 5000);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	free(b);
	b = opaque_msg(5000, 'F');
	dsc_parse(r, true, false, b, 5000);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	/* the next message starts from zero */
	dsc_parse(r, true, false, b, 5000);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_BAD_LENGTH), 1);
	free(b);
	dsc_run_free(r);
}

static void test_connection_order(void)
{
	struct dsc_run *r = run();
	feed(r, false, ACK_NDPI); /* ACK without HEL */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE), 1);
	feed(r, true, HEL_NDPI);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE), 1);
	feed(r, true, ACK_NDPI); /* ACK from the HEL's sender */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE), 2);
	feed(r, true, HEL_NDPI); /* a second HEL */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_UNEXPECTED_MESSAGE), 3);
	dsc_run_free(r);
}

static void test_items_capacity(void)
{
	/* A ReadRequest naming 70 nodes lists 64 and counts 70. */
	enum { N = 70, ITEM = 4 + 4 + 4 + 2 + 4 };
	uint32_t hlen;
	uint8_t *h = bld_test_hex("4d5347 46 00000000" SCADA_MSG("04000000 04000000") "01 00 7702"
				  SCADA_REQ_HEADER("04000000") "0000000000000000 00000000 46000000", &hlen);
	uint32_t len = hlen + N * ITEM;
	uint8_t *b = calloc(1, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memcpy(b, h, hlen);
	b[4] = (uint8_t)len, b[5] = (uint8_t)(len >> 8);
	for (int i = 0; i < N; i++) {
		uint8_t *e = b + hlen + i * ITEM;
		static const uint8_t item[ITEM] = { 0x01, 0x02, 0, 0, 0x0d, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
						    0, 0, 0xff, 0xff, 0xff, 0xff };
		memcpy(e, item, ITEM);
		e[2] = (uint8_t)i; /* ns=2;i=<i> */
	}
	struct dsc_run *r = run();
	struct bld_parse_result res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(total_events(r), 1);
	/* the formatted line is cut at 2 KiB: read the record itself */
	const struct bld_op_field *count = bld_op_get(&r->op, "nodes_to_read_count");
	CU_ASSERT_PTR_NOT_NULL_FATAL(count);
	CU_ASSERT_EQUAL(count->v.u, N);
	unsigned listed = 0;
	for (unsigned i = 0; i < r->op.n_fields; i++)
		listed += r->op.f[i].name && strcmp(r->op.f[i].name, "node_id") == 0;
	CU_ASSERT_EQUAL(listed, 64);
	CU_ASSERT_FALSE(r->op.overflow);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "{node_id=\"ns=2;i=0\" attribute_id=13} {node_id=\"ns=2;i=1\""));
	free(b);
	free(h);
	dsc_run_free(r);
}

static void test_txn_capacity(void)
{
	/* BLD_TXN_MAX + 1 requests never answered: the oldest is forgotten, and its late answer is unmatched */
	struct dsc_run *r = run();
	uint32_t len;
	uint8_t *b = bld_test_hex(READ_REQ_SCADA, &len);
	static const uint8_t handle4[4] = { 4, 0, 0, 0 };
	uint8_t *hp = find(b, len, 40, handle4, 4); /* the request handle after the timestamp */
	CU_ASSERT_PTR_NOT_NULL_FATAL(hp);
	for (int i = 0; i < BLD_TXN_MAX + 1; i++) {
		hp[0] = (uint8_t)(4 + i);
		dsc_parse(r, true, false, b, len);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_TXN_CAPACITY), 1);
	feed(r, false, READ_RSP_SCADA); /* handle 4 */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_OPCUA_RESPONSE_WITHOUT_REQUEST), 1);
	free(b);
	dsc_run_free(r);
}

static void test_truncation_sweeps(void)
{
	static const char *const fixtures[] = {
		HEL_NDPI, ACK_NDPI, ERR_ITI, RHE_SYNTH, OPN_REQ_NDPI, OPN_RSP_NDPI, OPN_FAULT, CREATE_SESSION_NDPI,
		ACTIVATE_NDPI, ACTIVATE_ENCRYPTED, CLO_NDPI, READ_REQ_SCADA, READ_RSP_SCADA, CALL_ITI, WRITE_REQ, WRITE_RSP,
		CALL_REQ, CALL_RSP, BROWSE_REQ, FAULT_RSP, READ_CHUNK1, READ_CHUNK2, ABORT_MSG, OPN_REQ_SECURE,
		OPN_RSP_SECURE, MSG_ENCRYPTED, MSG_SIGNED,
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		dsc_truncation_sweep(&bld_dsc_opcua, true, fixtures[i]);
		dsc_truncation_sweep(&bld_dsc_opcua, false, fixtures[i]);
	}
}

static void test_back_to_back(void)
{
	/* several chunks in one buffer, as TCP delivers them */
	struct dsc_run *r = run();
	feed(r, true, HEL_NDPI OPN_REQ_NDPI CREATE_SESSION_NDPI);
	CU_ASSERT_EQUAL(r->n_ops, 3);
	dsc_run_free(r);
}

static void test_probe_unchanged(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(HEL_NDPI, &len);
	CU_ASSERT_EQUAL(bld_dsc_opcua.probe(b, len, true), BLD_PROBE_MATCH);
	CU_ASSERT_EQUAL(bld_dsc_opcua.probe(b, 7, true), BLD_PROBE_NO);
	b[0] = 'X';
	CU_ASSERT_EQUAL(bld_dsc_opcua.probe(b, len, true), BLD_PROBE_NO);
	free(b);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "HEL and ACK (ndpi frames 5, 7)", test_hello_ack },
		{ "ERR (iti frame 85)", test_error_message },
		{ "reverse connect: RHE, then HEL from the TCP server", test_reverse_hello },
		{ "OPN None: request, response, pairing by request id, security_none once", test_open_none },
		{ "OPN refused by a ServiceFault", test_open_refused },
		{ "security mode None on another policy", test_mode_none_event },
		{ "ReadRequest/Response (scada frames 180, 181) with response time", test_read },
		{ "pairing is per secure channel", test_pairing_per_channel },
		{ "CreateSession and ActivateSession with a clear password (ndpi 17, 21)", test_session },
		{ "CLO (ndpi frame 377) waits for no answer", test_close },
		{ "WriteRequest/Response", test_write },
		{ "CallRequest/Response", test_call },
		{ "CallRequest with an invalid NodeId (iti frame 84)", test_call_malformed },
		{ "BrowseRequest answered by a ServiceFault", test_browse_fault },
		{ "a message in two chunks", test_chunks },
		{ "an aborted message", test_abort },
		{ "Basic256Sha256 channel: encrypted and signed messages", test_secure_channel },
		{ "None channel: vendor service types", test_policy_none_channel_decodes_unknown_types },
		{ "framing errors: bad type, bad size", test_framing_errors },
		{ "bad chunk types", test_bad_chunk },
		{ "truncated and malformed bodies", test_truncated_and_malformed },
		{ "negotiated chunk and message sizes", test_negotiated_limits },
		{ "HEL/ACK order", test_connection_order },
		{ "list cap", test_items_capacity },
		{ "transaction cap", test_txn_capacity },
		{ "truncation sweeps", test_truncation_sweeps },
		{ "chunks back to back", test_back_to_back },
		{ "probe unchanged", test_probe_unchanged },
	};
	return bld_test_run("opcua", tests, BLD_TEST_COUNT(tests));
}
