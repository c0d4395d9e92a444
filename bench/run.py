#!/usr/bin/env python3
"""bench/run.py: netsvcd against its peers on loopback, every peer side by side in one run.

`make bench` runs it in full (3 rounds, every workload at 1, 64 and 1,024 clients, UDP at 1 and
64, about 15 minutes); `make bench-smoke` runs `--smoke` (one round, mostly 64 clients, about
90 s). It
starts every server on a free loopback port, runs each (workload, clients) cell for every peer
in turn, round after round, and prints a table of medians, a table of ratios netsvcd/peer and
the targets of the issue "the connection path at the hardware limit", met or not. It writes
results.json, results.md and PNG charts (gnuplot) to --out.

What the metrics cost (issue 13): two more netsvcd processes with the usual listeners (hello,
time, wordfinder), the second with a `kind: metrics` listener as well, which a thread of this
script scrapes (GET /metrics, as Prometheus does) once a second while the load runs. hello (64
clients, one-shot TCP) and the wordfinder (one cached rack, keep-alive, 64 clients) are measured
on both, interleaved off, on, on, off (on, off, off, on in the next round), and the report gives
on/off of the rate and of the server's CPU per operation against the target "metrics on >=
0.97x metrics off". After each run with metrics, the rise of the scraped counters
(netsvcd_connections_accepted_total for hello, netsvcd_http_requests_total code 200 for the
wordfinder) must be at least what the load tool completed, or the run fails (exit status 1,
after the report).

UDP (issue 15): daytime answered per datagram at 1 and 64 clients, netsvcd's `time` listener on
a udp:// address (its per-source and listener rates raised out of the way: every client here
is ::1) against openbsd-inetd's and xinetd's internal daytime over UDP, each in a process of its
own, all on ::1 (openbsd-inetd answers no datagram from 127.0.0.0/8); loadgen udp sends one datagram per client at a time and counts an answer not back
within 200 ms as lost.

Peers: netsvcd (hello, time, wordfinder), bench/reference_server (one accept loop per core: the
machine's limit), openbsd-inetd's and xinetd's built-in daytime, systemd-socket-activate
--inetd with bench/hello_inetd, and nginx for HTTP. Load: bench/loadgen for connect-read-close
and for holding connections, wrk for HTTP. Python 3 standard library only.

Every load is bounded in time and count; every wait has a deadline; every process is stopped
and the temporary directory removed on the way out, Ctrl-C included. Loopback only.
"""

import argparse
import atexit
import ctypes
import datetime
import http.client
import json
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"

# loadgen's --threads. Measured on this project's 2-core machine against the reference server
# at 64 clients (3 s runs, alternated): 2 threads gave 30-35k connections/s, 1 thread 19-25k:
# one thread cannot keep the server's two accept loops busy. Same as wrk's -t2.
LOADGEN_THREADS = 2

# How many connections the memory scenarios hold (the N).
MEMORY_CONNECTIONS = 3000

# The wrk flood for the contention scenario: connections on the wordfinder, each asking for the
# longest rack netsvcd accepts by default (max_letters 20: 18 random letters and 2 blanks).
FLOOD_CONNECTIONS = 16
FLOOD_LETTERS, FLOOD_BLANKS = 18, 2

# A run where more than this share of the machine's CPU went to neither the server nor the load
# tool is flagged in the report: something else was running.
OTHERS_WARN_PCT = 10

# The metrics comparison: how often the metrics listener is scraped during a run, and the target
# of issue 13 ("counters cost nothing measurable"): metrics on >= 0.97x metrics off, in rate and
# in operations per server CPU second (CPU per operation on/off <= 1/0.97).
METRICS_SCRAPE_INTERVAL = 1.0
METRICS_TARGET = 0.97
METRICS_PEERS = ["metrics-off", "metrics-on"]
# workload -> (netsvcd listener, the counter scraped to check it counts, its other labels).
METRICS_WORKLOADS = {
    "metrics-hello": ("hello", "netsvcd_connections_accepted_total", {}),
    "metrics-wordfinder": ("wordfinder", "netsvcd_http_requests_total", {"code": "200"}),
}
# What Prometheus 2.x sends with a scrape (no Accept-Encoding: the text is read as it comes).
PROMETHEUS_HEADERS = {
    "User-Agent": "Prometheus/2.45.0 (bench/run.py)",
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
              "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "X-Prometheus-Scrape-Timeout-Seconds": "5",
}

# UDP: the peers of the udp-daytime cells, loadgen udp's wait for an answer before it counts the
# datagram lost (loopback answers take microseconds; a loss means a dropped datagram), what each
# datagram holds (a newline: what `nc -u` sends, answered by every peer), and netsvcd's rates
# for the benchmark: its defaults (10/s per source, 1,000/s per listener) are meant for the
# open network, and every client here comes from one address (::1).
UDP_PEERS = ["netsvcd-time", "openbsd-inetd", "xinetd"]
# Over IPv6 loopback: openbsd-inetd answers no datagram from 0/8, 127/8 or 255/8 (its
# dg_badinput takes them for forged), so on 127.0.0.1 it would answer nothing. Every UDP peer
# runs on ::1, the same path for all.
UDP_HOST = "::1"
UDP_TIMEOUT = 0.2
UDP_SEND = r"\n"
UDP_BENCH_RATE = "100000000/s"

HALF_REQUEST = r"GET /lexical HTTP/1.1\r\nHost: x\r\n"  # the head without its final CRLF
FULL_REQUEST = r"GET /lexical HTTP/1.1\r\nHost: x\r\n\r\n"

TCP_PEERS = ["netsvcd-hello", "netsvcd-time", "reference", "openbsd-inetd", "xinetd",
             "socket-activate"]
HTTP_PEERS = ["netsvcd", "nginx"]
# HTTP workloads: (name, what, path or None for random racks, letters, blanks, close).
HTTP_WORKLOADS = [
    ("http-lexical-keepalive", "one cached rack GET /lexical, keep-alive", "/lexical", 0, 0, False),
    ("http-lexical-close", "one cached rack GET /lexical, Connection: close", "/lexical", 0, 0,
     True),
    ("http-random7-keepalive", "random 7-letter racks (uncached), keep-alive", None, 7, 0, False),
    ("http-random7-close", "random 7-letter racks, Connection: close", None, 7, 0, True),
    ("http-blank2-keepalive", "random 7 letters + 2 blanks, keep-alive", None, 7, 2, False),
    ("http-blank2-close", "random 7 letters + 2 blanks, Connection: close", None, 7, 2, True),
]
HTTP_BY_NAME = {w[0]: w for w in HTTP_WORKLOADS}
WORKLOAD_TEXT = {
    "tcp-oneshot": "TCP connect, read the answer to EOF, close (hello / daytime)",
    "udp-daytime": "UDP daytime: one datagram sent, its answer awaited, per client",
    "contention-threads": "netsvcd hello, threads: 1 vs threads: 2 (separate processes)",
    "refusals": "netsvcd hello refusing every client (deny: all) vs serving them (processes apart)",
    "contention-flood": "netsvcd hello with and without a wrk flood of 18-letter+2-blank racks",
    "metrics-hello": "netsvcd hello (one-shot TCP) without and with a metrics listener scraped "
                     "once a second (separate processes)",
    "metrics-wordfinder": "one cached rack GET /lexical, keep-alive, without and with a metrics "
                          "listener scraped once a second (separate processes)",
    **{w[0]: w[1] for w in HTTP_WORKLOADS},
}


def established_to(port):
    """How many TCP connections to local `port` are established (server side), from /proc."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            pass
    return count


class BenchError(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---- /proc -----------------------------------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime + cutime + cstime of a process, in clock ticks (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(x) for x in fields[11:15])


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def box_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already in user
    return total - idle, total


def children_cpu_ticks():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * CLK_TCK


# ---- processes -------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _child_setup(raise_files=True):
    """Runs in each child before exec: dies with this script, and gets RLIMIT_NOFILE raised."""
    def setup():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if raise_files:
            _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return setup


class Processes:
    """Every long-lived process this script starts, each in a session (process group) of its
    own: the terminal's Ctrl-C reaches only this script, which then stops them all."""

    def __init__(self):
        self.running = []

    def start(self, argv, *, log_path=None, env=None, stdin=subprocess.DEVNULL,
              stdout=None, stderr=None):
        log_file = open(log_path, "ab") if log_path else subprocess.DEVNULL
        try:
            proc = subprocess.Popen(
                argv, stdin=stdin, stdout=stdout if stdout is not None else log_file,
                stderr=stderr if stderr is not None else log_file, env=env,
                start_new_session=True, preexec_fn=_child_setup(), cwd="/")
        finally:
            if log_path:
                log_file.close()
        self.running.append(proc)
        return proc

    def stop(self, proc, grace=5.0):
        if proc not in self.running:
            return
        self.running.remove(proc)
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Whatever is left in the group (nginx workers, a per-connection child): gone too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()

    def stop_all(self):
        for proc in list(reversed(self.running)):
            self.stop(proc, grace=3.0)


def run_bounded(argv, timeout, env=None):
    """Runs a load tool to its end, bounded by `timeout`; returns its stdout."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              preexec_fn=_child_setup(), start_new_session=True)
    except subprocess.TimeoutExpired as e:
        tool = os.path.basename(argv[0])
        raise BenchError(f"{tool} did not finish within {timeout:.0f} s") from e
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


# ---- ports -----------------------------------------------------------------------------------

_ports_taken = set()


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM, host=HOST):
    """A port on `host` nothing is bound to now (the kernel's pick), never the same one twice."""
    for _ in range(100):
        with socket.socket(family, kind) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _ports_taken:
            _ports_taken.add(port)
            return port
    raise BenchError("no free port")


def free_udp_port():
    """A UDP port on UDP_HOST nothing is bound to now, never the same number twice."""
    return free_port(socket.AF_INET6, socket.SOCK_DGRAM, UDP_HOST)


def udp_ask(port, timeout=0.5):
    """One datagram to UDP_HOST:port from an ephemeral port; the answer, or None."""
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind((UDP_HOST, 0))
        s.connect((UDP_HOST, port))
        s.settimeout(timeout)
        try:
            s.send(b"\n")
            return s.recv(65536)
        except OSError:  # timeout, or refused (port unreachable)
            return None


def wait_udp(port, proc, what, deadline_s=20.0):
    """Waits until UDP_HOST:port answers a datagram; returns the answer; fails if `proc` exits or
    the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited ({proc.returncode}) before answering on udp {port}")
        answer = udp_ask(port)
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: no answer from udp [{UDP_HOST}]:{port} after "
                             f"{deadline_s:.0f} s")
        time.sleep(0.02)  # polling interval of a wait with a deadline


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def listening(port):
    """Whether a socket listens on HOST:port (ss, so that no connection is made)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10).stdout
    return any(line.split()[3].endswith(f":{port}") for line in out.splitlines() if line.strip())


def wait_port(port, proc, what, deadline_s=20.0):
    """Waits until HOST:port accepts a connection; fails if `proc` exits or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited ({proc.returncode}) before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: nothing listens on {HOST}:{port} after {deadline_s:.0f} s")
        time.sleep(0.02)  # polling interval of a wait with a deadline


def wait_until(condition, deadline_s, what, interval=0.05):
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {deadline_s:.0f} s waiting for {what}")
        time.sleep(interval)  # polling interval of a wait with a deadline


def server_side_state(port):
    """(established server-side connections on port, their unread bytes, accept queue length)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"sport = :{port}"],
                         capture_output=True, text=True, timeout=30).stdout
    count = unread = 0
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            count += 1
            unread += int(fields[0])
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10).stdout
    queued = sum(int(line.split()[1]) for line in out.splitlines() if line.strip())  # LISTEN Q
    return count, unread, queued


def http_get(port, path, close=False):
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Connection": "close"} if close else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def read_tcp_answer(port):
    with socket.create_connection((HOST, port), timeout=5) as s:
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk


# ---- Prometheus scrapes ----------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def prometheus_value(text, name, labels):
    """The sum of the samples of `name` whose labels include `labels`, in Prometheus's text
    format; None if there is none."""
    total = None
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(_LABEL.findall(m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total = (total or 0.0) + float(m.group(3))
    return total


class Scraper:
    """GET /metrics on HOST:port as Prometheus does (one kept-alive connection, a fresh one after
    a failure), at once and then every `interval` seconds, in a thread of its own from entering
    a `with` to leaving it. Bounded: at most `max_scrapes` scrapes, each with a 5 s timeout, and
    the thread stops by itself after `max_seconds` even if never told to; leaving joins it with
    a deadline."""

    def __init__(self, port, interval, max_scrapes, max_seconds):
        self.port, self.interval = port, interval
        self.max_scrapes, self.max_seconds = max_scrapes, max_seconds
        self.ok = self.failed = 0
        self.last_error = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="scraper", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=15)
        if self.thread.is_alive():
            raise BenchError(f"the /metrics scraper on port {self.port} did not stop")
        return False

    def loop(self):
        deadline = time.monotonic() + self.max_seconds
        conn = None
        try:
            for _ in range(self.max_scrapes):
                started = time.monotonic()
                if self.stop.is_set() or started > deadline:
                    break
                try:
                    conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=5)
                    status, body = scrape_on(conn)
                    if status == 200 and b"netsvcd_connections_accepted_total" in body:
                        self.ok += 1
                    else:
                        self.failed += 1
                        self.last_error = f"status {status}, {len(body)} bytes"
                except (OSError, http.client.HTTPException) as e:
                    self.failed += 1
                    self.last_error = f"{type(e).__name__}: {e}"
                    if conn:
                        conn.close()
                    conn = None
                self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            if conn:
                conn.close()


def scrape_on(conn):
    conn.request("GET", "/metrics", headers=PROMETHEUS_HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


def scrape(port):
    """One GET /metrics on a fresh connection: the text, or BenchError."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        status, body = scrape_on(conn)
    except (OSError, http.client.HTTPException) as e:
        raise BenchError(f"GET /metrics on port {port}: {type(e).__name__}: {e}") from e
    finally:
        conn.close()
    if status != 200:
        raise BenchError(f"GET /metrics on port {port}: status {status}: {body[:200]!r}")
    return body.decode(errors="replace")


# ---- the servers -----------------------------------------------------------------------------

class Server:
    """A running peer: its process, the pids to account CPU and RSS to, its port(s)."""

    def __init__(self, name, proc, ports, with_children=False):
        self.name = name
        self.proc = proc
        self.ports = ports
        self.with_children = with_children  # nginx: master and workers

    def pids(self):
        pids = [self.proc.pid]
        if self.with_children:
            pids += children_of(self.proc.pid)
        return pids

    def cpu(self):
        return sum(cpu_ticks(p) for p in self.pids())

    def rss(self):
        return sum(rss_kib(p) for p in self.pids())


class Bench:
    def __init__(self, args):
        self.args = args
        self.procs = Processes()
        self.tmp = tempfile.mkdtemp(prefix="netsvcd-bench.")
        self.servers = {}  # peer name -> Server
        self.peer_notes = {}  # peer -> why it is missing
        self.tcp_expect = {}  # peer -> answer length
        self.udp_servers = {}  # peer -> Server answering udp-daytime
        self.udp_expect = {}  # peer -> answer length
        self.versions = {}
        self.records = []
        self.memory = []
        self.xinetd_defaults = None
        self.lexical_body_length = None
        self.index_line = None
        self.count_failures = []  # metrics-on runs whose scraped counter missed operations

    # -- paths ---------------------------------------------------------------------------------
    def tool(self, name):
        path = os.path.join(self.args.build_dir, "bench", name)
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is missing: build it first (make build)")
        return path

    def tmp_path(self, *parts):
        return os.path.join(self.tmp, *parts)

    # -- cleanup -------------------------------------------------------------------------------
    def cleanup(self):
        self.procs.stop_all()
        if self.tmp and os.path.isdir(self.tmp):
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None

    # -- netsvcd -------------------------------------------------------------------------------
    def netsvcd_config(self, name, listeners, threads=2, log_level="warning", extra=()):
        lines = [f"threads: {threads}", f"log_level: {log_level}", "log_target: console",
                 "listeners:"]
        for kind, port in listeners:
            lines += [f"  - name: {kind}", f"    kind: {kind}", f'    listen: ["{HOST}:{port}"]']
            lines += list(extra)
            if kind == "wordfinder":
                # Long enough that no held connection is cut during the memory scenarios.
                lines += ["    request_timeout: 60s", "    idle_timeout: 60s"]
        path = self.tmp_path(f"{name}.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start_netsvcd(self, name, listeners, threads=2, log_level="warning", extra=()):
        config = self.netsvcd_config(name, listeners, threads, log_level, extra)
        log_path = self.tmp_path(f"{name}.log")
        proc = self.procs.start([self.args.netsvcd, "--config", config], log_path=log_path)
        try:
            for _kind, port in listeners:
                wait_port(port, proc, f"netsvcd ({name})")
        except BenchError as e:
            raise BenchError(f"{e}; its log: {self.read_log(log_path)}") from e
        return proc, log_path

    @staticmethod
    def read_log(path):
        try:
            with open(path, errors="replace") as f:
                return f.read().strip()[-2000:]
        except OSError:
            return ""

    # -- openbsd-inetd -------------------------------------------------------------------------
    def openbsd_inetd(self):
        """The unpacked openbsd-inetd (apt-get download, dpkg-deb -x) in the peers cache:
        (path of its inetd, package version)."""
        cache = os.path.abspath(self.args.peers_cache)
        root = os.path.join(cache, "openbsd-inetd")
        stamp = os.path.join(root, "VERSION")
        inetd = os.path.join(root, "usr", "sbin", "inetd")
        if os.path.exists(stamp) and os.access(inetd, os.X_OK):
            with open(stamp) as f:
                return inetd, f.read().strip()
        os.makedirs(cache, exist_ok=True)
        for old in os.listdir(cache):
            if old.startswith("openbsd-inetd_") and old.endswith(".deb"):
                os.remove(os.path.join(cache, old))
        download = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", "openbsd-inetd"]
        result = subprocess.run(download, cwd=cache, capture_output=True, text=True, timeout=300)
        if result.returncode != 0 and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
            result = subprocess.run(download, cwd=cache, capture_output=True, text=True,
                                    timeout=300)
        debs = [d for d in os.listdir(cache)
                if d.startswith("openbsd-inetd_") and d.endswith(".deb")]
        if result.returncode != 0 or not debs:
            raise BenchError(f"apt-get download openbsd-inetd failed: {result.stderr.strip()}")
        deb = os.path.join(cache, debs[0])
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True, timeout=120)
        version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True,
                                 text=True, check=True, timeout=60).stdout.strip()
        with open(stamp, "w") as f:
            f.write(version + "\n")
        return inetd, version

    def start_openbsd_inetd(self, udp=False):
        name = "inetd-udp" if udp else "inetd"
        inetd, version = self.openbsd_inetd()
        self.versions["openbsd-inetd"] = f"openbsd-inetd {version} (apt-get download, unpacked)"
        # An internal service must be named as in /etc/services ("daytime", port 13). To give it
        # a free port without touching the machine's /etc/services, inetd runs in a mount
        # namespace of its own where a private copy (daytime = our port) is bind-mounted over
        # it, and a private /run takes its pid file. Without namespaces (no CAP_SYS_ADMIN, as in
        # some containers), it falls back to port 13 on 127.0.0.1 if that is free.
        conf = self.tmp_path(f"{name}.conf")
        with open(conf, "w") as f:
            # Over UDP its internal daytime is a "wait" service: inetd itself reads each
            # datagram and answers it (daytime_dg), refusing sources below port 1024.
            f.write(f"[{UDP_HOST}]:daytime\tdgram\tudp6\twait\troot\tinternal\n" if udp else
                    "127.0.0.1:daytime\tstream\ttcp4\tnowait\troot\tinternal\n")
        # -i: stay in the foreground. -R: the invocation limit per minute (default 256, then the
        # service stops for ten minutes) raised out of the way; measured, it only counts the
        # services inetd forks for, not its internal daytime, but that is inetd's business.
        # -q: the listen queue (default 128) as large as the others' (SOMAXCONN), so 1,024
        # clients do not overflow it. (xinetd has no such setting: its queue stays at 64.)
        argv = [inetd, "-i", "-R", "1000000000", "-q", "4096", conf]
        namespaces = subprocess.run(["unshare", "-m", "true"], capture_output=True,
                                    timeout=30).returncode == 0
        proto = "udp" if udp else "tcp"
        if namespaces:
            port = free_udp_port() if udp else free_port()
            services = self.tmp_path(f"{name}-services")
            with open("/etc/services") as f:
                lines = [l for l in f.read().splitlines()
                         if not re.match(rf"daytime\s+\d+/{proto}", l)]
            with open(services, "w") as f:
                f.write(f"daytime\t\t{port}/{proto}\n" + "\n".join(lines) + "\n")
            run_dir = self.tmp_path(f"{name}-run")
            os.makedirs(run_dir)
            script = ('mount --bind "$1" /etc/services && mount --bind "$2" /run && shift 2 && '
                      'exec "$@"')
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                    services, run_dir] + argv
            how = f"port {port} through a private /etc/services (mount namespace)"
        else:
            port = 13
            if not udp and not port_is_free(port):
                raise BenchError("no mount namespaces here and port 13 is taken")
            how = "port 13 (no mount namespace available for a private /etc/services)"
        log_path = self.tmp_path(f"{name}.log")
        proc = self.procs.start(argv, log_path=log_path)
        if udp:
            try:
                wait_udp(port, proc, "openbsd-inetd (udp)", deadline_s=10.0)
            except BenchError as e:
                raise BenchError(f"{e}; its log: {self.read_log(log_path)}") from e
            self.peer_notes["openbsd-inetd (udp):how"] = how.replace("port", "udp port", 1)
        else:
            wait_port(port, proc, f"openbsd-inetd ({self.read_log(log_path)})")
            self.peer_notes["openbsd-inetd:how"] = how
        return Server("openbsd-inetd", proc, [port])

    # -- xinetd --------------------------------------------------------------------------------
    def xinetd_config(self, name, port, raised, udp=False):
        limits = ""
        if raised:
            limits = ("\tinstances = UNLIMITED\n\tper_source = UNLIMITED\n\tcps = 1000000 1\n"
                      "\tlog_on_success =\n\tlog_on_failure =\n")
        path = self.tmp_path(f"{name}.conf")
        with open(path, "w") as f:
            f.write(
                "defaults\n{\n"
                f"\tlog_type = FILE {self.tmp_path(name + '.log')}\n"
                f"{limits}"
                "}\n"
                "service daytime\n{\n"
                # Over UDP xinetd's internal daytime is daytime-dgram, a "wait" service that
                # xinetd answers itself, datagram by datagram.
                + ("\ttype = INTERNAL UNLISTED\n\tid = daytime-dgram\n\tsocket_type = dgram\n"
                   f"\tprotocol = udp\n\tport = {port}\n\tbind = {UDP_HOST}\n\tflags = IPv6\n"
                   "\twait = yes\n"
                   if udp else
                   "\ttype = INTERNAL UNLISTED\n\tid = daytime-stream\n\tsocket_type = stream\n"
                   f"\tprotocol = tcp\n\tport = {port}\n\tbind = {HOST}\n\twait = no\n") +
                "\tuser = root\n\tdisable = no\n"
                f"{limits}"
                "}\n")
        return path

    def start_xinetd(self, name, raised, udp=False):
        port = free_udp_port() if udp else free_port()
        conf = self.xinetd_config(name, port, raised, udp)
        proc = self.procs.start(["xinetd", "-dontfork", "-f", conf, "-pidfile",
                                 self.tmp_path(name + ".pid")],
                                log_path=self.tmp_path(name + ".stderr"))
        if udp:
            wait_udp(port, proc, "xinetd (udp)", deadline_s=10.0)
        else:
            wait_port(port, proc, "xinetd")
        return Server("xinetd", proc, [port])

    # -- the UDP peers -------------------------------------------------------------------------
    def start_netsvcd_udp(self):
        """netsvcd's time listener on a udp:// address alone, in a process of its own."""
        port = free_udp_port()
        path = self.tmp_path("netsvcd-udp.yaml")
        with open(path, "w") as f:
            f.write("threads: 2\nlog_level: warning\nlog_target: console\nlisteners:\n"
                    "  - name: daytime\n    kind: time\n"
                    f'    listen: ["udp://[{UDP_HOST}]:{port}"]\n'
                    # Every client is ::1: the defaults (10/s, 1,000/s) would answer
                    # almost none of them. An operator's setting, not a benchmark's switch.
                    f"    udp_rate_per_source: {UDP_BENCH_RATE}\n"
                    f"    udp_rate: {UDP_BENCH_RATE}\n")
        log_path = self.tmp_path("netsvcd-udp.log")
        proc = self.procs.start([self.args.netsvcd, "--config", path], log_path=log_path)
        try:
            wait_udp(port, proc, "netsvcd (udp)")
        except BenchError as e:
            raise BenchError(f"{e}; its log: {self.read_log(log_path)}") from e
        self.udp_log = log_path
        return Server("netsvcd", proc, [port])

    def start_udp_peers(self):
        starts = [("netsvcd-time", self.start_netsvcd_udp),
                  ("openbsd-inetd", lambda: self.start_openbsd_inetd(udp=True)),
                  ("xinetd", lambda: self.start_xinetd("xinetd-udp", raised=True, udp=True))]
        for name, start in starts:
            try:
                server = start()
            except (BenchError, OSError, subprocess.SubprocessError) as e:
                if name == "netsvcd-time":
                    raise
                self.peer_notes[f"{name} (udp)"] = str(e)
                log(f"run.py: UDP peer {name} left out: {e}")
                continue
            # What loadgen then expects of every answer: this length, give or take a byte.
            # (xinetd loses a datagram now and then: each probe is retried, with a deadline.)
            answers = [wait_udp(server.ports[0], server.proc, f"{name} (udp)", 5.0)
                       for _ in range(3)]
            if any(not a.endswith(b"\n") for a in answers):
                raise BenchError(f"{name} (udp) answered {answers!r}")
            self.udp_servers[name] = server
            self.udp_expect[name] = (min(map(len, answers)), max(map(len, answers)))

    # -- nginx ---------------------------------------------------------------------------------
    def nginx_body(self):
        """A JSON body of exactly the length of netsvcd's answer to a cached GET /lexical."""
        n = self.lexical_body_length
        body = '{"possibilities":"' + "x" * max(0, n - 20) + '"}'
        return body[:n] if len(body) >= n else body + " " * (n - len(body))

    def start_nginx(self, name):
        port = free_port()
        prefix = self.tmp_path(name)
        os.makedirs(os.path.join(prefix, "tmp"))
        conf = os.path.join(prefix, "nginx.conf")
        temp = os.path.join(prefix, "tmp")
        with open(conf, "w") as f:
            f.write(f"""# nginx for bench/run.py: the same number of workers as netsvcd's threads.
worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 10000; }}
http {{
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_header_timeout 120s;
  client_body_temp_path {temp};
  proxy_temp_path {temp};
  fastcgi_temp_path {temp};
  uwsgi_temp_path {temp};
  scgi_temp_path {temp};
  server {{
    listen {HOST}:{port};
    location / {{ return 200 '{self.nginx_body()}'; }}
  }}
}}
""")
        proc = self.procs.start(["nginx", "-p", prefix, "-c", conf, "-e",
                                 os.path.join(prefix, "error.log")],
                                log_path=os.path.join(prefix, "stderr.log"))
        wait_port(port, proc, "nginx")
        wait_until(lambda: len(children_of(proc.pid)) >= 2, 20, "nginx's 2 workers")
        return Server("nginx", proc, [port], with_children=True)

    # -- start everything ----------------------------------------------------------------------
    def start_peers(self):
        a = self.args
        if not os.access(a.netsvcd, os.X_OK):
            raise BenchError(f"{a.netsvcd} is missing: build it first (make build)")
        ports = {k: free_port() for k in ("hello", "time", "wordfinder")}
        proc, self.main_log = self.start_netsvcd(
            "netsvcd", [(k, ports[k]) for k in ("hello", "time", "wordfinder")])
        self.servers["netsvcd-hello"] = Server("netsvcd", proc, [ports["hello"]])
        self.servers["netsvcd-time"] = Server("netsvcd", proc, [ports["time"]])
        self.servers["netsvcd"] = Server("netsvcd", proc, [ports["wordfinder"]])
        for threads in (1, 2):
            port = free_port()
            proc, _ = self.start_netsvcd(f"netsvcd-threads{threads}", [("hello", port)], threads)
            self.servers[f"threads-{threads}"] = Server("netsvcd", proc, [port])
        # What a refused connection costs: a hello listener that denies every address, beside
        # the same listener serving (threads-2), each in a process of its own.
        self.servers["served"] = self.servers["threads-2"]
        port = free_port()
        proc, _ = self.start_netsvcd("netsvcd-refusing", [("hello", port)],
                                     extra=['    deny: ["0.0.0.0/0", "::/0"]'])
        self.servers["refused"] = Server("netsvcd", proc, [port])
        # What the metrics cost: the usual listeners in a process of their own, without and with
        # a metrics listener (ports: hello, wordfinder, then metrics).
        usual = ("hello", "time", "wordfinder")
        for peer in METRICS_PEERS:
            kinds = usual + (("metrics",) if peer == "metrics-on" else ())
            ports = {k: free_port() for k in kinds}
            proc, _ = self.start_netsvcd(f"netsvcd-{peer}", [(k, ports[k]) for k in kinds])
            self.servers[peer] = Server("netsvcd", proc, [ports["hello"], ports["wordfinder"]]
                                        + ([ports["metrics"]] if "metrics" in ports else []))
            for _ in range(20):  # warm, as the other peers are by reading their answer below
                read_tcp_answer(ports["hello"])
            http_get(ports["wordfinder"], "/lexical")
        metrics_port = self.servers["metrics-on"].ports[2]
        status, body = http_get(metrics_port, "/healthz")
        text = scrape(metrics_port)
        if status != 200 or prometheus_value(text, "netsvcd_connections_accepted_total",
                                             {"listener": "hello"}) is None:
            raise BenchError(f"netsvcd's metrics listener: /healthz {status} {body[:100]!r}; "
                             f"/metrics has no netsvcd_connections_accepted_total for hello: "
                             f"{text[:300]!r}")

        port = free_port()
        proc = self.procs.start([self.tool("reference_server"), HOST, str(port)],
                                log_path=self.tmp_path("reference.log"))
        wait_port(port, proc, "reference_server")
        self.servers["reference"] = Server("reference", proc, [port])

        optional = [
            ("openbsd-inetd", self.start_openbsd_inetd),
            ("xinetd", lambda: self.start_xinetd("xinetd", raised=True)),
            ("socket-activate", self.start_socket_activate),
            ("nginx", None),  # after netsvcd's /lexical answer is known
        ]
        for name, start in optional:
            if start is None:
                continue
            try:
                self.servers[name] = start()
            except (BenchError, OSError, subprocess.SubprocessError) as e:
                self.peer_notes[name] = str(e)
                log(f"run.py: peer {name} left out: {e}")

        # netsvcd's answer to a cached /lexical: its length sizes nginx's body.
        http_get(ports["wordfinder"], "/lexical")
        status, body = http_get(ports["wordfinder"], "/lexical")
        if status != 200 or b'"cached":true' not in body:
            raise BenchError(f"netsvcd's /lexical: status {status}, body {body[:200]!r}")
        self.lexical_body_length = len(body)
        try:
            self.servers["nginx"] = self.start_nginx("nginx")
        except (BenchError, OSError, subprocess.SubprocessError) as e:
            self.peer_notes["nginx"] = str(e)
            log(f"run.py: peer nginx left out: {e}")

        if not self.args.only or re.search(self.args.only, "udp-daytime"):
            self.start_udp_peers()

        # The answer each TCP peer gives, whose length loadgen then expects of every connection.
        for name in TCP_PEERS:
            if name in self.servers:
                answer = read_tcp_answer(self.servers[name].ports[0])
                if not answer:
                    raise BenchError(f"{name} answered nothing")
                self.tcp_expect[name] = len(answer)

    def start_socket_activate(self):
        port = free_port()
        env = dict(os.environ, SYSTEMD_LOG_LEVEL="warning")
        proc = self.procs.start(
            ["systemd-socket-activate", "--inetd", "-a", "-l", f"{HOST}:{port}",
             self.tool("hello_inetd")], env=env, log_path=self.tmp_path("socket-activate.log"))
        wait_port(port, proc, "systemd-socket-activate")
        return Server("socket-activate", proc, [port])

    # -- versions and machine ------------------------------------------------------------------
    def collect_versions(self):
        def first_line(argv):
            try:
                r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            except OSError as e:
                return f"unavailable ({e})"
            text = (r.stdout + r.stderr).strip()
            return text.splitlines()[0] if text else "unknown"

        self.versions["netsvcd"] = first_line([self.args.netsvcd, "--version"])
        self.versions["nginx"] = first_line(["nginx", "-v"])
        self.versions["xinetd"] = first_line(["xinetd", "-version"])
        self.versions["wrk"] = first_line(["wrk", "-v"]).split(" Copyright")[0]
        self.versions["systemd-socket-activate"] = first_line(["systemd-socket-activate",
                                                              "--version"])
        self.versions["gnuplot"] = first_line(["gnuplot", "--version"])
        self.versions.setdefault("openbsd-inetd", "not run")

    @staticmethod
    def machine():
        model = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        return {
            "cpu": model,
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
            if hasattr(platform, "freedesktop_os_release") else "?",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "nofile_hard": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        }

    # -- one measured run ----------------------------------------------------------------------
    def measure(self, server, action):
        """Runs `action` (which returns its own metrics and the count of operations) and adds
        the server's CPU per operation, its RSS, the machine's busy % and others' %."""
        cpu0, box0, kids0 = server.cpu(), box_cpu(), children_cpu_ticks()
        metrics = action()
        cpu1, box1, kids1 = server.cpu(), box_cpu(), children_cpu_ticks()
        server_ticks = cpu1 - cpu0
        busy, total = box1[0] - box0[0], box1[1] - box0[1]
        ops = metrics.get("ops", 0)
        metrics["server_cpu_us_per_op"] = (server_ticks / CLK_TCK * 1e6 / ops) if ops else None
        metrics["server_rss_kib"] = server.rss()
        metrics["box_busy_pct"] = 100.0 * busy / total if total else None
        # What neither the server nor the load tool used: other processes (a compile, say).
        other = busy - server_ticks - (kids1 - kids0)
        metrics["others_pct"] = max(0.0, 100.0 * other / total) if total else None
        return metrics

    def loadgen(self, port, clients, expect=None, send=None):
        a = self.args
        argv = [self.tool("loadgen"), "oneshot", "--host", HOST, "--port", str(port),
                "--concurrency", str(clients), "--duration", str(a.duration),
                "--timeout", str(a.timeout), "--threads", str(LOADGEN_THREADS), "--quiet",
                # A bound on the count as well as the time, far above any rate seen here.
                "--max-connections", str(int(a.duration * 500_000))]
        if expect is not None:
            argv += ["--expect-bytes", str(expect)]
        if send:
            argv += ["--send", send]
        out = json.loads(run_bounded(argv, a.duration + a.timeout + 30))
        return {
            "rate": out["rate"], "ops": out["completed"],
            "p50_ms": out["latency_ms"]["p50"], "p99_ms": out["latency_ms"]["p99"],
            "p999_ms": out["latency_ms"]["p999"], "errors": out["errors"],
        }

    def loadgen_udp(self, port, clients, expect):
        a = self.args
        low, high = expect
        argv = [self.tool("loadgen"), "udp", "--host", UDP_HOST, "--port", str(port),
                "--concurrency", str(clients), "--duration", str(a.duration),
                "--timeout", str(UDP_TIMEOUT), "--threads", str(LOADGEN_THREADS), "--quiet",
                "--send", UDP_SEND, "--answer-bytes", f"{max(1, low - 1)}:{high + 1}",
                # A bound on the count as well as the time, far above any rate seen here.
                "--max-connections", str(int(a.duration * 1_000_000))]
        out = json.loads(run_bounded(argv, a.duration + UDP_TIMEOUT + 30))
        return {
            "rate": out["rate"], "ops": out["completed"], "lost": out["lost"],
            "p50_ms": out["latency_ms"]["p50"], "p99_ms": out["latency_ms"]["p99"],
            "p999_ms": out["latency_ms"]["p999"], "errors": out["errors"],
        }

    def wrk_argv(self, port, clients, workload, duration, flood=False):
        a = self.args
        threads = 1 if clients == 1 else 2
        # wrk takes whole seconds only.
        argv = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(duration))}s",
                f"--timeout", f"{max(1, int(a.timeout))}s"]
        env = dict(os.environ)
        if flood:
            env.update(RACK_LETTERS=str(FLOOD_LETTERS), RACK_BLANKS=str(FLOOD_BLANKS))
            script = os.path.join(HERE, "random_racks.lua")
            return argv + ["-s", script, f"http://{HOST}:{port}/"], env
        _name, _what, path, letters, blanks, close = HTTP_BY_NAME[workload]
        if close:
            argv += ["-H", "Connection: close"]
        if path:
            argv += ["-s", os.path.join(HERE, "wrk_report.lua"), f"http://{HOST}:{port}{path}"]
        else:
            env.update(RACK_LETTERS=str(letters), RACK_BLANKS=str(blanks))
            argv += ["-s", os.path.join(HERE, "random_racks.lua"), f"http://{HOST}:{port}/"]
        return argv, env

    @staticmethod
    def wrk_json(output):
        for line in output.splitlines():
            if line.startswith("WRK_JSON "):
                return json.loads(line[len("WRK_JSON "):])
        raise BenchError(f"wrk printed no summary: {output[-500:]}")

    def wrk(self, port, clients, workload):
        a = self.args
        argv, env = self.wrk_argv(port, clients, workload, a.duration)
        out = self.wrk_json(run_bounded(argv, a.duration + a.timeout + 30, env=env))
        seconds = out["duration_us"] / 1e6
        errors = {k: v for k, v in out["errors"].items() if v}
        return {
            "rate": out["requests"] / seconds if seconds else 0.0, "ops": out["requests"],
            "p50_ms": out["latency_us"]["p50"] / 1e3, "p99_ms": out["latency_us"]["p99"] / 1e3,
            "p999_ms": out["latency_us"]["p999"] / 1e3, "errors": errors,
        }

    def with_flood(self, action):
        """Runs `action` while a wrk flood of the longest racks runs on the main netsvcd's
        wordfinder; the flood is known to be on (all its connections are established at the
        server) before `action` starts. wrk is given no per-response Lua callback: one would
        copy every answer, tens of kilobytes, into Lua, and make the client the flood's cost."""
        a = self.args
        port = self.servers["netsvcd"].ports[0]
        argv, env = self.wrk_argv(port, FLOOD_CONNECTIONS, None,
                                  int(a.duration + a.timeout + 30), flood=True)
        argv[1] = "-t1"
        flood = self.procs.start(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 15
            while established_to(port) < FLOOD_CONNECTIONS:
                if time.monotonic() > deadline or flood.poll() is not None:
                    raise BenchError("the wrk flood did not connect")
                time.sleep(0.01)  # polls a condition, with a deadline
            metrics = action()
            flood.send_signal(signal.SIGINT)  # wrk stops and prints its summary
            out, _ = flood.communicate(timeout=30)
            summary = self.wrk_json(out.decode(errors="replace"))
            seconds = summary["duration_us"] / 1e6
            metrics["flood_rate"] = summary["requests"] / seconds if seconds else 0.0
            return metrics
        finally:
            self.procs.stop(flood)

    def metrics_cell(self, workload, clients, peer, server):
        """The load of a metrics-* cell and, for metrics-on, what checks after it that the
        scraped counter rose by at least what the load tool completed. Reads the counter now,
        before the measurement; the thread that scrapes during the load is part of it."""
        listener, series, labels = METRICS_WORKLOADS[workload]
        labels = {"listener": listener, **labels}
        hello, wordfinder = server.ports[0], server.ports[1]
        if workload == "metrics-hello":
            load = lambda: self.loadgen(hello, clients, self.tcp_expect["netsvcd-hello"])
        else:
            http_get(wordfinder, "/lexical")  # the rack is cached: warm
            load = lambda: self.wrk(wordfinder, clients, "http-lexical-keepalive")
        if peer != "metrics-on":
            return load, None
        a = self.args
        port = server.ports[2]
        before = prometheus_value(scrape(port), series, labels)
        if before is None:
            raise BenchError(f"/metrics has no {series} for {labels}")
        state = {}

        def action():
            limit = a.duration + a.timeout + 30  # as long as the load tool may take
            with Scraper(port, METRICS_SCRAPE_INTERVAL, int(limit / METRICS_SCRAPE_INTERVAL) + 2,
                         limit) as scraper:
                metrics = load()
            state["scraper"] = scraper
            return metrics

        def check(metrics):
            scraper = state["scraper"]
            after = prometheus_value(scrape(port), series, labels)
            counted = (after or 0) - before
            shown = series + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
            result = {"scrapes": scraper.ok, "scrape_failures": scraper.failed,
                      "counter": shown, "counted": counted,
                      "count_ok": after is not None and counted >= metrics["ops"]}
            if scraper.last_error:
                result["scrape_error"] = scraper.last_error
            if not result["count_ok"]:
                message = (f"ERROR: {workload}: the scraped {shown} rose by {counted:.0f} during "
                           f"the run, but the load tool completed {metrics['ops']}: netsvcd's "
                           f"counters miss some")
                self.count_failures.append(message)
                log(f"run.py: {message}")
            return result
        return action, check

    def run_cell(self, round_no, workload, clients, peer):
        if workload == "udp-daytime":
            server = self.udp_servers[peer]
        else:
            server = self.servers[peer if workload != "contention-flood" else "netsvcd-hello"]
        port = server.ports[0]
        check = None
        if workload in METRICS_WORKLOADS:
            action, check = self.metrics_cell(workload, clients, peer, server)
        elif workload == "tcp-oneshot":
            action = lambda: self.loadgen(port, clients, self.tcp_expect[peer])
        elif workload == "udp-daytime":
            action = lambda: self.loadgen_udp(port, clients, self.udp_expect[peer])
        elif workload == "contention-threads":
            action = lambda: self.loadgen(port, clients, 12)
        elif workload == "refusals":
            # A refused client reads nothing: EOF at once is its whole answer.
            action = lambda: self.loadgen(port, clients, 0 if peer == "refused" else 12)
        elif workload == "contention-flood":
            base = lambda: self.loadgen(port, clients, self.tcp_expect["netsvcd-hello"])
            action = (lambda: self.with_flood(base)) if peer == "flood" else base
        else:
            if peer == "netsvcd" and HTTP_BY_NAME[workload][2]:
                http_get(port, HTTP_BY_NAME[workload][2])  # the rack is cached: warm
            action = lambda: self.wrk(port, clients, workload)
        metrics = self.measure(server, action)
        if check:
            metrics.update(check(metrics))
        if peer == "flood":
            # The server's CPU went to the flood too: per hello connection it means nothing.
            metrics["server_cpu_us_per_op"] = None
        record = {"round": round_no, "workload": workload, "clients": clients, "peer": peer,
                  **metrics}
        self.records.append(record)
        errors = sum(record["errors"].values())
        cpu = record["server_cpu_us_per_op"]
        log(f"  r{round_no} {workload:<24} c={clients:<5} {peer:<16} "
            f"{record['rate']:>10.0f}/s  p99 {record['p99_ms']:8.3f} ms  "
            f"cpu {cpu if cpu is None else round(cpu, 1)} us/op  errors {errors}"
            + (f"  flood {record['flood_rate']:.0f}/s" if "flood_rate" in record else "")
            + (f"  scrapes {record['scrapes']} (failed {record['scrape_failures']}), counted "
               f"{record['counted']:.0f} of {record['ops']}" if "counted" in record else ""))

    # -- memory --------------------------------------------------------------------------------
    def hold(self, port, send, expect):
        """Holds MEMORY_CONNECTIONS connections with loadgen hold; calls back once they are all
        held and the server has read every byte; returns (hold summary, callback's value)."""
        argv = [self.tool("loadgen"), "hold", "--host", HOST, "--port", str(port),
                "--connections", str(MEMORY_CONNECTIONS), "--send", send, "--expect", expect,
                "--timeout", "20", "--hold-seconds", "120", "--quiet"]
        proc = self.procs.start(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        try:
            selector = selectors.DefaultSelector()
            selector.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 90
            text = b""
            while b"\nready\n" not in text:
                left = deadline - time.monotonic()
                if left <= 0 or (proc.poll() is not None and not selector.select(0)):
                    raise BenchError(f"loadgen hold never got ready: {text[-300:]!r}")
                if selector.select(timeout=min(left, 1.0)):
                    chunk = os.read(proc.stdout.fileno(), 4096)
                    if not chunk and proc.poll() is not None:
                        raise BenchError(f"loadgen hold exited: {text[-300:]!r}")
                    text += chunk
            selector.close()
            summary = json.loads(text.split(b"\nready\n")[0].decode())
            held = summary["held"]

            def caught_up():
                count, unread, queued = server_side_state(port)
                return count >= held and unread == 0 and queued == 0
            wait_until(caught_up, 60, f"the server to accept and read {held} connections")
            return summary, proc
        except BaseException:
            self.procs.stop(proc)
            raise

    def release(self, proc):
        out, _ = proc.communicate(timeout=30)  # closes its stdin: loadgen closes them all
        self.procs.stop(proc)
        lines = [l for l in out.decode().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}

    def warm(self, server, kind):
        port = server.ports[-1]
        for _ in range(20):
            if kind == "http":
                http_get(port, "/lexical")
                http_get(port, "/lexical", close=True)
            else:
                read_tcp_answer(port)

    def memory_round(self, round_no):
        results = {"round": round_no}
        scenarios = [("keepalive", FULL_REQUEST, "http"), ("halfsent", HALF_REQUEST, "none")]
        for peer in ("netsvcd", "nginx"):
            if peer == "nginx" and "nginx" not in self.servers:
                continue
            for scenario, send, expect in scenarios:
                # A fresh server for each scenario: memory freed by an earlier one would be
                # reused and hide the cost.
                if peer == "netsvcd":
                    ports = {k: free_port() for k in ("hello", "time", "wordfinder")}
                    proc, log_path = self.start_netsvcd(
                        f"memory-{scenario}-r{round_no}",
                        [(k, ports[k]) for k in ("hello", "time", "wordfinder")],
                        log_level="info")
                    server = Server("netsvcd", proc, [ports["hello"], ports["time"],
                                                      ports["wordfinder"]])
                    for port in server.ports[:2]:
                        for _ in range(10):
                            read_tcp_answer(port)
                else:
                    server = self.start_nginx(f"nginx-memory-{scenario}-r{round_no}")
                    log_path = None
                try:
                    self.warm(server, "http")
                    port = server.ports[-1]
                    before = server.rss()
                    if peer == "netsvcd" and scenario == "keepalive":
                        results["netsvcd_idle_rss_kib"] = before
                        self.index_line = self.index_line or self.find_index_line(log_path)
                    if peer == "nginx" and scenario == "keepalive":
                        results["nginx_idle_rss_kib"] = before
                    summary, holder = self.hold(port, send, expect)
                    after = server.rss()
                    final = self.release(holder)
                    held = summary["held"]
                    results[f"{peer}_{scenario}"] = {
                        "held": held, "failed": summary["failed"], "errors": summary["errors"],
                        "rss_before_kib": before, "rss_after_kib": after,
                        "bytes_per_connection": (after - before) * 1024 / held if held else None,
                        "dropped_by_server": final.get("dropped_by_server"),
                    }
                finally:
                    self.procs.stop(server.proc)
        # netsvcd without a wordfinder listener: its idle RSS, to size the word index.
        ports = [free_port(), free_port()]
        proc, _ = self.start_netsvcd(f"memory-nowordfinder-r{round_no}",
                                     [("hello", ports[0]), ("time", ports[1])])
        try:
            server = Server("netsvcd", proc, ports)
            for port in ports:
                for _ in range(10):
                    read_tcp_answer(port)
            results["netsvcd_idle_rss_without_wordfinder_kib"] = server.rss()
        finally:
            self.procs.stop(proc)
        self.memory.append(results)
        log(f"  r{round_no} memory: " + json.dumps({k: v for k, v in results.items()
                                                    if not isinstance(v, dict)})
            + " " + ", ".join(f"{k} {v['bytes_per_connection']:.0f} B/conn"
                              for k, v in results.items() if isinstance(v, dict)
                              and v.get("bytes_per_connection") is not None))

    def find_index_line(self, log_path):
        text = self.read_log(log_path) if log_path else ""
        for line in text.splitlines():
            if re.search(r"\bindex\b", line, re.I) and re.search(
                    r"\d(\.\d+)?\s*(KiB|MiB|GiB|kB|MB|bytes)\b", line):
                return line
        return None

    @staticmethod
    def index_bytes_from_line(line):
        m = re.search(r"\bindex\b[^0-9]*?(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|kB|MB|bytes)\b", line, re.I)
        if not m:
            return None
        scale = {"kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "kb": 1000, "mb": 1000 ** 2,
                 "bytes": 1}[m.group(2).lower()]
        return float(m.group(1)) * scale

    # -- xinetd at its default limits ----------------------------------------------------------
    def xinetd_defaults_demo(self):
        """xinetd with no limit set: its defaults (cps = 50 10) shut the port under load."""
        a = self.args
        try:
            server = self.start_xinetd("xinetd-defaults", raised=False)
        except (BenchError, OSError) as e:
            self.xinetd_defaults = {"error": str(e)}
            return
        port = server.ports[0]
        try:
            duration = min(2.0, a.duration)
            argv = [self.tool("loadgen"), "oneshot", "--host", HOST, "--port", str(port),
                    "--concurrency", "64", "--duration", str(duration), "--timeout", "1",
                    "--threads", str(LOADGEN_THREADS), "--quiet"]
            out = json.loads(run_bounded(argv, duration + 30))
            shut = not listening(port)
            result = {"clients": 64, "duration_s": duration, "completed": out["completed"],
                      "failed": out["error_total"], "errors": out["errors"],
                      "port_shut_after": shut}
            if shut and not a.smoke:
                start = time.monotonic()
                try:
                    wait_until(lambda: listening(port), 30, "xinetd to reopen its port", 0.1)
                    result["reopened_after_s"] = round(time.monotonic() - start, 1)
                except BenchError:
                    result["reopened_after_s"] = None
            self.xinetd_defaults = result
            log(f"  xinetd at default limits: {json.dumps(result)}")
        finally:
            self.procs.stop(server.proc)

    # -- the plan ------------------------------------------------------------------------------
    def plan(self):
        a = self.args
        cells = []
        http_names = [w[0] for w in HTTP_WORKLOADS]
        if a.smoke:
            cells.append(("tcp-oneshot", 64, TCP_PEERS))
            cells.append(("tcp-oneshot", 1, TCP_PEERS[:3]))
            cells.append(("tcp-oneshot", 1024, TCP_PEERS[:3]))
            for clients in (1, 64):
                cells.append(("udp-daytime", clients, UDP_PEERS))
            for name in ("http-lexical-keepalive", "http-random7-keepalive", "http-lexical-close"):
                cells.append((name, 64, HTTP_PEERS))
        else:
            for clients in a.clients:
                cells.append(("tcp-oneshot", clients, TCP_PEERS))
            # UDP at 1 and 64 only: the concurrencies; one socket serves them all.
            for clients in (1, 64):
                cells.append(("udp-daytime", clients, UDP_PEERS))
            for name in http_names:
                for clients in a.clients:
                    cells.append((name, clients, HTTP_PEERS))
        cells.append(("contention-threads", 64, ["threads-1", "threads-2"]))
        cells.append(("refusals", 64, ["served", "refused"]))
        cells.append(("contention-flood", 64, ["quiet", "flood"]))
        cells.append(("contention-flood", 1, ["quiet", "flood"]))
        for name in METRICS_WORKLOADS:
            cells.append((name, 64, METRICS_PEERS))
        if a.only:
            cells = [c for c in cells if re.search(a.only, c[0])]
        available = []
        for workload, clients, peers in cells:
            have = self.udp_servers if workload == "udp-daytime" else self.servers
            peers = [p for p in peers if p in have or workload == "contention-flood"]
            if peers:
                available.append((workload, clients, peers))
        return available

    def run(self):
        a = self.args
        started = time.monotonic()
        self.start_peers()
        self.collect_versions()
        log(f"run.py: peers up: {', '.join(sorted(self.servers))}; temp dir {self.tmp}")
        if not a.only or re.search(a.only, "xinetd-defaults"):
            self.xinetd_defaults_demo()
        cells = self.plan()
        for round_no in range(1, a.rounds + 1):
            log(f"run.py: round {round_no} of {a.rounds}")
            for workload, clients, peers in cells:
                if workload in METRICS_WORKLOADS:
                    # Twice each, interleaved off, on, on, off (then on, off, off, on): a drift
                    # of the machine's load during the pair weighs on both alike.
                    first = peers if round_no % 2 else peers[::-1]
                    order = first + first[::-1]
                else:
                    shift = (round_no - 1) % len(peers)
                    order = peers[shift:] + peers[:shift]
                for peer in order:
                    self.run_cell(round_no, workload, clients, peer)
            if not a.only or re.search(a.only, "memory"):
                self.memory_round(round_no)
        self.elapsed = time.monotonic() - started
        # netsvcd runs at log_level warning: anything it logged is worth a look.
        for what, path in (("netsvcd log", self.main_log),
                           ("netsvcd (udp) log", getattr(self, "udp_log", None))):
            lines = [l for l in self.read_log(path).splitlines() if l.strip()] if path else []
            if lines:
                self.peer_notes[what] = (f"{len(lines)} line(s) at warning or above "
                                         f"(last 2000 bytes); last: {lines[-1]}")


# ---- report ----------------------------------------------------------------------------------

def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=3):
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def summarise(bench):
    """Medians per (workload, clients, peer)."""
    groups = {}
    for r in bench.records:
        groups.setdefault((r["workload"], r["clients"], r["peer"]), []).append(r)
    medians = {}
    for key, runs in groups.items():
        errors = {}
        for r in runs:
            for kind, n in r["errors"].items():
                errors[kind] = errors.get(kind, 0) + n
        medians[key] = {
            "runs": len(runs),
            **{m: median_of([r.get(m) for r in runs]) for m in (
                "rate", "p50_ms", "p99_ms", "p999_ms", "server_cpu_us_per_op",
                "server_rss_kib", "box_busy_pct", "others_pct", "flood_rate", "lost")},
            "errors": errors, "error_total": sum(errors.values()),
        }
    return medians


def pct(value):
    return "-" if value is None else f"{value:.0f}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def ratio_rows(bench, medians):
    rows = []
    keys = sorted({(w, c) for (w, c, _p) in medians}, key=lambda k: (order_of(k[0]), k[1]))
    for workload, clients in keys:
        if workload == "tcp-oneshot":
            pairs = [(n, o) for n in ("netsvcd-hello", "netsvcd-time")
                     for o in ("reference", "openbsd-inetd", "xinetd", "socket-activate")]
        elif workload == "udp-daytime":
            pairs = [("netsvcd-time", "openbsd-inetd"), ("netsvcd-time", "xinetd")]
        elif workload.startswith("http-"):
            pairs = [("netsvcd", "nginx")]
        elif workload == "contention-threads":
            pairs = [("threads-2", "threads-1")]
        elif workload == "refusals":
            pairs = [("refused", "served")]
        elif workload in METRICS_WORKLOADS:
            pairs = [("metrics-on", "metrics-off")]
        else:
            pairs = [("flood", "quiet")]
        for mine, other in pairs:
            m, o = medians.get((workload, clients, mine)), medians.get((workload, clients, other))
            if not m or not o:
                continue
            rows.append({"workload": workload, "clients": clients, "netsvcd": mine,
                         "peer": other, "rate": ratio(m["rate"], o["rate"]),
                         "p99": ratio(m["p99_ms"], o["p99_ms"]),
                         "cpu_per_op": ratio(m["server_cpu_us_per_op"],
                                             o["server_cpu_us_per_op"])})
    return rows


def order_of(workload):
    names = (["tcp-oneshot", "udp-daytime"] + [w[0] for w in HTTP_WORKLOADS]
             + ["contention-threads", "refusals", "contention-flood"] + list(METRICS_WORKLOADS))
    return names.index(workload) if workload in names else len(names)


def memory_summary(bench):
    mem = bench.memory
    if not mem:
        return {}
    out = {}
    for key in ("netsvcd_idle_rss_kib", "nginx_idle_rss_kib",
                "netsvcd_idle_rss_without_wordfinder_kib"):
        out[key] = median_of([m.get(key) for m in mem])
    for peer in ("netsvcd", "nginx"):
        for scenario in ("keepalive", "halfsent"):
            runs = [m[f"{peer}_{scenario}"] for m in mem if f"{peer}_{scenario}" in m]
            if runs:
                out[f"{peer}_{scenario}_bytes_per_connection"] = median_of(
                    [r["bytes_per_connection"] for r in runs])
                out[f"{peer}_{scenario}_held"] = min(r["held"] for r in runs)
                out[f"{peer}_{scenario}_dropped_by_server"] = max(
                    (r["dropped_by_server"] or 0) for r in runs)
    index = None
    if bench.index_line:
        index = Bench.index_bytes_from_line(bench.index_line)
        out["index_source"] = f"netsvcd's start-up log: {bench.index_line.strip()}"
    if index is None and out.get("netsvcd_idle_rss_kib") and out.get(
            "netsvcd_idle_rss_without_wordfinder_kib"):
        index = 1024 * (out["netsvcd_idle_rss_kib"]
                        - out["netsvcd_idle_rss_without_wordfinder_kib"])
        out["index_source"] = ("RSS with a wordfinder listener minus RSS without one "
                               "(the start-up log does not state the index size)")
    out["index_bytes"] = index
    return out


def targets(bench, medians, memory):
    lines = []

    def add(text, value, limit, op, unit="x", note=None):
        decimals = 2 if unit == " ms" else 0
        if value is None:
            status = "n/a"
            shown = "not measured"
        else:
            ok = value >= limit if op == ">=" else (value <= limit if op == "<=" else value < limit)
            status = "met" if ok else "NOT met"
            # Three decimals for ratios, so that 0.996x does not read as a missed 1.00x.
            shown = f"{value:.3f}x" if unit == "x" else f"{value:,.{decimals}f}{unit}"
        if limit is None:
            target = text
        else:
            limit_text = f"{limit:.2f}x" if unit == "x" else f"{limit:,.{decimals}f}{unit}"
            target = f"{text} {op} {limit_text}"
        lines.append({"target": target, "measured": shown,
                      "status": status, **({"note": note} if note else {})})

    def med(workload, clients, peer, metric):
        m = medians.get((workload, clients, peer))
        return m.get(metric) if m else None

    for svc in ("hello", "time"):
        me = f"netsvcd-{svc}"
        add(f"{svc}, 64 clients: connections/s vs the reference server",
            ratio(med("tcp-oneshot", 64, me, "rate"), med("tcp-oneshot", 64, "reference", "rate")),
            1.0, ">=")
        add(f"{svc}, 64 clients: connections/s vs openbsd-inetd",
            ratio(med("tcp-oneshot", 64, me, "rate"),
                  med("tcp-oneshot", 64, "openbsd-inetd", "rate")), 1.15, ">=")
        add(f"{svc}, 64 clients: server CPU per connection vs the reference's",
            ratio(med("tcp-oneshot", 64, me, "server_cpu_us_per_op"),
                  med("tcp-oneshot", 64, "reference", "server_cpu_us_per_op")), 1.1, "<=")
        add(f"{svc}, 1 client: p99 latency vs the reference's",
            ratio(med("tcp-oneshot", 1, me, "p99_ms"),
                  med("tcp-oneshot", 1, "reference", "p99_ms")),
            1.2, "<=")
        m = medians.get(("tcp-oneshot", 1024, me))
        add(f"{svc}, 1,024 clients: errors (all rounds)", m["error_total"] if m else None, 0,
            "<=", unit="", note=json.dumps(m["errors"]) if m and m["errors"] else None)
    for clients in (1, 64):
        who = f"{clients} client{'s' if clients > 1 else ''}"
        me, inetd, xinetd = (medians.get(("udp-daytime", clients, p)) for p in UDP_PEERS)
        rate_note = cpu_note = None
        if me and inetd:
            rate_note = f"{me['rate']:,.0f} vs {inetd['rate']:,.0f}/s"
            if xinetd:
                rate_note += (f"; xinetd {xinetd['rate']:,.0f}/s, netsvcd "
                              f"{ratio(me['rate'], xinetd['rate']):.2f}x it")
            if me["server_cpu_us_per_op"] and inetd["server_cpu_us_per_op"]:
                cpu_note = (f"{me['server_cpu_us_per_op']:.2f} vs "
                            f"{inetd['server_cpu_us_per_op']:.2f} us")
                if xinetd and xinetd["server_cpu_us_per_op"]:
                    cpu_note += f"; xinetd {xinetd['server_cpu_us_per_op']:.2f} us"
        add(f"udp-daytime, {who}: datagrams answered/s vs openbsd-inetd",
            ratio(med("udp-daytime", clients, "netsvcd-time", "rate"),
                  med("udp-daytime", clients, "openbsd-inetd", "rate")), 1.0, ">=",
            note=rate_note)
        add(f"udp-daytime, {who}: server CPU per datagram vs openbsd-inetd's",
            ratio(med("udp-daytime", clients, "netsvcd-time", "server_cpu_us_per_op"),
                  med("udp-daytime", clients, "openbsd-inetd", "server_cpu_us_per_op")),
            1.0, "<", note=cpu_note)
    add("wordfinder, one cached rack, keep-alive, 64 clients: requests/s vs nginx",
        ratio(med("http-lexical-keepalive", 64, "netsvcd", "rate"),
              med("http-lexical-keepalive", 64, "nginx", "rate")), 1.0, ">=")
    add("wordfinder, random uncached 7-letter racks, keep-alive, 64 clients: requests/s vs nginx",
        ratio(med("http-random7-keepalive", 64, "netsvcd", "rate"),
              med("http-random7-keepalive", 64, "nginx", "rate")), 0.6, ">=")
    add("wordfinder, one cached rack, Connection: close, 64 clients: requests/s vs nginx (close)",
        ratio(med("http-lexical-close", 64, "netsvcd", "rate"),
              med("http-lexical-close", 64, "nginx", "rate")), 1.0, ">=")
    index = memory.get("index_bytes")
    idle = memory.get("netsvcd_idle_rss_kib")
    limit_kib = 8 * 1024 + index / 1024 if index is not None else None
    if limit_kib is not None:
        add(f"memory: netsvcd idle RSS (KiB) < 8 MiB + the index ({index / 1024:,.0f} KiB) =",
            idle, limit_kib, "<", unit=" KiB")
    else:
        add("memory: netsvcd idle RSS < 8 MiB + the index", None, None, "<", unit=" KiB")
    nginx_ka = memory.get("nginx_keepalive_bytes_per_connection")
    add("memory: bytes per idle keep-alive connection",
        memory.get("netsvcd_keepalive_bytes_per_connection"), 1024, "<=", unit=" B",
        note=f"nginx: {nginx_ka:,.0f} B" if nginx_ka is not None else None)
    nginx_hs = memory.get("nginx_halfsent_bytes_per_connection")
    add("memory: bytes per half-sent request", memory.get("netsvcd_halfsent_bytes_per_connection"),
        2048, "<=", unit=" B", note=f"nginx: {nginx_hs:,.0f} B" if nginx_hs is not None else None)
    add("contention: CPU per hello connection, threads 2 vs threads 1 (64 clients)",
        ratio(med("contention-threads", 64, "threads-2", "server_cpu_us_per_op"),
              med("contention-threads", 64, "threads-1", "server_cpu_us_per_op")), 1.1, "<=")
    add("refusals: CPU per refused connection vs per served hello connection (64 clients)",
        ratio(med("refusals", 64, "refused", "server_cpu_us_per_op"),
              med("refusals", 64, "served", "server_cpu_us_per_op")), 1.0, "<=")
    for clients in (64, 1):
        quiet, flooded = (med("contention-flood", clients, p, "p99_ms") for p in ("quiet", "flood"))
        add(f"contention: hello p99 increase under the wordfinder flood ({clients} client"
            f"{'s' if clients > 1 else ''})",
            flooded - quiet if quiet is not None and flooded is not None else None, 2.0, "<=",
            unit=" ms")
    for workload, (listener, series, _labels) in METRICS_WORKLOADS.items():
        what = "connections" if workload == "metrics-hello" else "requests"
        name = "hello" if workload == "metrics-hello" else "wordfinder one cached rack keep-alive"
        on, off = (medians.get((workload, 64, p)) for p in ("metrics-on", "metrics-off"))
        add(f"metrics on vs off (scraped every {METRICS_SCRAPE_INTERVAL:g} s): {name}, 64 "
            f"clients: {what}/s", ratio(on and on["rate"], off and off["rate"]),
            METRICS_TARGET, ">=",
            note=f"{on['rate']:,.0f} vs {off['rate']:,.0f}/s" if on and off else None)
        cpu_on, cpu_off = (m and m["server_cpu_us_per_op"] for m in (on, off))
        add(f"metrics on vs off: {name}, 64 clients: server CPU per {what[:-1]} "
            f"(1/{METRICS_TARGET:g})", ratio(cpu_on, cpu_off), 1 / METRICS_TARGET, "<=",
            note=f"{cpu_on:.2f} vs {cpu_off:.2f} us" if cpu_on and cpu_off else None)
        runs = [r for r in bench.records if r["workload"] == workload and "counted" in r]
        bad = [r for r in runs if not r["count_ok"]]
        counter = runs[0]["counter"] if runs else f'{series}{{listener="{listener}"}}'
        lines.append({
            "target": f"metrics on: the scraped {counter} rose by >= the {what} the load tool "
                      f"completed, every run",
            "measured": (f"{len(runs) - len(bad)} of {len(runs)} runs; least margin "
                         f"{min(r['counted'] - r['ops'] for r in runs):+,.0f}; "
                         f"{sum(r['scrapes'] for r in runs)} scrapes, "
                         f"{sum(r['scrape_failures'] for r in runs)} failed") if runs
                        else "not measured",
            "status": "n/a" if not runs else "NOT met" if bad else "met"})
    return lines


def error_text(errors):
    if not errors:
        return "0"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))
    return f"{sum(errors.values())} ({kinds})"


def tables(bench, medians, ratios, memory, target_lines, markdown):
    out = []

    def table(headers, rows, align):
        widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
                  for i, h in enumerate(headers)]
        def line(cells):
            parts = [(str(c).rjust(w) if a == "r" else str(c).ljust(w))
                     for c, w, a in zip(cells, widths, align)]
            return (f"| {' | '.join(parts)} |") if markdown else "  ".join(parts).rstrip()
        out.append(line(headers))
        if markdown:
            out.append("|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                                      for w, a in zip(widths, align)) + "|")
        else:
            out.append("  ".join("-" * w for w in widths))
        for r in rows:
            out.append(line(r))
        out.append("")

    def heading(text):
        out.append(f"## {text}" if markdown else f"== {text}")
        out.append("")

    machine = bench.machine_info
    heading("Machine")
    for k in ("cpu", "cores", "kernel", "os", "date", "nofile_hard"):
        out.append(f"- {k}: {machine[k]}" if markdown else f"  {k}: {machine[k]}")
    for k, v in bench.versions.items():
        out.append(f"- {k}: {v}" if markdown else f"  {k}: {v}")
    a = bench.args
    settings = (f"{a.rounds} round(s), {a.duration} s per run, per-connection timeout "
                f"{a.timeout} s,"
                f" UDP: an answer not back within {UDP_TIMEOUT * 1000:.0f} ms is lost,"
                f" loadgen --threads {LOADGEN_THREADS}, wrk -t2 (-t1 at 1 client); metrics "
                f"listener scraped every {METRICS_SCRAPE_INTERVAL:g} s in the metrics-on runs; "
                f"medians over rounds; errors summed over rounds; whole run "
                f"{bench.elapsed / 60:.1f} min")
    out.append(f"- settings: {settings}" if markdown else f"  settings: {settings}")
    for k, v in bench.peer_notes.items():
        out.append(f"- {k}: {v}" if markdown else f"  {k}: {v}")
    out.append("")

    busy = [r for r in bench.records if (r.get("others_pct") or 0) > OTHERS_WARN_PCT]
    if busy:
        text = (f"warning: {len(busy)} of {len(bench.records)} runs saw more than "
                f"{OTHERS_WARN_PCT}% of the machine's CPU used by other processes or interrupts "
                f"(column others %): the machine was not quiet, and those numbers are not "
                f"the servers' alone.")
        out.append(text)
        out.append("")

    heading("Medians")
    rows = []
    for (workload, clients, peer), m in sorted(medians.items(), key=lambda kv: (
            order_of(kv[0][0]), kv[0][1], kv[0][2])):
        rows.append([workload, clients, peer, fmt(m["rate"]), fmt(m["p50_ms"]), fmt(m["p99_ms"]),
                     fmt(m["p999_ms"]), error_text(m["errors"]), fmt(m["server_cpu_us_per_op"]),
                     fmt(m["server_rss_kib"] / 1024 if m["server_rss_kib"] else None),
                     pct(m["box_busy_pct"]), pct(m["others_pct"])])
    table(["workload", "clients", "peer", "rate/s", "p50 ms", "p99 ms", "p99.9 ms", "errors",
           "CPU us/op", "RSS MiB", "box busy %", "others %"], rows,
          ["l", "r", "l", "r", "r", "r", "r", "l", "r", "r", "r", "r"])
    if not markdown:
        out.append("  rate: connections/s (TCP), requests/s (HTTP) or datagrams answered/s "
                   "(UDP; errors: lost, i.e. not answered within "
                   f"{UDP_TIMEOUT * 1000:.0f} ms); CPU us/op: the server's "
                   "CPU time per connection, request or datagram (the flood runs: none, the "
                   "flood shares it); "
                   "box busy %: the whole machine; others %: what neither the server nor the load "
                   "tool used (other processes, interrupts): a disturbed run shows here")
        out.append("")

    heading("Ratios netsvcd / peer (medians)")
    rows = [[r["workload"], r["clients"], r["netsvcd"], r["peer"], fmt(r["rate"]), fmt(r["p99"]),
             fmt(r["cpu_per_op"])] for r in ratios]
    table(["workload", "clients", "netsvcd", "vs peer", "rate x", "p99 x", "CPU/op x"], rows,
          ["l", "r", "l", "l", "r", "r", "r"])

    heading("Memory (medians over rounds)")
    rows = []
    for key, text in (("netsvcd_idle_rss_kib", "netsvcd idle RSS after start and warm-up"),
                      ("netsvcd_idle_rss_without_wordfinder_kib",
                       "netsvcd idle RSS, no wordfinder listener"),
                      ("nginx_idle_rss_kib", "nginx idle RSS (master + 2 workers, VmRSS summed)")):
        if memory.get(key) is not None:
            rows.append([text, f"{memory[key]:,.0f} KiB"])
    if memory.get("index_bytes") is not None:
        rows.append(["word index", f"{memory['index_bytes'] / 1024:,.0f} KiB"])
    for peer in ("netsvcd", "nginx"):
        for scenario, text in (("keepalive", "idle keep-alive connection (after GET /lexical)"),
                               ("halfsent", "half-sent request head")):
            v = memory.get(f"{peer}_{scenario}_bytes_per_connection")
            if v is not None:
                rows.append([f"{peer}: per {text}",
                             f"{v:,.0f} B (held {memory[f'{peer}_{scenario}_held']}, "
                             f"closed by server {memory[f'{peer}_{scenario}_dropped_by_server']})"])
    table(["what", "value"], rows, ["l", "l"])
    if memory.get("index_source"):
        out.append(f"index size from: {memory['index_source']}")
        out.append("")

    heading("xinetd at its default limits (cps = 50 10)")
    x = bench.xinetd_defaults or {}
    if "error" in x:
        out.append(f"not run: {x['error']}")
    elif x:
        text = (f"64 clients for {x['duration_s']} s: {x['completed']} connections served, "
                f"{x['failed']} failed ({error_text(x['errors'])}); port shut afterwards: "
                f"{'yes' if x['port_shut_after'] else 'no'}")
        if "reopened_after_s" in x:
            text += (f"; reopened after {x['reopened_after_s']} s" if x["reopened_after_s"]
                     is not None else "; not reopened within 30 s")
        out.append(text)
    out.append("")

    heading("Targets")
    rows = [[t["status"], t["target"],
             t["measured"] + (f"  ({t['note']})" if t.get("note") else "")]
            for t in target_lines]
    table(["status", "target", "measured"], rows, ["l", "l", "l"])
    return "\n".join(out)


def charts(bench, medians, out_dir):
    """PNG charts with gnuplot: per workload family, rate and p99 by clients, a line per peer."""
    if not shutil.which("gnuplot"):
        log("run.py: gnuplot not found: no charts")
        return []
    families = ["tcp-oneshot", "udp-daytime"] + [w[0] for w in HTTP_WORKLOADS]
    written = []
    script = []
    for family in families:
        peers = sorted({p for (w, _c, p) in medians if w == family})
        if not peers:
            continue
        for metric, label, log_y in (("rate", "connections, requests or datagrams per second",
                                      False),
                                     ("p99_ms", "p99 latency (ms, log scale)", True)):
            name = f"{family}-{'rate' if metric == 'rate' else 'p99'}.png"
            blocks, plots = [], []
            for i, peer in enumerate(peers):
                points = sorted((c, m[metric]) for (w, c, p), m in medians.items()
                                if w == family and p == peer and m[metric])
                if not points:
                    continue
                blocks.append(f"$d{i} << EOD\n" + "\n".join(f"{c} {v}" for c, v in points)
                              + "\nEOD")
                plots.append(f"$d{i} using 1:2 with linespoints lw 2 pt 7 title '{peer}'")
            if not plots:
                continue
            script += blocks
            script += [
                f"set output '{os.path.join(out_dir, name)}'",
                f"set title '{WORKLOAD_TEXT.get(family, family)}' noenhanced",
                f"set ylabel '{label}'",
                "set logscale y" if log_y else "unset logscale y",
                "set yrange [*:*]" if log_y else "set yrange [0:*]",
                "plot " + ", ".join(plots),
            ]
            written.append(name)
    if not written:
        return []
    header = ["set terminal pngcairo size 960,560 noenhanced font ',10'",
              "set logscale x 2", "set xtics ('1' 1, '64' 64, '1024' 1024)",
              "set xrange [0.7:1500]", "set xlabel 'concurrent clients'", "set grid",
              "set key outside right top"]
    result = subprocess.run(["gnuplot"], input="\n".join(header + script) + "\n", text=True,
                            capture_output=True, timeout=120)
    if result.returncode != 0:
        log(f"run.py: gnuplot failed: {result.stderr.strip()[-500:]}")
        return []
    return written


def metrics_overhead(bench, ratios):
    """results.json's summary of the metrics comparison: on/off per workload, and the checks."""
    out = {}
    for workload in METRICS_WORKLOADS:
        row = next((r for r in ratios if r["workload"] == workload), None)
        runs = [r for r in bench.records if r["workload"] == workload and "counted" in r]
        if not row and not runs:
            continue
        out[workload] = {
            "target": f"metrics on >= {METRICS_TARGET}x metrics off (rate; CPU per op on/off "
                      f"<= 1/{METRICS_TARGET})",
            "rate_on_over_off": row and row["rate"],
            "cpu_per_op_on_over_off": row and row["cpu_per_op"],
            "count_checks": [{k: r.get(k) for k in ("round", "counter", "counted", "ops",
                                                    "count_ok", "scrapes", "scrape_failures",
                                                    "scrape_error") if k in r} for r in runs],
        }
    return out


def write_report(bench):
    out_dir = bench.args.out
    os.makedirs(out_dir, exist_ok=True)
    medians = summarise(bench)
    ratios = ratio_rows(bench, medians)
    memory = memory_summary(bench)
    target_lines = targets(bench, medians, memory)
    text = tables(bench, medians, ratios, memory, target_lines, markdown=False)
    print(text, flush=True)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("# netsvcd against its peers (bench/run.py)\n\n"
                "Medians over rounds; noisy on a shared 2-core machine: check the others % "
                "column.\n\n")
        f.write(tables(bench, medians, ratios, memory, target_lines, markdown=True) + "\n")
    pngs = charts(bench, medians, out_dir)
    doc = {
        "machine": bench.machine_info, "versions": bench.versions,
        "settings": {"rounds": bench.args.rounds, "duration_s": bench.args.duration,
                     "timeout_s": bench.args.timeout, "smoke": bench.args.smoke,
                     "loadgen_threads": LOADGEN_THREADS, "memory_connections": MEMORY_CONNECTIONS,
                     "flood": {"connections": FLOOD_CONNECTIONS, "letters": FLOOD_LETTERS,
                               "blanks": FLOOD_BLANKS},
                     "metrics_scrape_interval_s": METRICS_SCRAPE_INTERVAL,
                     "elapsed_s": round(bench.elapsed, 1)},
        "peer_notes": bench.peer_notes,
        "runs": bench.records,
        "medians": [{"workload": w, "clients": c, "peer": p, **m}
                    for (w, c, p), m in sorted(medians.items(), key=lambda kv: (
                        order_of(kv[0][0]), kv[0][1], kv[0][2]))],
        "ratios": ratios, "memory_rounds": bench.memory, "memory": memory,
        "xinetd_default_limits": bench.xinetd_defaults, "targets": target_lines, "charts": pngs,
        "metrics_overhead": metrics_overhead(bench, ratios),
    }
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    log(f"run.py: wrote {out_dir}/results.json, results.md"
        + (f" and {len(pngs)} chart(s)" if pngs else ""))


# ---- main ------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                   help="CMake build directory with bench/loadgen etc. (default build/)")
    p.add_argument("--netsvcd", help="the netsvcd binary (default BUILD_DIR/daemon/netsvcd)")
    p.add_argument("--out", default=os.environ.get("BENCH_OUT"),
                   help="output directory (default $BENCH_OUT, else bench/results, or "
                        "BUILD_DIR/bench-smoke with --smoke)")
    p.add_argument("--peers-cache", help="where the unpacked openbsd-inetd is kept between runs "
                                         "(default BUILD_DIR/bench-peers)")
    p.add_argument("--smoke", action="store_true",
                   help="about 90 s: one round, 2 s runs, 64 clients (plus the runs the "
                        "targets need at 1 and 1,024, and UDP at 1 and 64)")
    p.add_argument("--quick", action="store_true",
                   help="the full matrix once with 1 s runs (to test the harness)")
    p.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --smoke or --quick)")
    p.add_argument("--duration", type=float, help="seconds per run (default 4; 2 with --smoke, "
                                                  "1 with --quick; wrk rounds to whole seconds)")
    p.add_argument("--timeout", type=float, help="per-connection timeout in seconds "
                                                 "(default 5; 2 with --smoke)")
    p.add_argument("--only", help="only the workloads matching this regex (testing)")
    a = p.parse_args()
    short = a.smoke or a.quick
    a.rounds = a.rounds or (1 if short else 3)
    a.duration = a.duration or (2.0 if a.smoke else 1.0 if a.quick else 4.0)
    a.timeout = a.timeout or (2.0 if a.smoke else 5.0)
    a.clients = [1, 64, 1024]
    a.build_dir = os.path.abspath(a.build_dir)
    a.netsvcd = os.path.abspath(a.netsvcd or os.path.join(a.build_dir, "daemon", "netsvcd"))
    a.peers_cache = a.peers_cache or os.path.join(a.build_dir, "bench-peers")
    a.out = os.path.abspath(a.out or (os.path.join(a.build_dir, "bench-smoke") if a.smoke
                                      else os.path.join(HERE, "results")))
    if a.rounds < 1 or a.duration <= 0 or a.timeout <= 0:
        p.error("--rounds, --duration and --timeout must be positive")
    return a


def main():
    args = parse_args()
    missing = [t for t in ("wrk", "ss", "unshare") if not shutil.which(t)]
    if missing:
        log(f"run.py: missing {', '.join(missing)}: make bench-deps installs them")
        return 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench(args)
    atexit.register(bench.cleanup)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    # SIGINT too, even when started with it ignored (a background job of a script).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        bench.machine_info = Bench.machine()
        bench.run()
        write_report(bench)
        if bench.count_failures:
            for message in bench.count_failures:
                log(f"run.py: {message}")
            log("run.py: failed: the metrics counters did not count every operation "
                "(see the Targets table)")
            return 1
        return 0
    except KeyboardInterrupt:
        log("run.py: interrupted: stopping every server")
        return 130
    except BenchError as e:
        log(f"run.py: {e}")
        return 1
    finally:
        bench.cleanup()


if __name__ == "__main__":
    sys.exit(main())
