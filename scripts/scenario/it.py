"""Ordinary IT traffic that shares the OT segments: DNS, NTP, HTTP and ARP.

A monitor must classify these correctly and not mistake them for OT
protocols; the captures need them so that "unknown protocol" and "new flow"
checks have realistic background to work against.
"""

import struct

from .net import TcpConn, jit

NTP_UNIX_OFFSET = 2208988800     # seconds between 1900-01-01 and 1970-01-01

# ==================================================================== DNS

def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"


def dns_query(qid, name, qtype):
    """Standard query, RD set (RFC 1035 4.1.1)."""
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack(">HH", qtype, 1)


def dns_response(qid, name, qtype, answers=(), rcode=0, zone="terminal.local", ttl=300):
    """Authoritative answer (AA, RD, RA).  answers: list of rdata bytes for qtype.

    Empty answers (NXDOMAIN or NODATA) carry the zone SOA in the authority
    section as RFC 2308 negative caching requires.
    """
    question = dns_name(name) + struct.pack(">HH", qtype, 1)
    flags = 0x8580 | rcode
    body = question
    for rdata in answers:
        body += struct.pack(">HHHIH", 0xC00C, qtype, 1, ttl, len(rdata)) + rdata
    nscount = 0
    if not answers:
        # Compress the owner name to the zone suffix inside the question.
        labels = name.split(".")
        zl = zone.split(".")
        off = 12 + sum(len(l) + 1 for l in labels[:len(labels) - len(zl)])
        ptr = struct.pack(">H", 0xC000 | off)
        soa = (dns_name("infra-srv." + zone) + dns_name("hostmaster." + zone) +
               struct.pack(">IIIII", 2024051401, 3600, 600, 86400, 300))
        body += ptr + struct.pack(">HHIH", 6, 1, 300, len(soa)) + soa
        nscount = 1
    return struct.pack(">HHHHHH", qid, flags, 1, len(answers), nscount, 0) + body


def dns_exchange(ctx, lan, t, client, server, rng, name, qtype, answers, rcode=0,
                 tag="dns", attack=None, zone="terminal.local"):
    qid = rng.getrandbits(16)
    sport = rng.randint(*client.ephemeral)
    lan.udp(t, client, server.ip, sport, 53, dns_query(qid, name, qtype), tag, attack)
    tr = t + rng.uniform(0.0002, 0.0009)
    lan.udp(tr, server, client.ip, 53, sport, dns_response(qid, name, qtype, answers, rcode, zone),
            tag, attack)
    return tr


def ip_rdata(ip):
    return bytes(int(x) for x in ip.split("."))


# ==================================================================== NTP

def ntp_ts(unix):
    if unix == 0:
        return b"\0" * 8
    s = unix + NTP_UNIX_OFFSET
    return struct.pack(">II", int(s) & 0xFFFFFFFF, int((s % 1) * (1 << 32)) & 0xFFFFFFFF)


def ntp_client(xmit, poll=6):
    """NTPv4 client request (mode 3); only the transmit timestamp is set (RFC 5905 8)."""
    return struct.pack(">BBbbII4s", 0x23, 0, poll, -20, 0, 0, b"\0" * 4) + \
        ntp_ts(0) + ntp_ts(0) + ntp_ts(0) + ntp_ts(xmit)


def ntp_server(origin_raw, recv, xmit, ref, poll=6):
    """NTPv4 server reply (mode 4), stratum 1 referenced to GPS."""
    return struct.pack(">BBbbII4s", 0x24, 1, poll, -20, 0, 0x00000010, b"GPS\0") + \
        ntp_ts(ref) + origin_raw + ntp_ts(recv) + ntp_ts(xmit)


def run_ntp(ctx, lan, server, clients, poll_s=64):
    """Each client polls every poll_s seconds; the first poll lands in the first 10 s."""
    for client in clients:
        rng = ctx.rng("ntp-" + client.ip)
        offset = rng.uniform(-0.004, 0.004)          # client clock error
        sport = 123 if client.os == "linux" else rng.randint(*client.ephemeral)
        t = rng.uniform(0.5, 10.0)
        while t < ctx.duration - 0.1:
            req = ntp_client(ctx.wall(t) + offset)
            lan.udp(t, client, server.ip, sport, 123, req, "ntp")
            tr = t + rng.uniform(0.00015, 0.0004)
            rx = ctx.wall(t + 0.00005)
            lan.udp(tr, server, client.ip, 123, sport,
                    ntp_server(req[40:48], rx, ctx.wall(tr), ctx.wall(tr) - rng.uniform(0.2, 1.0)),
                    "ntp")
            t += poll_s + jit(rng, 0.05)


# =================================================================== HTTP

def http_response(status, reason, ctype, body, extra=""):
    head = ("HTTP/1.1 %d %s\r\nDate: {date}\r\nServer: Apache/2.4.57 (Debian)\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n%s"
            "Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n\r\n"
            % (status, reason, ctype, len(body), extra))
    return head, body


def http_date(unix):
    import time
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(unix)))


def _trend_page(t):
    rows = "".join("<tr><td>%02d:%02d</td><td>%.1f t</td><td>%d cm</td></tr>\n"
                   % (6, i, 28.0 + (i * 7 % 5), 1200 + i * 37) for i in range(60))
    return ("<!DOCTYPE html>\n<html><head><title>STS01 hoist trend</title>"
            "<link rel=\"stylesheet\" href=\"/static/hist.css\"></head>\n<body>\n"
            "<h1>STS01 hoist load, last hour</h1>\n<table>\n<tr><th>time</th><th>load</th>"
            "<th>height</th></tr>\n%s</table>\n</body></html>\n" % rows).encode()


def run_http(ctx, lan, H, dns_server):
    """Engineering workstation browsing the historian's web UI a few times a minute."""
    rng = ctx.rng("http-ews")
    client, server = H["ews"], H["hist"]
    ua = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")
    t = 3.0 + rng.uniform(0, 3)
    first = True
    while t < ctx.duration - 8:
        if first:
            # Browsers resolve A and AAAA together; the zone has no AAAA (NODATA).
            ta = dns_exchange(ctx, lan, t, client, dns_server, rng, "historian.terminal.local", 1,
                              [bytes([10, 10, 0, 20])])
            tb = dns_exchange(ctx, lan, t + 0.00006, client, dns_server, rng,
                              "historian.terminal.local", 28, [])
            t = max(ta, tb) + 0.002
        conn = TcpConn(lan, client, server, 80, rng, "http")
        t = conn.open(t)
        pages = [("/api/v1/reefers/summary", "application/json")]
        if rng.random() < 0.5 or first:
            pages.append(("/trend/sts01.html", "text/html"))
        if first:
            pages.append(("/favicon.ico", None))
        for path, ctype in pages:
            req = ("GET %s HTTP/1.1\r\nHost: historian.terminal.local\r\n"
                   "Connection: keep-alive\r\nUser-Agent: %s\r\nAccept: %s\r\n"
                   "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-GB,en;q=0.9\r\n\r\n"
                   % (path, ua, "application/json" if ctype == "application/json" else "*/*"))
            ts = conn.send(t + rng.uniform(0.001, 0.02), True, req.encode())
            tr = ts + rng.uniform(0.002, 0.012)
            if ctype == "application/json":
                body = ('{"site":"terminal-north","plugs":6,"alarms":%d,"avg_supply_c":%.2f,'
                        '"generated":"%s"}\n' % (rng.randint(0, 2), -11.3 + rng.gauss(0, 0.2),
                                                  http_date(ctx.wall(tr)))).encode()
                head, body = http_response(200, "OK", "application/json", body)
            elif ctype == "text/html":
                head, body = http_response(200, "OK", "text/html; charset=UTF-8", _trend_page(tr))
            else:
                body = (b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
                        b"<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
                        b"</body></html>\n")
                head, body = http_response(404, "Not Found", "text/html; charset=iso-8859-1", body)
            resp = head.format(date=http_date(ctx.wall(tr))).encode() + body
            t = conn.send(tr, False, resp)
        # Apache closes idle keep-alive connections after 5 s.
        t = conn.close(t + 5.0 + rng.uniform(0, 0.01), from_client=False)
        first = False
        t += rng.uniform(25, 50)


# ==================================================================== ARP

def run_arp_background(ctx, lan, pairs, gratuitous=()):
    """Linux neighbour re-validation (unicast ARP probes) and gratuitous ARP."""
    for src, dst in pairs:
        rng = ctx.rng("arp-%s-%s" % (src.ip, dst.ip))
        t = rng.uniform(30, 60)
        while t < ctx.duration - 1:
            lan.arp_frame(t, 1, src, dst.ip, target_mac=dst.mac)
            lan.arp_frame(t + rng.uniform(0.0002, 0.0012), 2, dst, src.ip, target_mac=src.mac)
            t += rng.uniform(45, 75)
    for host, t in gratuitous:
        if t < ctx.duration:
            # Gratuitous ARP: a request for one's own address, broadcast.
            lan.arp_frame(t, 1, host, host.ip)


def build_port_it(ctx, lan, H):
    run_http(ctx, lan, H, H["infra"])
    rng = ctx.rng("dns-misc")
    t = 2.0
    while t < ctx.duration - 1:
        who = rng.choice(["ews", "hmi", "scada"])
        if rng.random() < 0.5:
            # Windows WPAD discovery: NXDOMAIN every time.
            dns_exchange(ctx, lan, t, H[who], H["infra"], rng, "wpad.terminal.local", 1, [], rcode=3)
        else:
            target = rng.choice(["rtg01-plc", "sts01-plc", "substation-rtu", "historian"])
            ip = {"rtg01-plc": "10.10.1.12", "sts01-plc": "10.10.1.11",
                  "substation-rtu": "10.10.1.40", "historian": "10.10.0.20"}[target]
            dns_exchange(ctx, lan, t, H[who], H["infra"], rng, target + ".terminal.local", 1,
                         [ip_rdata(ip)])
        t += rng.uniform(15, 40)
    run_ntp(ctx, lan, H["ntp"], [H["scada"], H["hmi"], H["hist"], H["infra"], H["ews"]])
    run_arp_background(ctx, lan, [(H["hist"], H["opcua"]), (H["infra"], H["ntp"])],
                       gratuitous=[(H["mgate"], ctx.duration * 0.37), (H["gw"], ctx.duration * 0.61)])


def build_rail_it(ctx, lans, H):
    lan_a = lans[0]
    clients = [H["eil_a"], H["p_a"], H["ls_a"], H["tds_a"]]
    run_ntp(ctx, lan_a, H["ntp"], clients)
    run_arp_background(ctx, lan_a, [(H["eil_a"], H["ntp"])],
                       gratuitous=[(H["ccu-car1"], ctx.duration * 0.52), (H["gw"], ctx.duration * 0.61)])
