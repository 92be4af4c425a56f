#!/usr/bin/env python3
"""The EuroRadio dissector on generated sessions: a clean session is quiet,
each kind of tampering raises its events.

No public EuroRadio capture exists and tshark has no dissector for it, so
scripts/gen-euroradio writes the sessions (OBU to RBC over TCP 7911, ALE +
Subset-098 safety layer + ETCS messages, its CRCs checked against the
Subset-098 Table 14 vectors) and `bollard read --ops --events` must find,
per scenario, the operations and exactly the events below.

    tests/e2e/euroradio_sessions.py [BOLLARD]

Prints one line per check, ends with "N passed, M failed".
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "scripts", "gen-euroradio")

# scenario -> (operations, {event: count}): what each session is, in the generator's words
EXPECTED = {
    "normal": (18, {}),                                   # AU1 AU2 AU3 AR, DTs both ways, DI
    "split": (18, {}),                                    # the same, ALE packets split and coalesced
    "midstream": (9, {}),                                 # a capture joining after the set-up
    "reflection": (18, {"euroradio.tseq_error": 4, "euroradio.df_mismatch": 2,
                        "euroradio.message_direction": 2}),
    "replay": (18, {"euroradio.replay": 1, "euroradio.repeated_mac": 1}),
    "skip_auth": (17, {"euroradio.out_of_order": 1}),      # DT before AU3/AR
    "bad_crc": (16, {"euroradio.bad_crc": 1, "app.resync": 2}),
    "spoof": (18, {"euroradio.engine_mismatch": 1, "euroradio.message_direction": 1}),
    "mac_reject": (14, {"euroradio.security_disconnect": 1}),   # DI reason 4, invalid MAC
    "gap": (17, {"stream.gap": 1}),                       # one OBU segment never captured
}


def main():
    bollard = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "dataplane", "bollard")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="bollard-euroradio-") as tmp:
        for name, (want_ops, want_events) in EXPECTED.items():
            cap, ops, events = (os.path.join(tmp, f"{name}.{x}") for x in ("pcap", "ops", "events"))
            try:
                subprocess.run([sys.executable, GEN, "-o", cap, "--scenario", name], check=True,
                               capture_output=True, text=True)
                p = subprocess.run([bollard, "read", "--no-progress", "--ops", ops, "--events", events, cap],
                                   capture_output=True, text=True, check=False)
                if p.returncode != 0:
                    raise RuntimeError(f"bollard read: exit {p.returncode}: {p.stderr.strip()[-300:]}")
                got_ops = [json.loads(x) for x in open(ops)]
                got_events = collections.Counter(json.loads(x)["event"] for x in open(events))
            except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError) as e:
                report.check(False, name, repr(e))
                continue
            er = sum(o["proto"] == "euroradio" for o in got_ops)
            report.check(er == want_ops and len(got_ops) == er and dict(got_events) == want_events, name,
                         f"{er} EuroRadio operations (want {want_ops}), events {dict(got_events) or 'none'}"
                         f" (want {want_events or 'none'})")
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
