"""Classic pcap and pcapng writers.

Timestamps are integer nanoseconds since the Unix epoch everywhere in the
generator, so output is byte-identical run to run (no float formatting in the
file path).  Both writers emit little-endian files; readers handle either
byte order through the magic number.

References: libpcap pcap-savefile(5) for classic pcap; the pcapng draft
(draft-ietf-opsawg-pcapng) for SHB/IDB/EPB layouts and option codes.
"""

import struct

# Link-layer header types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0          # BSD loopback, 4-byte AF in the *capturing host's* byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101         # raw IPv4/IPv6, version taken from the first nibble
LINKTYPE_LOOP = 108        # OpenBSD loopback, 4-byte AF in network byte order
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

DEFAULT_SNAPLEN = 262144


class PcapWriter:
    """Classic pcap (version 2.4) with microsecond or nanosecond timestamps."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, nanosecond=False,
                 snaplen=DEFAULT_SNAPLEN):
        self.nanosecond = nanosecond
        self.snaplen = snaplen
        self.count = 0
        self._f = open(path, "wb")
        # 0xa1b23c4d marks nanosecond resolution; 0xa1b2c3d4 microsecond.
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self._f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, t_ns, data, orig_len=None):
        sec, frac_ns = divmod(t_ns, 1_000_000_000)
        frac = frac_ns if self.nanosecond else frac_ns // 1000
        orig = len(data) if orig_len is None else orig_len
        self._f.write(struct.pack("<IIII", sec, frac, len(data), orig))
        self._f.write(data)
        self.count += 1

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def _options(opts):
    """Encode (code, bytes) pairs followed by opt_endofopt; empty list -> no options."""
    if not opts:
        return b""
    out = b""
    for code, value in opts:
        out += struct.pack("<HH", code, len(value)) + _pad4(value)
    return out + struct.pack("<HH", 0, 0)


def _block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


class PcapngWriter:
    """pcapng with one section; interfaces must be added before their packets."""

    def __init__(self, path, application="Bollard scripts/gen-scenario"):
        self.count = 0
        self._if_res = []          # per interface: ticks per second
        self._f = open(path, "wb")
        # shb_userappl (4); no hardware/OS options, which would vary by machine.
        body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        body += _options([(4, application.encode())])
        self._f.write(_block(0x0A0D0D0A, body))

    def add_interface(self, linktype, name, description=None,
                      snaplen=DEFAULT_SNAPLEN, nanosecond=True):
        opts = [(2, name.encode())]                       # if_name
        if description:
            opts.append((3, description.encode()))        # if_description
        if nanosecond:
            opts.append((9, bytes([9])))                  # if_tsresol = 10^-9
        body = struct.pack("<HHI", linktype, 0, snaplen) + _options(opts)
        self._f.write(_block(1, body))
        self._if_res.append(1_000_000_000 if nanosecond else 1_000_000)
        return len(self._if_res) - 1

    def write(self, iface, t_ns, data, orig_len=None, comment=None):
        ticks = t_ns * self._if_res[iface] // 1_000_000_000
        orig = len(data) if orig_len is None else orig_len
        body = struct.pack("<IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF,
                           len(data), orig)
        body += _pad4(data)
        if comment:
            body += _options([(1, comment.encode())])     # opt_comment
        self._f.write(_block(6, body))
        self.count += 1

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
