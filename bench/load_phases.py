"""The phases of bench/load.py, run by it as `python bench/load_phases.py`, with the users of load_locustfile.py.

AAP_LOAD_PLAN gives the phases' lengths and users, AAP_LOAD_RESULTS where the figures go. Every user logs in through
the login form before a phase measures anything: logins are a warm-up, not counted, and a phase measures from
SETTLE_S seconds after the last login, once what queued behind the logins is answered. One after the other, against
the load balancer:
- warm-up: the mix, uncounted, until every gunicorn worker has imported the views;
- floor: anonymous users asking for the login page, no time between requests, ramped (2, 4, 8... users) until
  the throughput stops rising by 5 % a step; the best step is the stack's ceiling for a page that does nothing;
- signed-in floor: the same ramp with landlords on their lightest page (their API tokens): what every signed-in
  request pays (its session, its user and memberships, the navigation) on top of the floor;
- saturation: the same ramp with the users by role and their whole mix, writes and exports included;
- steady: --users users by role, reading each page for --think seconds;
- kill: the same users on, one gunicorn instance killed (SIGKILL to its process group, master and workers, as a
  machine that dies) halfway through. Its processes take some milliseconds to die, and may accept a request
  meanwhile: the kill lasts from the signal until the instance's port refuses connections, and a request on it
  during that time was in flight on the killed instance.
"""

import json
import os
import signal
import socket
import time
from pathlib import Path

import gevent
from load_locustfile import CURRENT, FAILED, KINDS, PLAN, ROLES, STOP, THINK, WRITES, Floor, SignedInFloor
from load_stack import HOST
from locust import events
from locust.env import Environment
from locust.stats import StatsEntry


def refused(port: int) -> float:
    """The time at which the port refuses connections: no process of the killed instance holds it any more."""
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.05).close()
        except ConnectionRefusedError:
            return time.time()
        except OSError:
            pass
        gevent.sleep(0.001)
    raise SystemExit(f"The killed instance still accepts connections on port {port} after 10 s.")


# What a process is, by its command line: the parts of the stack, and everything else the machine runs.
PROGRAMS = (("gunicorn", "gunicorn"), ("db_worker", "worker"), ("moto", "s3"), ("nginx", "nginx"),
            ("postgres", "postgresql"), ("redis", "redis"), ("load_phases", "client"))  # fmt: skip
TICK = os.sysconf("SC_CLK_TCK")
# Seconds between the last user's login and the measures: longer than a user's longest think time.
SETTLE_S = 5


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """Every process's CPU time so far (user and system), with its program."""
    times = {}
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            command = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            # The process's name may hold spaces; the fields after its closing parenthesis do not.
            fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if not command:
            # A kernel thread, or a process dead and not yet reaped (a killed instance's), which would be counted
            # again, whole, as another program: its last reading stands.
            continue
        program = next((name for key, name in PROGRAMS if key in command), "other")
        times[int(folder.name)] = (program, (int(fields[11]) + int(fields[12])) / TICK)
    return times


def sample_cpu(latest: dict, every: float = 0.5) -> None:
    """Keeps, for every process seen, its last CPU time, until killed: a process that ends (a database connection
    closed after CONN_MAX_AGE, a killed instance) loses at most `every` seconds of what it used."""
    while True:
        latest.update(cpu_seconds())
        gevent.sleep(every)


def cpu_by_program(before: dict, latest: dict, wall: float, requests: int) -> dict:
    """Cores each program used between the first reading and the last, and its CPU per request."""
    used: dict[str, float] = {}
    for pid, (program, seconds) in latest.items():
        earlier = before.get(pid)
        used[program] = used.get(program, 0.0) + seconds - (earlier[1] if earlier and earlier[0] == program else 0)
    return {
        program: {"cores": round(seconds / wall, 2), "ms_per_request": round(1000 * seconds / max(requests, 1), 2)}
        for program, seconds in sorted(used.items(), key=lambda item: -item[1])
    }


def _figures(entry: StatsEntry, seconds: float | None = None) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "requests_per_second": round(entry.num_requests / seconds if seconds else entry.total_rps, 2),
        "p50_ms": entry.get_response_time_percentile(0.50),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0, 1),
        "mean_ms": round(entry.avg_response_time, 1),
    }


class Phases:
    def __init__(self, environment: Environment):
        self.environment = environment
        self.runner = environment.create_local_runner()
        self.stats = environment.stats

    def users(self) -> list:
        return [greenlet.args[0] for greenlet in self.runner.user_greenlets]

    def start(self, count: int, classes: list, think: tuple[float, float]) -> dict:
        """count users of these classes, logged in; returns what failed while they did (not measured)."""
        THINK[:] = think
        self.runner.start(count, spawn_rate=count, user_classes=classes)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not STOP.is_set():
            users = self.users()
            if len(users) == count and all(user.ready for user in users):
                break
            gevent.sleep(0.2)
        else:
            if not STOP.is_set():
                raise SystemExit(f"{count} users were not logged in after 300 s.")
        # Requests queued behind the logins (a password hash each) would open the measured window with their wait.
        STOP.wait(SETTLE_S)
        warm_up = self.failures()
        self.stats.reset_all()
        FAILED.clear()
        return warm_up

    def failures(self) -> list[dict]:
        return [
            {"page": f"{error.method} {error.name}", "error": str(error.error), "count": error.occurrences}
            for error in self.stats.errors.values()
        ]

    def measure(self, seconds: float, kill_at: float | None = None, pgid: int | None = None) -> dict:
        started, processes = time.time(), cpu_seconds()
        latest = dict(processes)
        sampler = gevent.spawn(sample_cpu, latest)
        killed = dead = None
        if kill_at is not None:
            STOP.wait(kill_at)
            killed = time.time()
            os.killpg(pgid, signal.SIGKILL)
            dead = refused(PLAN["kill_port"])
            STOP.wait(max(0.0, seconds - (dead - started)))
        else:
            STOP.wait(seconds)
        ended = time.time()
        sampler.kill()
        latest.update(cpu_seconds())
        wall = ended - started
        kinds: dict[str, StatsEntry] = {}
        for entry in self.stats.entries.values():
            if not entry.num_requests:
                continue
            kind = KINDS.get(entry.name, "page")
            kinds.setdefault(kind, StatsEntry(self.stats, kind, "")).extend(entry)
        return {
            "started": started,
            "ended": ended,
            "killed": killed,
            "dead": dead,
            # The client's among them: near 1.0 core, it and not the server sets the pace.
            "cpu": cpu_by_program(processes, latest, wall, self.stats.total.num_requests),
            "pages": {f"{e.method} {e.name}": _figures(e, wall) for e in self.stats.entries.values() if e.num_requests},
            "kinds": {kind: _figures(entry, wall) for kind, entry in sorted(kinds.items())},
            "total": _figures(self.stats.total, wall),
            "failures": self.failures(),
            # The first 1 000: enough to tell when they happened.
            "failed_requests": FAILED[:1000],
        }

    def ramp(self, name: str, classes: list) -> dict:
        """Users doubled from 2 with no time between requests, a step at a time, until a step adds less than 5 %
        to the throughput (or --ramp-max users); the saturation throughput is the best step's."""
        steps, count = [], 2
        while count <= PLAN["ramp_max"] and not STOP.is_set():
            CURRENT["phase"] = f"{name} {count}"
            warm_up = self.start(count, classes, (0.0, 0.0))
            figures = self.measure(PLAN["step"])
            # A step is read by its totals: its pages are the steady phase's business.
            del figures["pages"]
            steps.append({"users": count, "warm_up_failures": warm_up, **figures})
            print(f"{name}: {count} users, {figures['total']['requests_per_second']} req/s", flush=True)
            if len(steps) > 1 and figures["total"]["requests_per_second"] < 1.05 * max(
                step["total"]["requests_per_second"] for step in steps[:-1]
            ):
                break
            count *= 2
        best = max(steps, key=lambda step: step["total"]["requests_per_second"])
        return {"steps": steps, "saturation_rps": best["total"]["requests_per_second"], "at_users": best["users"]}

    def warm_up(self) -> dict:
        """A worker's first requests import the views, WeasyPrint among them, in seconds: the mix runs, without
        think time and uncounted, until every worker of both instances has had some."""
        CURRENT["phase"] = "warm-up"
        self.start(PLAN["warm_up_users"], ROLES, (0.0, 0.0))
        STOP.wait(PLAN["warm_up_s"])
        figures = {"users": PLAN["warm_up_users"], "seconds": PLAN["warm_up_s"], "total": _figures(self.stats.total)}
        self.runner.stop()
        return figures

    def run(self) -> dict:
        results = {"warm_up": self.warm_up()}
        results["floor"] = self.ramp("floor", [Floor])
        self.runner.stop()
        results["signed_in_floor"] = self.ramp("signed-in floor", [SignedInFloor])
        self.runner.stop()
        results["saturation"] = self.ramp("saturation", ROLES)
        think = tuple(PLAN["think"])
        for phase, kill_at in (("steady", None), ("kill", PLAN["duration"] / 2)):
            if STOP.is_set():
                break
            CURRENT["phase"] = phase
            warm_up = self.start(PLAN["users"], ROLES, think)
            print(f"{phase}: {PLAN['users']} users for {PLAN['duration']} s", flush=True)
            pgid = PLAN["kill_pgid"] if kill_at is not None else None
            results[phase] = {"warm_up_failures": warm_up, **self.measure(PLAN["duration"], kill_at, pgid)}
        self.runner.quit()
        results["writes"] = WRITES
        results["stopped_early"] = STOP.is_set()
        return results


def main():
    environment = Environment(user_classes=[Floor, SignedInFloor, *ROLES], host=PLAN["host"], events=events)
    results = Phases(environment).run()
    Path(os.environ["AAP_LOAD_RESULTS"]).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
