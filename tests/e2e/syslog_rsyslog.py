#!/usr/bin/env python3
"""Bollard's syslog export as a SIEM's rsyslog receives it.

For every transport (UDP, TCP with octet counting, TCP with LF framing, TLS
verified against a CA, TLS with a client certificate, a local datagram
socket, RELP to rsyslog's imrelp, RELP over mutual TLS) and every format (rfc5424, rfc3164, cef, json), `bollard read
--events E --syslog URL --syslog-format F samples/terminal-and-rail.pcap`
sends its alerts to an rsyslogd the test runs itself: in the foreground, with
its own configuration (tests/e2e/rsyslog/rsyslog.conf.in), work directory and
pid file in a temporary directory, inputs on free 127.0.0.1 ports and sockets
of its own.  rsyslog parses each message with its own modules and writes it
as one JSON line: the header fields its parsers read, the structured data
split by mmpstrucdata, the CEF fields split by liblognorm's cef parser
(mmnormalize), the JSON object parsed by mmjsonparse, the RFC 3164 MSG (whose
key=value pairs the test splits).  The test compares that with E, the
--events file of the same run, as docs/siem.md describes each format: every
alert arrives exactly once, every field it carries equals the alert's, PRI is
facility local0 and the severity mapped from the alert's, the timestamp is
last_seen.  Bollard runs in a time zone 5 hours east of UTC, so a local time
anywhere would show.

Also: the sensor identity options (--syslog-facility, --syslog-hostname,
--syslog-pen), two destinations at once, `bollard test --syslog`, alerts that
name a rule (the sample policy plus one rule), rsyslog's OpenSSL TLS driver
beside its GnuTLS one, and the end of a TLS connection: a receiver of the
test's own that reads 0.5 s late must still get every message, then a
close_notify (RFC 5425 §4.4), not a reset.  Two TLS servers with a bad
certificate (one for another name, one signed by another CA) must get
nothing: stderr says why (certificate, verify), exit status 2 (alerts not
delivered).  Controls check that these servers, and the mutual-TLS one
without a client certificate, are refused by a verifying client of the
test's own (Python's ssl), so that the negative checks mean something.

When the build's `bollard read --help` has no --syslog, or with --self-test,
the same receivers and checks run on hand-made messages in the four formats
(as docs/siem.md shows them): sent with util-linux logger over UDP and TCP
(logger stamps its own time: the header timestamp is not checked there), and
as raw lines over TLS and the local socket from Python.  That checks the
harness itself: rsyslog's parsing, the framing, the certificates.

    tests/e2e/syslog_rsyslog.py [BOLLARD] [--keep] [--self-test]

Prints one line per check and ends with "N passed, M failed[, K skipped]".
Exit status 1 when a check failed.  SKIPPED (exit 0) when rsyslogd, one of
its modules or openssl is missing: `scripts/setup --test` installs them.
"""
import argparse
import collections
import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Report  # noqa: E402  (also the harness's, for the tests that import this one)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF_DIR = os.path.join(ROOT, "tests", "e2e", "rsyslog")
CAPTURE = os.path.join(ROOT, "samples", "terminal-and-rail.pcap")
POLICY = os.path.join(ROOT, "samples", "site.yaml")

FORMATS = ("rfc5424", "rfc3164", "cef", "json")
TRANSPORTS = ("udp", "tcp-octet", "tcp-lf", "tls", "mtls", "unix")
RELP_TRANSPORTS = ("relp", "relp-tls")   # Bollard only: no hand-made sender speaks RELP
STREAMS = ("tcp", "tls", "mtls", "relp", "relp-tls")
SEVERITY = {"info": 6, "low": 5, "medium": 4, "high": 3, "critical": 2}   # RFC 5424 severity of an alert's
CEF_SEVERITY = {"info": 1, "low": 3, "medium": 5, "high": 8, "critical": 10}
CEF_NAME = {"flow.not_allowed": "Flow not allowed", "asset.new": "New asset", "op.not_allowed": "Operation not allowed",
            "value.out_of_range": "Value out of range", "rate.exceeded": "Rate exceeded",
            "timing.deviation": "Timing deviation", "timing.silence": "Cyclic request silent",
            "sensor.capacity": "Sensor capacity reached"}   # the policy's own kinds; protocol events keep their name
CEF_L4 = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP", "icmp": "ICMP", "icmpv6": "ICMPv6"}
FACILITY = 16                 # local0
PEN = 32473
CLIENT_CN = "bollard-client"
BOLLARD_TZ = "BLD-5"          # POSIX TZ: 5 hours east of UTC, needs no tzdata
BOLLARD_TIMEOUT = 30          # seconds, per bollard run
ARRIVAL_TIMEOUT = 15          # seconds for rsyslog to write what was sent
UTC = datetime.timezone.utc
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------
# Certificates


def make_certs(d):
    """A CA, a server certificate for localhost/127.0.0.1 and a client one
    signed by it; a server certificate of the CA for another name; another
    CA and a server certificate for localhost/127.0.0.1 signed by that."""
    os.makedirs(d)

    def openssl(*args):
        r = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.strip()}")

    def key(name):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key")

    def ca(name, cn):
        key(name)
        openssl("req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={cn}",
                "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, cn, san, eku, issuer):
        key(name)
        openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    f"extendedKeyUsage={eku}\nsubjectAltName={san}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
                "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
                "-extfile", f"{name}.ext", "-out", f"{name}.pem")

    ca("ca", "Bollard test CA")
    leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth", "ca")
    leaf("client", CLIENT_CN, f"DNS:{CLIENT_CN}", "clientAuth", "ca")
    leaf("wrongname", "wrong.example", "DNS:wrong.example,IP:192.0.2.1", "serverAuth", "ca")
    ca("otherca", "Another CA")
    leaf("otherserver", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth", "otherca")
    return {n: os.path.join(d, n) for n in ("ca", "server", "client", "wrongname", "otherca", "otherserver")}


# ---------------------------------------------------------------------------
# rsyslogd


def find_rsyslogd():
    return shutil.which("rsyslogd", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin")


def missing_tls_driver():
    """rsyslog loads its GnuTLS driver only when a TLS listener starts, after
    the configuration check: look for it beside imudp."""
    dirs = [os.path.dirname(p) for pattern in ("/usr/lib/*/rsyslog/imudp.so", "/usr/lib*/rsyslog/imudp.so")
            for p in glob.glob(pattern)]
    if dirs and not any(os.path.exists(os.path.join(d, "lmnsd_gtls.so")) for d in dirs):
        return f"rsyslog's GnuTLS driver (lmnsd_gtls.so, package rsyslog-gnutls) is not in {dirs[0]}"
    return None


def free_ports(n_tcp, n_udp):
    socks, tcp, udp = [], [], []
    try:
        for kind, n, out in ((socket.SOCK_STREAM, n_tcp, tcp), (socket.SOCK_DGRAM, n_udp, udp)):
            for _ in range(n):
                s = socket.socket(socket.AF_INET, kind)
                s.bind(("127.0.0.1", 0))
                socks.append(s)
                out.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return tcp, udp


def listening(proto):
    """Ports bound on 127.0.0.1 (or any address): TCP in LISTEN, all UDP."""
    ports = set()
    try:
        with open(f"/proc/net/{proto}") as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, port = fields[1].split(":")
                if proto == "tcp" and fields[3] != "0A":
                    continue
                if addr in ("0100007F", "00000000"):
                    ports.add(int(port, 16))
    except OSError:
        pass
    return ports


class Input:
    """One receiver: transport udp, tcp, tls, mtls or unix, format, and for
    TLS the server certificate (a key of make_certs) and rsyslog's driver."""

    def __init__(self, name, transport, fmt, server_cert="server", driver="gtls"):
        self.name, self.transport, self.fmt, self.server_cert = name, transport, fmt, server_cert
        self.driver = driver
        self.port = self.path = None

    def conf(self, certs):
        rs = f"case-{self.name}"
        s = f'ruleset(name="{rs}") {{\n\tset $.case = "{self.name}";\n\tcall {self.fmt}\n}}\n'
        if self.transport == "udp":
            return s + (f'input(type="imudp" address="127.0.0.1" port="{self.port}" ruleset="{rs}" '
                        f'rcvBufSize="4m")\n')
        if self.transport == "unix":
            # The regular parsers (not imuxsock's local format), the sender's
            # HOSTNAME and TIMESTAMP kept, no rate limit.
            return s + (f'input(type="imuxsock" socket="{self.path}" ruleset="{rs}" useSpecialParser="off" '
                        f'parseHostname="on" ignoreTimestamp="off" ratelimit.interval="0" createPath="off")\n')
        if self.transport.startswith("relp"):
            # imrelp: every message acknowledged.  Over TLS librelp wants the
            # client's certificate, checked by name.
            s += f'input(type="imrelp" address="127.0.0.1" port="{self.port}" ruleset="{rs}"'
            if self.transport == "relp-tls":
                c = certs[self.server_cert]
                s += (f'\n\ttls="on" tls.caCert="{certs["ca"]}.pem" tls.myCert="{c}.pem" tls.myPrivKey="{c}.key"'
                      f'\n\ttls.authMode="name" tls.permittedPeer=["{CLIENT_CN}"]')
            return s + ")\n"
        s += f'input(type="imtcp" address="127.0.0.1" port="{self.port}" ruleset="{rs}"'
        if self.transport in ("tls", "mtls"):
            c = certs[self.server_cert]
            # GnuTLS, but for one case: with rsyslog 8.2302's OpenSSL driver
            # (nsd_ossl) a TLS error of one session (the client without a
            # certificate) can fail a later session on the same thread, so
            # only one input, beside no failing session, uses it.
            auth = 'streamDriver.authMode="anon"' if self.transport == "tls" else \
                f'streamDriver.authMode="x509/name" permittedPeer=["{CLIENT_CN}"]'
            s += (f'\n\tstreamDriver.name="{self.driver}" streamDriver.mode="1" {auth}'
                  f'\n\tstreamDriver.CAFile="{certs["ca"]}.pem" streamDriver.CertFile="{c}.pem" '
                  f'streamDriver.KeyFile="{c}.key"')
        return s + ")\n"


class Rsyslog:
    def __init__(self, rsyslogd, tmp, inputs, certs):
        self.rsyslogd, self.dir, self.inputs, self.certs = rsyslogd, tmp, inputs, certs
        self.conf = os.path.join(tmp, "rsyslog.conf")
        self.out = os.path.join(tmp, "out")
        self.proc = None

    def write_conf(self):
        os.makedirs(os.path.join(self.dir, "work"), exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        tcp, udp = free_ports(sum(i.transport in STREAMS for i in self.inputs),
                              sum(i.transport == "udp" for i in self.inputs))
        for i in self.inputs:
            if i.transport == "udp":
                i.port = udp.pop()
            elif i.transport == "unix":
                i.path = os.path.join(self.dir, i.name + ".sock")
            else:
                i.port = tcp.pop()
        rulebase = os.path.join(self.dir, "cef.rulebase")
        shutil.copy(os.path.join(CONF_DIR, "cef.rulebase"), rulebase)
        with open(os.path.join(CONF_DIR, "rsyslog.conf.in")) as f:
            text = f.read()
        cases = "\n".join(i.conf(self.certs) for i in self.inputs)
        if any(i.transport.startswith("relp") for i in self.inputs):
            cases = 'module(load="imrelp")\n' + cases
        text = (text.replace("@CASES@", cases)
                .replace("@RULEBASE@", rulebase).replace("@DIR@", self.dir))
        with open(self.conf, "w") as f:
            f.write(text)

    def validate(self):
        """rsyslogd -N1: Skip when a module is missing, error otherwise."""
        r = subprocess.run([self.rsyslogd, "-N1", "-f", self.conf], capture_output=True, text=True,
                           timeout=30, check=False)
        text = r.stdout + r.stderr
        m = re.search(r"could not load module '([^']+)'[^\n]*", text)
        if m:
            raise Skip(f"rsyslog module {m.group(1)} is missing ({m.group(0).strip()})")
        if r.returncode != 0 or "error" in text.lower():
            raise RuntimeError(f"rsyslogd -N1 rejects the test's configuration:\n{text}")

    def ready(self):
        return ({i.port for i in self.inputs if i.transport in STREAMS} <= listening("tcp")
                and {i.port for i in self.inputs if i.transport == "udp"} <= listening("udp")
                and all(os.path.exists(i.path) for i in self.inputs if i.transport == "unix"))

    def start(self):
        for attempt in range(3):
            self.write_conf()
            if attempt == 0:
                self.validate()
            with open(os.path.join(self.dir, "rsyslogd.stderr"), "a") as log:
                self.proc = subprocess.Popen([self.rsyslogd, "-n", "-f", self.conf, "-i",
                                              os.path.join(self.dir, "rsyslogd.pid")],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             env=dict(os.environ, TZ="UTC"), start_new_session=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.ready():
                    return
                time.sleep(0.05)
            self.stop()      # a port taken in between by someone else: try other ports
        raise RuntimeError("rsyslogd did not listen on its ports and sockets:\n" + self.log_tail())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self, n=20):
        p = os.path.join(self.dir, "rsyslogd.stderr")
        return "\n".join(open(p, errors="replace").read().splitlines()[-n:]) if os.path.exists(p) else ""

    def out_path(self, name):
        return os.path.join(self.out, name + ".jsonl")

    def count(self, name):
        try:
            with open(self.out_path(name), "rb") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def records(self, name):
        try:
            with open(self.out_path(name)) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_for(self, want):
        """Wait until each case's file has want[name] lines (or the timeout),
        then a little longer for messages that should not come."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while time.monotonic() < deadline:
            if all(self.count(n) >= w for n, w in want.items()):
                break
            time.sleep(0.1)
        time.sleep(0.5)


# ---------------------------------------------------------------------------
# What a field becomes on the way (docs/siem.md, "Characters")


def ctl_space(s, keep=""):
    """Control characters (but those in keep) become spaces."""
    return re.sub("[\x00-\x1f\x7f]", lambda m: m.group(0) if m.group(0) in keep else " ", s)


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


def iso_us(s):
    try:
        return parse_time(s).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (ValueError, TypeError, AttributeError):
        return f"unparseable {s!r}"


def bsd_time(s):
    """RFC 3164 TIMESTAMP of an RFC 3339 time, in UTC."""
    t = parse_time(s)
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"


def month_day_time(s):
    """MM-DDTHH:MM:SS of rsyslog's timereported for RFC 3164 (it guesses the year)."""
    try:
        return parse_time(s).strftime("%m-%dT%H:%M:%S")
    except (ValueError, TypeError, AttributeError):
        return f"unparseable {s!r}"


def ms_text(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def epoch_ms(s):
    t = parse_time(s)
    return (int(t.timestamp()) * 1000) + t.microsecond // 1000


def cef_time(v):
    """A CEF time (milliseconds since the epoch, or 'MMM dd yyyy HH:mm:ss[.SSS][ zone]') as ms_text."""
    if re.fullmatch(r"\d+", v or ""):
        return ms_text(datetime.datetime.fromtimestamp(int(v) // 1000, UTC)
                       + datetime.timedelta(milliseconds=int(v) % 1000))
    s = re.sub(r"\s+(UTC|GMT|Z|\+00:?00)$", "", v or "")
    for fmt in ("%b %d %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S"):
        try:
            return ms_text(datetime.datetime.strptime(s, fmt).replace(tzinfo=UTC))
        except ValueError:
            pass
    return f"unparseable CEF time {v!r}"


def text_of(v):
    """A JSON value as the text a syslog field carries: strings as they are,
    numbers and booleans as JSON writes them, objects and arrays as compact
    JSON (keys sorted: compared as objects)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return json.dumps(v)


def json_text(raw):
    """A received value that should be compact JSON, in text_of's form; says
    so when it is not JSON or not compact."""
    try:
        v = json.loads(raw)
    except ValueError:
        return f"not JSON: {raw!r}"
    if raw not in (json.dumps(v, separators=(",", ":"), ensure_ascii=False),
                   json.dumps(v, separators=(",", ":"))):
        return f"not compact JSON: {raw!r}"
    return text_of(v)


def endpoint(ip, port):
    if port is None:
        return ip
    return f"[{ip}]:{port}" if ":" in ip and not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", ip) else f"{ip}:{port}"


# ---------------------------------------------------------------------------
# Expected and received views: field -> text, compared field by field


class Ctx:
    def __init__(self, host, pid, version, l4, check_time=True, facility=FACILITY, pen=PEN):
        self.host, self.pid, self.version, self.l4 = host, pid, version, l4
        self.check_time, self.facility, self.sd_id = check_time, facility, f"bollard@{pen}"


def header_expected(fmt, ev, ctx):
    v = {"pri.facility": str(ctx.facility), "pri.severity": str(SEVERITY.get(ev["severity"], "?")),
         "hostname": ctx.host, "procid": str(ctx.pid)}
    if fmt in ("rfc5424", "json"):
        v.update({"version": "1", "app-name": "bollard", "msgid": ev["event"]})
        if ctx.check_time:
            v["timestamp"] = iso_us(ev["last_seen"])
    else:
        v.update({"version": "0", "programname": "bollard", "syslogtag": f"bollard[{ctx.pid}]:"})
        if ctx.check_time:
            v["timestamp"] = month_day_time(ev["last_seen"])
    return v


def header_received(fmt, rec, ctx):
    v = {"pri.facility": rec.get("syslogfacility"), "pri.severity": rec.get("syslogseverity"),
         "hostname": rec.get("hostname"), "procid": rec.get("procid"), "version": rec.get("protocol-version")}
    if fmt in ("rfc5424", "json"):
        v.update({"app-name": rec.get("app-name"), "msgid": rec.get("msgid")})
        if ctx.check_time:
            v["timestamp"] = iso_us(rec.get("timereported"))
    else:
        v.update({"programname": rec.get("programname"), "syslogtag": rec.get("syslogtag")})
        if ctx.check_time:
            v["timestamp"] = month_day_time(rec.get("timereported"))
    return v


def sd_params(ev):
    """The SD-PARAMs of an alert: its fields in order, but event and ts (in
    the header), nulls and an empty detail."""
    return [(k, x) for k, x in ev.items()
            if k not in ("ts", "event") and x is not None and not (k == "detail" and x == "")]


def expect_rfc5424(ev, raw, ctx):
    v = header_expected("rfc5424", ev, ctx)
    v["sd-ids"] = ctx.sd_id
    for k, x in sd_params(ev):
        v["sd." + k] = ctl_space(text_of(x)) if isinstance(x, str) else text_of(x)
    v["msg"] = "\ufeff" + ctl_space(ev["reason"])
    return v


def received_rfc5424(rec, ctx):
    v = header_received("rfc5424", rec, ctx)
    sd = (rec.get("$!") or {}).get("rfc5424-sd") or {}
    v["sd-ids"] = ",".join(sorted(sd)) or f"none parsed from {rec.get('structured-data')!r}"
    for k, x in (sd.get(ctx.sd_id) or {}).items():
        v["sd." + k] = json_text(x) if x[:1] in ("{", "[") else x
    v["msg"] = rec.get("msg")
    return v


def kv_expected(ev):
    return {"kv.event": ev["event"], "kv.severity": ev["severity"],
            "kv.rule": "-" if ev.get("rule") is None else ctl_space(ev["rule"]),
            "kv.src": endpoint(ev.get("src_ip") or ev.get("src_mac"), ev.get("src_port")),
            "kv.dst": endpoint(ev.get("dst_ip") or ev.get("dst_mac"), ev.get("dst_port")),
            "kv.proto": ctl_space(ev["proto"]), "kv.count": text_of(ev["count"]),
            "kv.reason": ctl_space(ev["reason"]), "kv.detail": ctl_space(ev.get("detail") or "")}


def parse_kv(msg):
    """key=value key="quoted \\" value" ..., with \\xNN bytes, -> {"kv.key":
    value}; what does not parse is reported under kv.UNPARSED."""
    v, i, n = {}, 0, len(msg)
    key_re = re.compile(r"([A-Za-z0-9_.-]+)=")
    while i < n:
        while i < n and msg[i] == " ":
            i += 1
        m = key_re.match(msg, i)
        if not m:
            if i < n:
                v["kv.UNPARSED"] = msg[i:]
            break
        key, i = m.group(1), m.end()
        quoted = i < n and msg[i] == '"'
        i += quoted
        val = bytearray()
        while i < n and (msg[i] != '"' if quoted else msg[i] != " "):
            if msg[i] == "\\" and re.match(r"x[0-9a-fA-F]{2}", msg[i + 1:i + 4]):
                val.append(int(msg[i + 2:i + 4], 16))
                i += 4
                continue
            if quoted and msg[i] == "\\" and i + 1 < n:
                i += 1
            val += msg[i].encode()
            i += 1
        if quoted:
            if i >= n:
                v["kv.UNPARSED"] = f"unterminated quote in {key}"
            i += 1
        v[("kv.DUPLICATE-" if "kv." + key in v else "kv.") + key] = val.decode("utf-8", "replace")
    return v


def expect_rfc3164(ev, raw, ctx):
    v = header_expected("rfc3164", ev, ctx)
    v.update(kv_expected(ev))
    return v


def received_rfc3164(rec, ctx):
    v = header_received("rfc3164", rec, ctx)
    msg = rec.get("msg") or ""
    v.update(parse_kv(msg[1:] if msg.startswith(" ") else msg))
    return v


def cef_extension(ev, ctx):
    """The CEF extension of an alert, key -> value before escaping."""
    ip = "src_ip" in ev
    l4 = ctx.l4.get(ev["flow_id"])
    x = {"rt": epoch_ms(ev["last_seen"]), "cat": ev["event"] if ev["event"] in CEF_NAME else "protocol",
         "act": ev["action"], "src": ev.get("src_ip"), "smac": ev.get("src_mac"), "spt": ev.get("src_port"),
         "dst": ev.get("dst_ip"), "dmac": ev.get("dst_mac"), "dpt": ev.get("dst_port"),
         "proto": CEF_L4.get(l4, l4) if ip else None, "app": ev["proto"],
         "shost": ev.get("src_host"), "dhost": ev.get("dst_host"), "cnt": ev["count"],
         "start": epoch_ms(ev["first_seen"]), "end": epoch_ms(ev["last_seen"]), "msg": ev["reason"]}
    for n, (label, val) in enumerate((("rule", ev.get("rule")), ("detail", ev.get("detail") or None),
                                      ("severity", ev["severity"])), 1):
        if val is not None:
            x[f"cs{n}Label"], x[f"cs{n}"] = label, val
    x.update({"cn1Label": "flow_id", "cn1": ev["flow_id"]})
    return {k: ctl_space(text_of(val), "\r\n") for k, val in x.items() if val is not None}


def expect_cef(ev, raw, ctx):
    v = header_expected("cef", ev, ctx)
    v.update({"cef.DeviceVendor": "Bollard", "cef.DeviceProduct": "Bollard", "cef.DeviceVersion": ctx.version,
              "cef.SignatureID": ev["event"], "cef.Name": CEF_NAME.get(ev["event"], ev["event"]),
              "cef.Severity": str(CEF_SEVERITY.get(ev["severity"], "?"))})
    for k, val in cef_extension(ev, ctx).items():
        v["x." + k] = cef_time(val) if k in ("rt", "start", "end") else val
    return v


def received_cef(rec, ctx):
    v = header_received("cef", rec, ctx)
    tree = rec.get("$!") or {}
    cef = tree.get("cef")
    if not isinstance(cef, dict):
        v["cef.PARSE-FAILED"] = tree.get("unparsed-data", rec.get("msg"))
        return v
    for k in ("DeviceVendor", "DeviceProduct", "DeviceVersion", "SignatureID", "Name", "Severity"):
        v["cef." + k] = cef.get(k)
    for k, val in (cef.get("Extensions") or {}).items():
        v["x." + k] = cef_time(val) if k in ("rt", "start", "end") else val
    return v


def expect_json(ev, raw, ctx):
    v = header_expected("json", ev, ctx)
    v["structured-data"] = "-"
    v["msg"] = raw
    v.update({"ev." + k: text_of(x) for k, x in ev.items()})
    return v


def received_json(rec, ctx):
    v = header_received("json", rec, ctx)
    v["structured-data"] = rec.get("structured-data")
    v["msg"] = rec.get("msg")
    obj = (rec.get("$!") or {}).get("ev") or {}
    v.update({"ev." + k: text_of(x) for k, x in obj.items()})
    return v


VIEWS = {   # expected view, received view, the fields that identify an alert
    "rfc5424": (expect_rfc5424, received_rfc5424, ("sd.flow_id", "msgid", "sd.first_seen")),
    "rfc3164": (expect_rfc3164, received_rfc3164, ("kv.event", "kv.src", "kv.dst", "kv.detail", "kv.reason")),
    "cef": (expect_cef, received_cef, ("x.cn1", "cef.SignatureID", "x.start")),
    "json": (expect_json, received_json, ("ev.flow_id", "ev.event", "ev.first_seen")),
}


def show(v):
    return "<absent>" if v is None else repr(v)


def diff(exp, got):
    return [(k, exp.get(k), got.get(k)) for k in list(exp) + [k for k in got if k not in exp]
            if exp.get(k) != got.get(k)]


def compare(fmt, events, raws, records, ctx):
    """(ok, summary, detail lines) for one destination."""
    expect, receive, key_fields = VIEWS[fmt]
    exp = [expect(e, r, ctx) for e, r in zip(events, raws)]
    got = [receive(r, ctx) for r in records]
    raw_of = {id(v): r.get("rawmsg", "") for v, r in zip(got, records)}

    def key(v):
        return tuple(v.get(k) for k in key_fields)

    def name(v):
        return " ".join(str(x) for x in key(v)[:3])

    by_key = collections.defaultdict(lambda: ([], []))
    for v in exp:
        by_key[key(v)][0].append(v)
    for v in got:
        by_key[key(v)][1].append(v)
    expected_keys = {key(e) for e in exp}
    pairs, left_exp, left_got, dups = [], [], [], []
    for k, (es, gs) in by_key.items():
        es, gs = list(es), list(gs)
        for e in list(es):                         # identical ones first
            if e in gs:
                es.remove(e)
                gs.remove(e)
                pairs.append((e, e))
        while es and gs:
            pairs.append((es.pop(0), gs.pop(0)))
        left_exp += es
        (dups if k in expected_keys else left_got).extend(gs)
    # Messages whose identifying fields themselves differ: pair with the
    # closest leftover when at least half the fields agree.
    for g in list(left_got):
        if not left_exp:
            break
        best = max(left_exp, key=lambda e: sum(e.get(f) == g.get(f) for f in e))
        if sum(best.get(f) == g.get(f) for f in best) * 2 >= len(best):
            left_exp.remove(best)
            left_got.remove(g)
            pairs.append((best, g))

    # Differences grouped by field: in how many messages, and the first one.
    fields, bad_pairs = {}, 0
    for e, g in pairs:
        d = diff(e, g)
        bad_pairs += bool(d)
        for k, a, b in d:
            if k not in fields:
                fields[k] = [0, f"{name(e)}: expected {show(a)}, got {show(b)}"]
            fields[k][0] += 1
    details = [f"{k}: differs in {n} of {len(pairs)} messages, first {ex}"
               for k, (n, ex) in sorted(fields.items(), key=lambda kv: -kv[1][0])]

    def some(lines, what):
        return lines[:3] + ([f"... and {len(lines) - 3} more {what}"] if len(lines) > 3 else [])

    details += some([f"{name(g)}: arrived more than once" for g in dups], "duplicates")
    raws_got = [raw_of.get(id(g), "") for g in left_got]
    details += some([f"unexpected message ({name(g)}): {r[:300]!r}{'...' if len(r) > 300 else ''}"
                     for g, r in zip(left_got, raws_got)], "unexpected messages")
    details += some([f"{name(e)}: missing (never arrived)" for e in left_exp], "missing")
    ok = not details and len(records) == len(events)
    if ok:
        summary = f"{len(events)} alerts arrived once each, every field equal ({len(exp[0]) if exp else 0} per message)"
    else:
        summary = (f"{len(events)} alerts, {len(records)} messages: {len(pairs) - bad_pairs} equal, "
                   f"{bad_pairs} with differing fields, {len(left_exp)} missing, {len(dups)} duplicated, "
                   f"{len(left_got)} unexpected")
    return ok, summary, details


# ---------------------------------------------------------------------------
# Hand-made messages (the harness self-test): the formats as docs/siem.md
# shows them, sent with logger and from Python.


def sd_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def kv_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cef_hdr_escape(s):
    return s.replace("\\", "\\\\").replace("|", "\\|")


def cef_ext_escape(s):
    return s.replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def sd_text(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False) if isinstance(v, (dict, list)) else text_of(v)


def handmade_body(fmt, ev, raw, ctx):
    """(SD-PARAMs or None, MSG) of an alert in a format, without the header."""
    if fmt == "rfc5424":
        return [f'{k}="{sd_escape(sd_text(x))}"' for k, x in sd_params(ev)], "\ufeff" + ev["reason"]
    if fmt == "json":
        return None, raw
    if fmt == "rfc3164":
        kv = kv_expected(ev)
        return None, " ".join(f"{k[3:]}={kv_quote(x) if k in ('kv.reason', 'kv.detail') else x}"
                              for k, x in kv.items())
    ext = " ".join(f"{k}={cef_ext_escape(x)}" for k, x in cef_extension(ev, ctx).items())
    return None, (f"CEF:0|Bollard|Bollard|{cef_hdr_escape(ctx.version)}|{cef_hdr_escape(ev['event'])}|"
                  f"{cef_hdr_escape(CEF_NAME.get(ev['event'], ev['event']))}|{CEF_SEVERITY[ev['severity']]}|{ext}")


def handmade_line(fmt, ev, raw, ctx):
    pri = f"<{ctx.facility * 8 + SEVERITY[ev['severity']]}>"
    sd, msg = handmade_body(fmt, ev, raw, ctx)
    if fmt in ("rfc5424", "json"):
        sd = f"[{ctx.sd_id} {' '.join(sd)}]" if sd else "-"
        return f"{pri}1 {ev['last_seen']} {ctx.host} bollard {ctx.pid} {ev['event']} {sd} {msg}"
    return f"{pri}{bsd_time(ev['last_seen'])} {ctx.host} bollard[{ctx.pid}]: {msg}"


def send_logger(fmt, transport, port, events, raws, ctx):
    base = ["logger", "-n", "127.0.0.1", "-P", str(port), "-t", "bollard", f"--id={ctx.pid}", "-S", "65536"]
    base += ["-d"] if transport == "udp" else ["-T"] + (["--octet-count"] if transport == "tcp-octet" else [])
    if fmt in ("rfc3164", "cef"):
        lines = "".join(f"<{ctx.facility * 8 + SEVERITY[e['severity']]}>{handmade_body(fmt, e, r, ctx)[1]}\n"
                        for e, r in zip(events, raws))
        subprocess.run(base + ["--rfc3164", "--prio-prefix"], input=lines.encode(), check=True, timeout=30)
        return
    for e, r in zip(events, raws):
        sd, msg = handmade_body(fmt, e, r, ctx)
        args = base + ["--rfc5424=notq", "--msgid", e["event"],
                       "-p", f"local{ctx.facility - 16}.{SEVERITY[e['severity']]}"]
        if sd:
            args += ["--sd-id", ctx.sd_id] + [a for p in sd for a in ("--sd-param", p)]
        subprocess.run(args + ["--", msg], check=True, timeout=30)


def tls_context(certs, client_cert):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=certs["ca"] + ".pem")
    if client_cert:
        ctx.load_cert_chain(certs["client"] + ".pem", certs["client"] + ".key")
    return ctx


def send_tls(host, port, lines, certs, client_cert):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with tls_context(certs, client_cert).wrap_socket(raw, server_hostname=host) as s:
            for line in lines:
                b = line.encode()
                s.sendall(f"{len(b)} ".encode() + b)
            try:
                s.unwrap()       # close_notify
            except (ssl.SSLError, OSError):
                pass             # GnuTLS closes without answering it


def send_unix(path, lines):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        for line in lines:
            s.sendto(line.encode(), path)


# ---------------------------------------------------------------------------
# The run


def url_of(inp):
    if inp.transport == "unix":
        return f"unix:{inp.path}", None
    if inp.transport == "mtls":
        return f"tls://localhost:{inp.port}", "localhost"      # a DNS name checked against the SAN
    scheme = {"udp": "udp", "tcp": "tcp", "tls": "tls", "relp": "relp", "relp-tls": "relp+tls"}[inp.transport]
    return f"{scheme}://127.0.0.1:{inp.port}", "127.0.0.1"     # an address checked against the IP SAN


def read_events(path):
    raws = [line.rstrip("\n") for line in open(path)] if os.path.exists(path) else []
    raws = [r for r in raws if r]
    return [json.loads(r) for r in raws], raws


def tls_controls(inputs, certs, report):
    """A verifying client must refuse the servers with a bad certificate."""
    for name, why in (("tls-wrong-name", "a certificate for wrong.example"),
                      ("tls-other-ca", "a certificate signed by another CA")):
        try:
            with socket.create_connection(("127.0.0.1", inputs[name].port), timeout=10) as raw:
                with tls_context(certs, False).wrap_socket(raw, server_hostname="127.0.0.1"):
                    pass
            report.check(False, f"control {name}", f"Python's ssl accepted {why}: the negative check would mean nothing")
        except ssl.SSLCertVerificationError as e:
            report.check(True, f"control {name}", f"Python's ssl refuses {why} ({e.verify_message})")
        except OSError as e:
            report.check(False, f"control {name}", f"unexpected error {e!r}")


def nocert_control(inputs, certs):
    """Send to the mutual-TLS server without a client certificate (checked
    later: nothing may arrive)."""
    try:
        send_tls("localhost", inputs["mtls-nocert"].port,
                 ["<131>May 14 06:00:00 host control[1]: without a client certificate"], certs, False)
    except OSError:
        pass     # TLS 1.3: the server's refusal may or may not reach the client before it closes


def case_inputs(mode):
    """The receivers of a suite, by name."""
    ins = {}
    for t in TRANSPORTS:
        for f in FORMATS:
            ins[f"{t}-{f}"] = Input(f"{t}-{f}", "tcp" if t.startswith("tcp") else t, f)
    ins["tls-wrong-name"] = Input("tls-wrong-name", "tls", "rfc5424", "wrongname")
    ins["tls-other-ca"] = Input("tls-other-ca", "tls", "rfc5424", "otherserver")
    ins["mtls-nocert"] = Input("mtls-nocert", "mtls", "rfc3164")
    ins["tls-ossl-rfc5424"] = Input("tls-ossl-rfc5424", "tls", "rfc5424", driver="ossl")
    if mode == "bollard":
        for t in RELP_TRANSPORTS:
            for f in FORMATS:
                ins[f"{t}-{f}"] = Input(f"{t}-{f}", t, f)
        ins["options-rfc5424"] = Input("options-rfc5424", "udp", "rfc5424")
        ins["options-cef"] = Input("options-cef", "tcp", "cef")
        ins["multi-tcp-json"] = Input("multi-tcp-json", "tcp", "json")
        ins["multi-tls-json"] = Input("multi-tls-json", "tls", "json")
        ins["test-rfc5424"] = Input("test-rfc5424", "tcp", "rfc5424")
        for f in ("rfc5424", "rfc3164", "cef"):
            ins[f"rule-{f}"] = Input(f"rule-{f}", "tcp", f)
    return ins


class Run:
    """One bollard run and the destinations it sends to."""

    def __init__(self, name, fmt, dests, extra=(), cmd="read", want_rc=0, ctx=None, policy=POLICY,
                 timeout=BOLLARD_TIMEOUT):
        self.name, self.fmt, self.dests, self.extra, self.cmd = name, fmt, dests, list(extra), cmd
        self.policy = policy
        self.want_rc, self.ctx_args, self.timeout = want_rc, ctx or {}, timeout
        self.proc = self.rc = None
        self.stderr, self.timed_out, self.events = "", False, None

    def start(self, bollard, inputs, sdir):
        self.events = os.path.join(sdir, self.name + ".events.jsonl")
        cmd = [bollard, self.cmd, "--policy", self.policy, "--events", self.events]
        if self.cmd == "read":
            cmd.insert(2, "--no-progress")
        for d in self.dests:
            cmd += ["--syslog", url_of(inputs[d])[0]]
        self.cmdline = cmd + ["--syslog-format", self.fmt] + self.extra + [CAPTURE]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmdline, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, TZ=BOLLARD_TZ))

    def finish(self):
        try:
            _, self.stderr = self.proc.communicate(timeout=max(1, self.timeout - (time.monotonic() - self.t0)))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.stderr = self.proc.communicate()
            self.timed_out = True
        self.rc = self.proc.returncode


RULE_ID = "attacker-reads.rtg01_plc"


def rule_policy(path):
    """The sample policy and a rule that lets the attacker read rtg01-plc over
    Modbus: its writes become op.not_allowed alerts that name a rule (the
    sample's own alerts all have rule null)."""
    with open(POLICY) as f, open(path, "w") as out:
        out.write(f.read() + f"  - id: {RULE_ID}\n    from: 10.10.0.66\n    to: rtg01-plc\n    protocol: modbus\n"
                  "    operations:\n      - function: 3\n")
    return path


def bollard_runs(inputs, certs, test_rc, sdir):
    ca = ["--syslog-ca", certs["ca"] + ".pem"]
    client = ["--syslog-cert", certs["client"] + ".pem", "--syslog-key", certs["client"] + ".key"]
    negatives = [Run(n, "rfc5424", [n], ca + ["--syslog-flush-timeout", "2"], want_rc=2)
                 for n in ("tls-wrong-name", "tls-other-ca")]
    runs = []
    for t in TRANSPORTS:
        for f in FORMATS:
            extra = {"tcp-octet": ["--syslog-framing", "octet"], "tcp-lf": ["--syslog-framing", "lf"],
                     "tls": ca, "mtls": ca + client}.get(t, [])
            runs.append(Run(f"{t}-{f}", f, [f"{t}-{f}"], extra))
    for t in RELP_TRANSPORTS:
        for f in FORMATS:
            runs.append(Run(f"{t}-{f}", f, [f"{t}-{f}"], ca + client if t == "relp-tls" else []))
    identity = ["--syslog-facility", "local3", "--syslog-hostname", "sensor-1.example", "--syslog-pen", "12345"]
    ident_ctx = {"facility": 19, "host": "sensor-1.example", "pen": 12345}
    runs.append(Run("options-rfc5424", "rfc5424", ["options-rfc5424"], identity, ctx=ident_ctx))
    runs.append(Run("options-cef", "cef", ["options-cef"], identity, ctx=ident_ctx))
    runs.append(Run("multi-json", "json", ["multi-tcp-json", "multi-tls-json"], ca))
    runs.append(Run("test-rfc5424", "rfc5424", ["test-rfc5424"], cmd="test", want_rc=test_rc))
    runs.append(Run("tls-ossl-rfc5424", "rfc5424", ["tls-ossl-rfc5424"], ca))
    policy = rule_policy(os.path.join(sdir, "rule-policy.yaml"))
    runs += [Run(f"rule-{f}", f, [f"rule-{f}"], policy=policy) for f in ("rfc5424", "rfc3164", "cef")]
    return negatives, runs


def tls_close_check(args, certs, sdir, report):
    """RFC 5425 §4.4: a TLS client sends close_notify before it closes.  And
    it must not reset the connection: a socket closed with data still unread
    (a TLS 1.3 server's session tickets) makes the kernel send RST, and the
    receiver then loses what it had not read yet.  A receiver of the test's
    own starts reading 0.5 s late, as a busy SIEM may: every message and the
    close_notify must still arrive."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["server"] + ".pem", certs["server"] + ".key")
    events = os.path.join(sdir, "tls-close.events.jsonl")
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen()
        ls.settimeout(10)
        cmd = [args.bollard, "read", "--no-progress", "--policy", POLICY, "--events", events,
               "--syslog", f"tls://127.0.0.1:{ls.getsockname()[1]}", "--syslog-ca", certs["ca"] + ".pem",
               "--syslog-format", "rfc3164", CAPTURE]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, TZ=BOLLARD_TZ))
        data, closure = b"", "no connection"
        try:
            conn, _ = ls.accept()
            conn.settimeout(10)
            with ctx.wrap_socket(conn, server_side=True, suppress_ragged_eofs=False) as s:
                time.sleep(0.5)
                while True:
                    b = s.recv(65536)
                    if not b:
                        closure = "close_notify"
                        try:
                            s.unwrap()       # answer it
                        except (OSError, ssl.SSLError):
                            pass
                        break
                    data += b
        except ssl.SSLEOFError:
            closure = "TCP closed without close_notify"
        except ConnectionResetError:
            closure = "connection reset (RST)"
        except (OSError, ssl.SSLError) as e:
            closure = f"error {e!r}"
        try:
            _, err = proc.communicate(timeout=BOLLARD_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    n, i = 0, 0                                   # octet-counted frames
    while True:
        m = re.compile(rb"(\d+) ").match(data, i)
        if not m:
            break
        i = m.end() + int(m.group(1))
        n += 1
    want = len(read_events(events)[0])
    ok = n == want and closure == "close_notify" and i == len(data)
    report.check(ok, "tls-close (a receiver reading 0.5 s late)",
                 f"{n} of {want} messages arrived, the connection ended with {closure}; bollard exit status "
                 f"{proc.returncode}{', stderr: ' + repr(err.strip()) if err.strip() else ''}")


def run_suite(mode, args, rsyslogd, tmp, certs, report, controls):
    """mode 'bollard' (Bollard sends) or 'self-test' (hand-made messages)."""
    host = socket.gethostname()
    sdir = os.path.join(tmp, mode)
    os.makedirs(sdir)

    # The reference: alerts, and each flow's transport (CEF's proto).
    base = os.path.join(sdir, "reference.events.jsonl")
    flows = os.path.join(sdir, "reference.flows.jsonl")
    r = subprocess.run([args.bollard, "read", "--no-progress", "--policy", POLICY, "--events", base, "--flows", flows,
                        CAPTURE], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"bollard read (no --syslog) exited {r.returncode}: {r.stderr.strip()}")
    l4 = {f["flow_id"]: f.get("l4") for f in map(json.loads, open(flows))}
    version = subprocess.run([args.bollard, "--version"], capture_output=True, text=True,
                             check=False).stdout.split()[-1]

    inputs = case_inputs(mode)
    rs = Rsyslog(rsyslogd, sdir, list(inputs.values()), certs)
    rs.start()
    negatives, runs, sent = [], [], []     # sent: (check name, input, events file, ctx, problems)
    try:
        if controls:
            tls_controls(inputs, certs, report)
        if mode == "bollard":
            test_rc = subprocess.run([args.bollard, "test", "--policy", POLICY, CAPTURE], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, check=False).returncode
            negatives, runs = bollard_runs(inputs, certs, test_rc, sdir)
            # All at once (each has its own receivers): the whole takes one
            # flush timeout at most, even when every run waits one out.
            for run in negatives + runs:
                run.start(args.bollard, inputs, sdir)
            for run in negatives + runs:
                run.finish()
            for run in runs:
                problems = []
                if run.timed_out:
                    problems.append(f"bollard did not exit within {run.timeout} s")
                if run.rc != run.want_rc:
                    problems.append(f"exit status {run.rc}, expected {run.want_rc}: {run.stderr.strip()!r}")
                elif run.stderr.strip() and run.cmd == "read":
                    problems.append(f"unexpected stderr: {run.stderr.strip()!r}")
                if run.name.startswith("rule-") and not any(e.get("rule") == RULE_ID
                                                            for e in read_events(run.events)[0]):
                    problems.append(f"no alert names rule {RULE_ID}: the case checks nothing of rules")
                for d in run.dests:
                    ctx = Ctx(run.ctx_args.get("host", host), run.proc.pid, version, l4,
                              facility=run.ctx_args.get("facility", FACILITY), pen=run.ctx_args.get("pen", PEN))
                    name = run.name if len(run.dests) == 1 else f"{run.name} ({d})"
                    sent.append((name, inputs[d], run.events, ctx, problems))
        else:
            events, raws = read_events(base)
            have_logger = shutil.which("logger") is not None
            for t in TRANSPORTS:
                for f in FORMATS:
                    inp = inputs[f"{t}-{f}"]
                    ctx = Ctx(host, os.getpid(), version, l4, check_time=t in ("tls", "mtls", "unix"))
                    lines = [handmade_line(f, e, r, ctx) for e, r in zip(events, raws)]
                    problems = []
                    try:
                        if t in ("tls", "mtls"):
                            send_tls(url_of(inp)[1], inp.port, lines, certs, t == "mtls")
                        elif t == "unix":
                            send_unix(inp.path, lines)
                        elif not have_logger:
                            report.skip(f"self-test {inp.name}", "logger (util-linux) is missing")
                            continue
                        else:
                            send_logger(f, t, inp.port, events, raws, ctx)
                    except (OSError, subprocess.SubprocessError) as e:
                        problems.append(f"sending failed: {e!r}")
                    sent.append((f"self-test {inp.name}", inp, base, ctx, problems))
            inp = inputs["tls-ossl-rfc5424"]
            ctx = Ctx(host, os.getpid(), version, l4)
            problems = []
            try:
                send_tls("127.0.0.1", inp.port, [handmade_line(inp.fmt, e, r, ctx) for e, r in zip(events, raws)],
                         certs, False)
            except OSError as e:
                problems.append(f"sending failed: {e!r}")
            sent.append((f"self-test {inp.name}", inp, base, ctx, problems))
        if controls:
            nocert_control(inputs, certs)
        rs.wait_for({inp.name: len(read_events(ev)[0]) for _, inp, ev, _, _ in sent})
    finally:
        rs.stop()

    for name, inp, ev_path, ctx, problems in sent:
        events, raws = read_events(ev_path)
        if not events:
            problems = problems + ["no alert in --events (the sample gives 84)"]
        ok, summary, details = compare(inp.fmt, events, raws, rs.records(inp.name), ctx)
        if not ctx.check_time:
            summary += " (header timestamp not checked: logger stamps its own)"
        report.check(ok and not problems, name, "; ".join(problems + [summary]), details)

    for run in negatives:
        records = rs.records(run.name)
        err = run.stderr.strip()
        line = next((x for x in err.splitlines() if re.search(r"certif|verif", x, re.I)), None)
        problems = []
        if records:
            problems.append(f"{len(records)} messages arrived at a server Bollard must not trust")
        if not line:
            problems.append(f"stderr does not mention the certificate or its verification: {err!r}")
        if run.timed_out:
            problems.append(f"bollard did not exit within {run.timeout} s")
        elif run.rc != run.want_rc:
            problems.append(f"exit status {run.rc}, expected {run.want_rc} (alerts not delivered)")
        report.check(not problems, f"{run.name} refused",
                     "; ".join(problems) or f"nothing arrived, exit status {run.rc}, stderr: {line!r}")

    if mode == "bollard":
        tls_close_check(args, certs, sdir, report)

    if controls:
        got = rs.records("mtls-nocert")
        report.check(not got, "control mtls-nocert",
                     "the mutual-TLS server takes nothing from a client without a certificate" if not got
                     else f"{len(got)} messages arrived without a client certificate")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bollard", nargs="?", default=os.path.join(ROOT, "build", "dataplane", "bollard"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (configurations, "
                    "certificates, what rsyslog wrote, its stderr) and print where it is")
    ap.add_argument("--self-test", action="store_true",
                    help="also run the receivers and checks on hand-made messages (logger, Python)")
    args = ap.parse_args()
    report = Report()
    t0 = time.monotonic()

    if not os.access(args.bollard, os.X_OK):
        print(f"error: no bollard binary at {args.bollard} (ninja -C build)", file=sys.stderr)
        return 2
    rsyslogd = find_rsyslogd()
    missing = [n for n, ok in (("rsyslogd", rsyslogd), ("openssl", shutil.which("openssl"))) if not ok]
    why = f"{' and '.join(missing)} missing" if missing else missing_tls_driver()
    if why:
        report.skip("syslog export to rsyslog", f"{why} (scripts/setup --test installs rsyslog, rsyslog-gnutls "
                    "and openssl)")
        return report.summary()

    helptext = subprocess.run([args.bollard, "read", "--help"], capture_output=True, text=True, check=False)
    has_syslog = "--syslog" in helptext.stdout + helptext.stderr
    tmp = tempfile.mkdtemp(prefix="bollard-syslog-")
    try:
        certs = make_certs(os.path.join(tmp, "certs"))
        modes = []
        if not has_syslog:
            report.skip("bollard --syslog", "this build's `bollard read --help` has no --syslog; "
                        "checking the harness on hand-made messages instead")
        if args.self_test or not has_syslog:
            modes.append("self-test")
        if has_syslog:
            modes.append("bollard")
        for i, mode in enumerate(modes):
            run_suite(mode, args, rsyslogd, tmp, certs, report, controls=(i == len(modes) - 1))
    except Skip as e:
        report.skip("syslog export to rsyslog", str(e))
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        report.check(False, "harness", str(e))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"({time.monotonic() - t0:.1f} s)")
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
