"""The end-to-end tests' way of reporting: one line per check, the details of
a failed one under it, and the summary line scripts/test counts
("N passed, M failed[, K skipped]")."""

MAX_DETAILS = 10   # detail lines printed per failed check


class Report:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def check(self, ok, name, summary, details=()):
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {summary}", flush=True)
        if not ok:
            shown = [d for d in details if d]
            for d in shown[:MAX_DETAILS]:
                print(f"       {d}", flush=True)
            if len(shown) > MAX_DETAILS:
                print(f"       ... and {len(shown) - MAX_DETAILS} more", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def skip(self, name, why):
        print(f"SKIPPED {name}: {why}", flush=True)
        self.skipped += 1

    def summary(self):
        """The last line; the exit status it calls for (1 when a check failed)."""
        tail = f", {self.skipped} skipped" if self.skipped else ""
        print(f"{self.passed} passed, {self.failed} failed{tail}")
        return 1 if self.failed else 0
