#!/usr/bin/env python3
"""chaos.py - the pgwarden fault-injection soak (see README.md "Chaos soak").

A throwaway PostgreSQL with data checksums, supervised by pgwarden-db, under
a steady write load (pgbench plus a single-writer `ledger` table with gapless
ids), the three sidecars with short intervals, and a driver that injects
faults in a seeded random order for a bounded time. After every fault it
waits for the system to settle and checks the invariants; at the end it
prints one table (fault, count, detected, recovered, time to recover, rows
lost) and the invariants, and exits 0 only when every one of them held.

    chaos.py --duration 150 --seed 1          # the short run (make test)
    chaos.py --duration 1200 --seed 7         # make chaos CHAOS_SECONDS=1200
    chaos.py --physical --duration 1200       # the physical path's faults

With --physical, base backups run every 3 minutes and recovery_method is
auto: page corruption and an unstartable data directory must recover
physically with no acknowledged row lost (invariant 8), and the archive's
own faults (archiver killed, archive read-only, archive volume full, a
segment taken out, a segment damaged in place) must
be detected and healed.
"""

import argparse
import calendar
import collections
import configparser
import fcntl
import gzip
import hashlib
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IS_ROOT = os.geteuid() == 0
COOLDOWN = 15
SETTLE_LIMIT = 90


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def pg_bindir():
    d = os.environ.get("PG_BINDIR")
    if d:
        return d
    try:
        return subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            [os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")],
            key=lambda p: int(p.split("/")[-2]),
        )[-1]


def iso_time(text):
    """'2026-11-25T23:46:22.494Z' (pgwarden's log stamps) as epoch seconds."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + text[19:23])


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class Proc:
    """A long-running pgwarden process the driver supervises like a kubelet:
    it restarts what it killed, and reports what died on its own."""

    def __init__(self, sys_, name, binary):
        self.sys, self.name, self.binary = sys_, name, binary
        self.p = None
        self.killed_by_us = False
        self.unexpected_exits = []
        self.started_at = 0.0
        self.baseline = None  # (time, rss KiB, fds) once warmed up
        self.last = None  # the latest (time, rss KiB, fds)
        self.judged = []  # (seconds, rss growth KiB, fd growth) per instance

    def start(self):
        cmd = [self.binary]
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--preserve-environment", "--"] + cmd
        self.close_instance()
        err = open(os.path.join(self.sys.work, self.name + ".stderr"), "ab")
        self.p = subprocess.Popen(cmd, env=self.sys.env, stdout=err, stderr=err, start_new_session=True)
        err.close()
        self.killed_by_us = False
        self.started_at = time.time()
        self.baseline = self.last = None

    def sample(self, warmed):
        """RSS and fds at rest: the least of a few readings, so a job in
        flight (a dump's pipes, a connection) is not taken for a leak."""
        pid = self.pid()
        readings = []
        for _ in range(5) if pid else ():
            r, f = rss_kib(pid), fd_count(pid)
            if r is not None and f is not None:
                readings.append((r, f))
            time.sleep(0.2)
        if not readings:
            return
        rss, fds = min(r for r, _ in readings), min(f for _, f in readings)
        if self.baseline is None:
            if warmed:
                self.baseline = (time.time(), rss, fds)
        else:
            self.last = (time.time(), rss, fds)

    def close_instance(self):
        """Memory and fds of the instance ending now, if measured long
        enough to say something."""
        if self.baseline and self.last and self.last[0] - self.baseline[0] >= 60:
            self.judged.append((self.last[0] - self.baseline[0], self.last[1] - self.baseline[1],
                                self.last[2] - self.baseline[2], self.baseline[1], self.last[1]))
        self.baseline = self.last = None

    def pid(self):
        # under runuser the daemon is the child of the runuser process
        if not self.p or self.p.poll() is not None:
            return None
        if not IS_ROOT:
            return self.p.pid
        try:
            with open("/proc/%d/task/%d/children" % (self.p.pid, self.p.pid)) as f:
                kids = f.read().split()
            return int(kids[0]) if kids else None
        except OSError:
            return None

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill9(self):
        # judged on the last sample at rest: now it is mid-job on purpose
        self.close_instance()
        pid = self.pid()
        self.killed_by_us = True
        if pid:
            os.kill(pid, signal.SIGKILL)
        if self.p:
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()

    def term(self):
        """SIGTERM, as kubelet stops a container; it is expected to exit."""
        self.close_instance()
        pid = self.pid()
        self.killed_by_us = True
        if pid:
            os.kill(pid, signal.SIGTERM)
        if self.p:
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()

    def check(self):
        """Restart after an exit nobody asked for; remember it."""
        if self.p is not None and self.p.poll() is not None and not self.killed_by_us:
            self.unexpected_exits.append((time.time(), self.p.returncode))
            log("UNEXPECTED: %s exited with %s; restarting" % (self.name, self.p.returncode))
            self.start()

    def stop(self):
        if self.alive():
            pid = self.pid()
            if pid:
                os.kill(pid, signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)


class Ledger(threading.Thread):
    """One psql session inserting gapless ids (max+1, one writer) and reading
    back each id after its commit: self.acks holds (time, id) of every
    acknowledged row, so the driver knows exactly what was committed."""

    def __init__(self, sys_):
        super().__init__(daemon=True)
        self.sys = sys_
        self.acks = []
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.lock = threading.Lock()

    def last(self):
        with self.lock:
            return self.acks[-1] if self.acks else (0.0, 0)

    def run(self):
        sql = b"INSERT INTO ledger(id) SELECT coalesce(max(id), 0) + 1 FROM ledger RETURNING id;\n"
        while not self.stop.is_set():
            if self.paused.is_set():
                time.sleep(0.05)
                continue
            p = subprocess.Popen(
                [self.sys.psql, "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-d", "app"],
                env=self.sys.client_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
            try:
                while not self.stop.is_set() and not self.paused.is_set():
                    p.stdin.write(sql)
                    p.stdin.flush()
                    line = p.stdout.readline()
                    if not line:
                        break
                    with self.lock:
                        self.acks.append((time.time(), int(line)))
                    time.sleep(0.02)
            except (BrokenPipeError, ValueError):
                pass
            p.kill()
            p.wait()
            time.sleep(0.3)


class Load(threading.Thread):
    """pgbench's TPC-B-like load at a fixed rate, restarted when a fault
    kills its connections."""

    def __init__(self, sys_):
        super().__init__(daemon=True)
        self.sys = sys_
        self.stop = threading.Event()
        self.p = None
        self.runs = 0

    def run(self):
        while not self.stop.is_set():
            self.runs += 1
            self.p = subprocess.Popen(
                [self.sys.pgbench, "-n", "-c", "2", "-R", "40", "-T", "100000", "app"],
                env=self.sys.client_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while self.p.poll() is None and not self.stop.is_set():
                time.sleep(0.2)
            if self.p.poll() is None:
                self.p.kill()
            self.p.wait()
            time.sleep(0.5)


class System:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.bindir = pg_bindir()
        self.psql = os.path.join(self.bindir, "psql")
        self.pgbench = os.path.join(self.bindir, "pgbench")
        self.work = tempfile.mkdtemp(prefix="pgw-chaos-", dir=os.environ.get("TMPDIR"))
        self.backups = os.path.join(self.work, "backups")
        self.clockfile = os.path.join(self.work, "sched-clock-offset")
        self.owner = pwd.getpwnam("postgres") if IS_ROOT else None
        os.chmod(self.work, 0o755)
        os.mkdir(self.backups, 0o700)
        with open(self.clockfile, "w") as f:
            f.write("0\n")
        if IS_ROOT:
            for p in (self.work, self.backups, self.clockfile):
                os.chown(p, self.owner.pw_uid, self.owner.pw_gid)
        sock = os.path.join(self.work, "sock")
        self.client_env = dict(os.environ, PGHOST=sock, PGPORT="5432", PGUSER="postgres", PGDATABASE="app")
        self.env = dict(self.client_env)
        self.env.update({
            "PGWARDEN_BACKUP_DIR": self.backups,
            "PGWARDEN_DATABASE": "app",
            "PGWARDEN_BACKUP_DATABASES": "app",
            "PGWARDEN_SERVER_LOG": os.path.join(self.work, "postgres.log"),
            "PGWARDEN_PGDATA": os.path.join(self.work, "data"),
            "PGWARDEN_INIT_DIR": os.path.join(ROOT, "config/init"),
            "PGWARDEN_MIGRATIONS_DIR": os.path.join(ROOT, "migrations"),
            "PGWARDEN_BACKUP_SCHEDULE": "@every 10s",
            "PGWARDEN_VERIFY_SCHEDULE": "off",
            # the soak's invariants are the logical path's (a recovery
            # loses the rows after the dump it used): no base backups, so
            # every recovery stays logical (docs/WAL.md lists what is left)
            "PGWARDEN_BASE_BACKUP_SCHEDULE": "off",
            "PGWARDEN_RECOVERY_METHOD": "logical",
            "PGWARDEN_RETENTION_SCHEDULE": "@every 5m",
            "HEALTH_CHECK_INTERVAL": "1",
            "MAX_FAILURE_COUNT": "3",
            "RECOVERY_COOLDOWN": str(COOLDOWN),
            "PGWARDEN_CHECK_TIMEOUT": "2",
            "PGWARDEN_LOCK_WAIT_ALERT": "2",
            "PGWARDEN_LOCK_WAIT_TIMEOUT": "60",
            "PGWARDEN_CORRUPTION_POLICY": "immediate",
            "PGWARDEN_REQUEST_SETTLE_MS": "200",
            "PGWARDEN_RESCAN_INTERVAL": "1",
            "PGWARDEN_SERVER_WAIT": "60",
            "PGWARDEN_TEST_SCHED_CLOCK_FILE": self.clockfile,
            "PG_BINDIR": self.bindir,
        })
        self.wal_mount = None
        if args.physical and IS_ROOT:
            # the archive on a volume of its own, so that the driver can
            # fill it for real (ENOSPC) without filling this machine's disk
            self.wal_mount = os.path.join(self.backups, "wal")
            os.mkdir(self.wal_mount, 0o700)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g,mode=0700,uid=%d,gid=%d" %
                            (self.owner.pw_uid, self.owner.pw_gid), "tmpfs", self.wal_mount], check=True)
        if args.physical:
            # the physical path (docs/WAL.md): base backups every few
            # minutes, a recovery replays the archive and the old pg_wal
            self.env.update({
                "PGWARDEN_BASE_BACKUP_SCHEDULE": "@every 3m",
                "PGWARDEN_RECOVERY_METHOD": "auto",
                "PGWARDEN_WAL_ARCHIVE_TIMEOUT": "5",
                "PGWARDEN_WAL_CHAIN_CHECK_INTERVAL": "2",
                # the whole archive read back every 30 s, so that damage
                # done to a file already read is found within the fault
                "PGWARDEN_WAL_REREAD_INTERVAL": "30",
            })
        for k in ("PGWARDEN_CONFIG", "TELEGRAM_BOT_TOKEN_FILE", "WEBHOOK_URL_FILE"):
            self.env.pop(k, None)
        self.procs = {}

    # --- plumbing -------------------------------------------------------
    def sql(self, query, db="app", timeout=10, check=True):
        r = subprocess.run([self.psql, "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query],
                           env=self.client_env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (query, r.stderr.strip()))
        return r.stdout.strip() if r.returncode == 0 else None

    def try_sql(self, query, db="app", timeout=5):
        try:
            return self.sql(query, db, timeout, check=False)
        except subprocess.TimeoutExpired:
            return None

    def path(self, name):
        return os.path.join(self.backups, name)

    def chown(self, path):
        if IS_ROOT:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def touch(self, name, content=""):
        tmp = self.path(".chaos-" + name)
        with open(tmp, "w") as f:
            f.write(content)
        self.chown(tmp)
        os.rename(tmp, self.path(name))

    def read_log(self, name):
        """The log and its rotated days (name.YYYYMMDD), oldest first: the
        backupper's daily pass may rotate it in the middle of a fault, and a
        writer that cannot create the new file keeps writing the old one."""
        days = sorted(n for n in os.listdir(self.backups) if re.fullmatch(re.escape(name) + r"\.\d{8}", n))
        lines = []
        for n in days + [name]:
            try:
                with open(self.path(n), errors="replace") as f:
                    lines += f.read().splitlines()
            except OSError:
                pass
        return lines

    def alerts(self, event=None):
        out = sorted(n for n in os.listdir(self.backups) if n.startswith("alert-"))
        return [n for n in out if event is None or re.search(r"-%s(-\d+)?$" % re.escape(event), n)]

    def server_pid(self):
        try:
            with open(os.path.join(self.work, "data", "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def server_status(self):
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read(self.path("server.status"))
            return dict(cp["server"])
        except (KeyError, configparser.Error):
            return {}

    # --- bring-up -------------------------------------------------------
    def up(self):
        r = subprocess.run(["bash", "-c", 'source "$0/tests/lib/pg.sh" && pg_setup "$1"', ROOT, self.work],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("pg_setup failed: " + r.stderr)
        with open(os.path.join(self.work, "data", "postgresql.conf"), "a") as f:
            f.write("max_connections = 60\n")
        self.procs["pgwarden-db"] = Proc(self, "pgwarden-db", os.path.join(self.bin, "pgwarden-db"))
        self.procs["pgwarden-db"].start()
        self.wait(lambda: self.try_sql("SELECT 1", "postgres") == "1", 60, "server start")
        self.sql("CREATE DATABASE app", "postgres")
        r = subprocess.run([os.path.join(self.bin, "pgwarden"), "migrate", "--init"], env=self.env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("pgwarden migrate --init: " + r.stderr)
        self.sql("CREATE TABLE ledger(id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        subprocess.run([self.pgbench, "-i", "-q", "-s", str(self.args.scale), "app"], env=self.client_env,
                       check=True, capture_output=True)
        for s in ("monitor", "backupper", "restorer"):
            self.procs[s] = Proc(self, s, os.path.join(self.bin, "pgwarden-" + s))
            self.procs[s].start()
        self.ledger = Ledger(self)
        self.ledger.start()
        self.load = Load(self)
        self.load.start()
        self.wait(lambda: self.valid_backups(), 60, "a first valid backup")
        if self.args.physical:
            self.touch("request-basebackup")
            self.wait(lambda: self.chain_ok(), 120, "a first base backup with a whole WAL chain")

    def archive_dir(self):
        sysid = self.sql("SELECT system_identifier FROM pg_control_system()", "postgres")
        return os.path.join(self.backups, "wal", sysid)

    def chain_ok(self):
        try:
            with open(self.path("archive.status")) as f:
                return "chain = ok" in f.read()
        except OSError:
            return False

    def data_asides(self):
        return [n for n in os.listdir(self.work) if n.startswith("data.damaged-")]

    def down(self):
        if hasattr(self, "ledger"):
            self.ledger.stop.set()
            self.load.stop.set()
            self.ledger.join(10)
            self.load.join(10)
        for name in ("monitor", "backupper", "restorer", "pgwarden-db"):
            if name in self.procs:
                self.procs[name].stop()
        pid = self.server_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def unmount(self, keep):
        """The archive's volume goes with the run; a kept work directory
        keeps a copy of it."""
        if not self.wal_mount:
            return
        if keep:
            shutil.copytree(self.wal_mount, os.path.join(self.work, "wal-kept"), symlinks=True)
        subprocess.run(["umount", "-l", self.wal_mount], check=False)
        self.wal_mount = None

    def wait(self, cond, limit, what):
        t0 = time.time()
        while time.time() - t0 < limit:
            try:
                if cond():
                    return time.time() - t0
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.1)
        raise TimeoutError("timed out after %ds waiting for %s" % (limit, what))

    # --- the catalogue as the driver sees it ----------------------------
    def backups_final(self):
        return sorted(n for n in os.listdir(self.backups)
                      if re.fullmatch(r"backup_\d{8}_\d{6}(_.+)?\.sql\.gz", n))

    def manifest(self, name):
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            if not cp.read(self.path(name + ".manifest")):
                return None
        except configparser.Error:
            return None
        out = {}
        for sec in cp.sections():
            out.update(cp[sec])
        return out

    def sha256(self, name):
        h = hashlib.sha256()
        with open(self.path(name), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def valid_backups(self):
        out = []
        for n in self.backups_final():
            m = self.manifest(n)
            if m and m.get("status") in ("valid", "verified") and "_app." in n:
                out.append(n)
        return out

    def ledger_max_in(self, name):
        """The ledger's last id in a plain-SQL backup (the dump's COPY)."""
        n, top, inside = 0, 0, False
        with gzip.open(self.path(name), "rt", errors="replace") as f:
            for line in f:
                if not inside:
                    inside = line.startswith("COPY public.ledger ")
                    continue
                if line.startswith("\\."):
                    break
                n += 1
                top = max(top, int(line.split("\t", 1)[0]))
        if n != top:
            raise RuntimeError("backup %s holds %d ledger rows but max id %d" % (name, n, top))
        return top


Fault = collections.namedtuple("Fault", "name detected recovered ttr lost note")


class Driver:
    def __init__(self, s, args):
        self.s = s
        self.rng = random.Random(args.seed)
        self.args = args
        self.results = []
        self.violations = []
        self.damaged = set()  # backups the driver broke on purpose
        self.used = []  # (backup, fault) of every recovery
        self.last_monitor_request = 0.0
        self.warmup = min(30, args.duration / 4)
        self.epoch = 0.0
        self.attributed = 0  # recoveries a fault explains
        self.rpos = {}  # fault -> data age (s) of the backup each recovery used
        self.last_rpo = None
        self.physical_done = 0
        self.holes = []  # segments the driver took out of the archive
        self.faults = [
            self.kill_server, self.hang_server, self.kill_monitor, self.kill_backupper_mid_backup,
            self.kill_restorer_mid_restore, self.kill_restorer_mid_verify, self.corrupt_page,
            self.full_backups, self.readonly_backups, self.damage_newest_backup, self.delete_manifest,
            self.stale_recovery_marker, self.stale_locks, self.request_burst, self.clock_jump,
            self.long_lock_monitored, self.sigterm_restorer_after_swap, self.restart_server_mid_restore,
            self.lock_through_backup,
        ]
        if args.physical:
            self.faults = [self.corrupt_page, self.unstartable_datadir, self.kill_archiver,
                           self.readonly_archive, self.full_archive, self.delete_segment,
                           self.damage_segment, self.kill_server,
                           self.kill_backupper_mid_backup]

    def violation(self, what):
        log("VIOLATION: " + what)
        self.violations.append(what)

    # --- settling and the invariants checked after every fault -----------
    def settle(self):
        s = self.s
        for p in s.procs.values():
            p.check()
        s.wait(lambda: s.try_sql("SELECT 1") == "1", SETTLE_LIMIT, "the server to answer")
        s.wait(lambda: not os.path.exists(s.path("recovery-in-progress")) or
               not any(p.alive() for p in [s.procs["restorer"]]), SETTLE_LIMIT, "no recovery running")
        s.wait(lambda: self.monitor_healthy(), SETTLE_LIMIT, "the monitor to report healthy")
        s.wait(lambda: s.ledger.last()[0] > time.time() - 2, SETTLE_LIMIT, "the ledger writer to commit")
        # memory and fds are measured from a warmed-up instance on, between jobs
        self.wait_jobs_idle()
        for p in s.procs.values():
            p.sample(self.warmed(p))
        self.check_backups()
        self.check_unexpected_recoveries()
        self.check_ledger_gapless()

    def wait_jobs_idle(self, limit=30):
        """Until no backup, drill or recovery holds the jobs lock."""
        path = self.s.path(".lock-jobs")
        t0 = time.time()
        while time.time() - t0 < limit:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except OSError:
                time.sleep(0.1)
            finally:
                os.close(fd)

    def warmed(self, p):
        """Old enough, and it has done its main job once (the first
        recovery or backup loads libraries and grows pools for good)."""
        if time.time() - p.started_at < self.warmup:
            return False
        jobs = {"restorer": ("recovery.log", "recovery done:"),
                "backupper": ("backup.log", "done:")}
        if self.args.physical:
            # laying a base down grows pgwarden-db's heap once (the reader's
            # threads and buffers): about 5 MiB, then flat over 8 more
            jobs["pgwarden-db"] = ("db-supervisor.log", "Physical restore started")
        log_name, mark = jobs.get(p.name, (None, None))
        if not log_name:
            return True
        return any(mark in l and iso_time(l.split()[0]) > p.started_at for l in self.s.read_log(log_name)[-400:])

    def check_unexpected_recoveries(self):
        """A recovery no fault asked for loses data: report it with its
        reason, and start a new ledger epoch at it."""
        lines = self.s.read_log("recovery.log")
        done = [l for l in lines if "recovery done:" in l]
        for line in done[self.attributed:]:
            reasons = [l for l in lines if "recovery of 'app' starting" in l and l < line]
            self.violation("invariant 6: unexpected recovery: %s (%s)" % (line.split("] ", 1)[-1],
                                                             reasons[-1].split("starting ", 1)[-1] if reasons else "?"))
            self.new_epoch(iso_time(line.split()[0]))
        self.attributed = max(self.attributed, len(done))

    def monitor_healthy(self):
        try:
            with open(self.s.path("monitor.status")) as f:
                st = f.read()
        except OSError:
            return False
        return "health = healthy" in st and os.path.getmtime(self.s.path("monitor.status")) > time.time() - 5

    def check_backups(self):
        """Invariant 1: every file under a final name has a manifest whose
        SHA-256 matches (the ones the driver broke are skipped here)."""
        s = self.s
        for n in s.backups_final():
            if n in self.damaged:
                continue
            m = s.manifest(n)
            if m is None:
                if os.path.exists(s.path(n)):  # retention may race us
                    self.violation("invariant 1: %s has no manifest" % n)
                continue
            try:
                if m.get("status") in ("valid", "verified") and m.get("sha256") != s.sha256(n):
                    self.violation("invariant 1: %s does not match its manifest's SHA-256" % n)
            except FileNotFoundError:
                pass

    def check_ledger_gapless(self):
        s = self.s
        row = s.sql("SELECT count(*), coalesce(max(id), 0) FROM ledger")
        cnt, top = map(int, row.split("|"))
        if cnt != top:
            self.violation("invariant 2: the ledger has holes (%d rows, max id %d)" % (cnt, top))
        return top

    def acked_before(self, t, since=None):
        """The highest id acknowledged since the last recovery (or since)
        and before t (a recovery rewinds the ledger, so ids are issued
        again after it)."""
        since = self.epoch if since is None else since
        with self.s.ledger.lock:
            ids = [i for (at, i) in self.s.ledger.acks if since <= at < t]
        return max(ids) if ids else 0

    def first_restored_ack(self, swap_time, b):
        """The writer's first commit into the restored database: the first
        ack after the swap whose id is not above the one before it (or
        b + 1 when no row was written after the backup)."""
        with self.s.ledger.lock:
            acks = list(self.s.ledger.acks)
        prev = None
        for at, i in acks:
            if at >= swap_time and ((prev is not None and i <= prev) or i == b + 1):
                return at, i
            prev = i
        return None

    def new_epoch(self, swap_time, b=None, fault="?"):
        """Acks before the writer's first commit into the restored database
        belong to the old one; wait for that commit."""
        self.previous_epoch = self.epoch
        if b is None:
            self.epoch = swap_time
            return
        try:
            self.s.wait(lambda: self.first_restored_ack(swap_time, b), 60, "a commit into the restored database")
        except TimeoutError as e:
            self.violation("after %s: %s" % (fault, e))
            self.epoch = time.time()
            return
        at, first = self.first_restored_ack(swap_time, b)
        if first not in (b + 1, b + 2):
            self.violation("invariant 2: after %s the restored ledger went on from %d, the backup ended at %d"
                           % (fault, first - 1, b))
        self.epoch = at

    def check_no_loss(self, since):
        """No recovery happened: every row acknowledged before the fault is
        still there."""
        a = self.acked_before(since)
        got = int(self.s.sql("SELECT count(*) FROM ledger WHERE id <= %d" % a))
        if got != a:
            self.violation("durability: %d of %d acknowledged ledger rows survived" % (got, a))
            return a - got
        return 0

    def recoveries_done(self):
        return [l for l in self.s.read_log("recovery.log") if "recovery done:" in l]

    def asides(self):
        out = self.s.try_sql("SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'",
                             "postgres")
        return set(out.split("\n")) if out else set()

    def wait_recovery(self, n_before, fault, asides_before):
        """Invariants 2-4 for the recovery that follows a fault: returns
        (time to recover, rows lost)."""
        s = self.s
        t0 = time.time()
        s.wait(lambda: len(self.recoveries_done()) > n_before, SETTLE_LIMIT, "the recovery to finish")
        ttr = time.time() - t0
        if any("fresh-reset" in l for l in s.read_log("recovery.log")[-50:]):
            raise RuntimeError("%s ended in a fresh reset although valid backups existed" % fault)
        line = self.recoveries_done()[n_before]
        self.attributed = n_before + 1
        if " physical from " in line:
            return self.physical_recovered(line, fault, ttr)
        rpo = re.search(r"RPO (\d+) s", line)
        self.last_rpo = int(rpo.group(1)) if rpo else None
        used = re.search(r"from '([^']+)'", line).group(1)
        swap = [l for l in s.read_log("recovery.log") if "recovery phase: swapping " + used in l]
        swap_ts = swap[-1].split()[0] if swap else None
        swap_time = iso_time(swap_ts) if swap_ts else t0
        self.used.append((used, fault))
        if used in self.damaged:
            self.violation("invariant 3: %s recovered from %s, which the driver had damaged" % (fault, used))
        m = s.manifest(used)
        if not m or m.get("sha256") != s.sha256(used):
            self.violation("invariant 3: %s recovered from %s, whose manifest does not match" % (fault, used))
        b = s.ledger_max_in(used)
        self.settle()
        prefix = int(s.sql("SELECT count(*) FROM ledger WHERE id <= %d" % b))
        if prefix != b:
            self.violation("invariant 2: after %s only %d of the backup's %d ledger rows" % (fault, prefix, b))
        if swap_ts:
            late = int(s.sql("SELECT count(*) FROM ledger WHERE id > %d AND at < '%s'" % (b, swap_ts)))
            if late:
                self.violation("invariant 2: after %s, %d rows newer than the backup survived the swap"
                               % (fault, late))
        if len(self.asides() - asides_before) < 1:
            self.violation("invariant 4: after %s no damaged database was kept aside" % fault)
        # everything acknowledged before the first commit into the restored
        # database and after the backup is lost, by design
        self.new_epoch(swap_time, b, fault)
        lost = max(0, self.acked_before(self.epoch, self.previous_epoch) - b)
        return ttr, lost

    def physical_recovered(self, line, fault, ttr):
        """Invariant 8: a physical recovery loses no acknowledged row,
        keeps the damaged PGDATA aside, and never crossed a hole in the
        archive."""
        s = self.s
        self.last_rpo = 0
        base = re.search(r"physical from '([^']+)'", line).group(1)
        self.physical_done += 1
        self.settle()
        if len(s.data_asides()) < self.physical_done:
            self.violation("invariant 8: after %s the damaged PGDATA was not kept aside" % fault)
        m = s.manifest(base) or {}
        d = s.archive_dir()
        # a recovery pushes the old pg_wal's segments it lacks: a hole it
        # filled is no hole any more (the choice was made before the push,
        # so a hole still there now was one when the base was chosen)
        self.holes = [h for h in self.holes if not os.path.exists(os.path.join(d, h + ".gz"))]
        for seg in self.holes:
            if m.get("wal_start", "~")[8:] <= seg[8:]:
                self.violation("invariant 8: %s recovered from %s across the hole at %s" % (fault, base, seg))
        lost = self.check_no_loss(time.time())
        if lost:
            self.violation("invariant 8: %s lost %d acknowledged rows in a physical recovery" % (fault, lost))
        return ttr, lost

    # --- helpers for faults ----------------------------------------------
    def restart_later(self, name, delay=1.0):
        time.sleep(delay)
        self.s.procs[name].start()

    def wait_for_file(self, cond, limit=20):
        t0 = time.time()
        while time.time() - t0 < limit:
            if cond():
                return True
            time.sleep(0.005)
        return False

    def request_restore(self, why):
        self.s.touch("request-restore", "reason=chaos: %s\n" % why)

    def newest_backup(self):
        v = self.s.valid_backups()
        return v[-1] if v else None

    # --- the faults --------------------------------------------------------
    def kill_server(self):
        s = self.s
        restarts = int(s.server_status().get("restarts", "0"))
        t0 = time.time()
        os.kill(s.server_pid(), signal.SIGKILL)
        s.wait(lambda: int(s.server_status().get("restarts", "0")) > restarts, 30, "pgwarden-db to restart it")
        self.settle()
        return Fault("kill -9 server", True, True, time.time() - t0, self.check_no_loss(t0), "")

    def hang_server(self):
        s = self.s
        n = len([l for l in s.read_log("health-monitor.log") if "health check failed" in l])
        pid = s.server_pid()
        t0 = time.time()
        os.kill(pid, signal.SIGSTOP)
        time.sleep(3)
        os.kill(pid, signal.SIGCONT)
        self.settle()
        detected = len([l for l in s.read_log("health-monitor.log") if "health check failed" in l]) > n
        return Fault("SIGSTOP server 3 s", detected, True, time.time() - t0, self.check_no_loss(t0), "")

    def kill_sidecar(self, name, label, arm=None, armed=None):
        s = self.s
        if arm:
            arm()
        t0 = time.time()
        hit = self.wait_for_file(armed) if armed else True
        s.procs[name].kill9()
        self.restart_later(name)
        return t0, hit

    def kill_monitor(self):
        t0, _ = self.kill_sidecar("monitor", "kill -9 monitor")
        self.settle()
        return Fault("kill -9 monitor", True, True, time.time() - t0, 0, "")

    def kill_backupper_mid_backup(self):
        s = self.s
        n = len(s.valid_backups())
        t0, hit = self.kill_sidecar(
            "backupper", "", lambda: s.touch("request-backup"),
            lambda: any(x.endswith(".partial") for x in os.listdir(s.backups)))
        s.wait(lambda: len(s.valid_backups()) > n, SETTLE_LIMIT, "a backup after the restart")
        self.settle()
        partial = [x for x in os.listdir(s.backups) if x.endswith(".partial")]
        if partial and not s.procs["backupper"].alive():
            self.violation("invariant 1: partial files left: %s" % partial)
        return Fault("kill -9 backupper mid-backup", hit, True, time.time() - t0, self.check_no_loss(t0),
                     "" if hit else "no .partial seen")

    def kill_restorer_mid_restore(self):
        s = self.s
        n, asides = len(self.recoveries_done()), self.asides()

        def restoring():
            try:
                with open(s.path("recovery-in-progress")) as f:
                    return "phase = restoring" in f.read()
            except OSError:
                return False
        t0, hit = self.kill_sidecar("restorer", "", lambda: self.request_restore("restore interrupted"),
                                    restoring)
        ttr, lost = self.wait_recovery(n, "kill -9 restorer mid-restore", asides)
        leftovers = s.try_sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgwarden\\_%'", "postgres")
        if leftovers not in ("0", None):
            self.violation("restorer left %s temporary databases" % leftovers)
        return Fault("kill -9 restorer mid-restore", hit, True, time.time() - t0, lost, "")

    def kill_restorer_mid_verify(self):
        s = self.s

        def scratch():
            out = s.try_sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgwarden\\_verify%'",
                            "postgres", 1)
            return out not in (None, "0")
        t0, hit = self.kill_sidecar("restorer", "", lambda: s.touch("request-verify"), scratch)
        s.wait(lambda: not scratch(), SETTLE_LIMIT, "the scratch database to be dropped")
        self.settle()
        return Fault("kill -9 restorer mid-verification", hit, True, time.time() - t0, self.check_no_loss(t0),
                     "" if hit else "drill not caught")

    def wait_cooldown(self):
        left = self.last_monitor_request + COOLDOWN + 2 - time.time()
        if left > 0:
            time.sleep(left)

    def corrupt_page(self):
        s = self.s
        self.wait_cooldown()
        n, asides = len(self.recoveries_done()), self.asides()
        seen = lambda: len([l for l in s.read_log("health-monitor.log") if "server log matches" in l])  # noqa: E731
        alerts = seen()
        rel = s.sql("SELECT pg_relation_filepath('pgbench_accounts')")
        db = s.procs["pgwarden-db"]
        dbpid = db.pid()
        # hold the supervisor so the file is edited while the server is down
        os.kill(dbpid, signal.SIGSTOP)
        try:
            subprocess.run(["runuser", "-u", "postgres", "--"] * IS_ROOT +
                           [os.path.join(s.bindir, "pg_ctl"), "-D", os.path.join(s.work, "data"), "-m",
                            "fast", "-w", "stop"], capture_output=True, timeout=60)
            with open(os.path.join(s.work, "data", rel), "r+b") as f:
                f.seek(8192 * self.rng.randrange(1, 20) + 3000)
                f.write(os.urandom(64))
            t0 = time.time()
        finally:
            os.kill(dbpid, signal.SIGCONT)
            if IS_ROOT:  # runuser stops itself when its child stops
                os.kill(db.p.pid, signal.SIGCONT)
        # the application reads the table, as it would
        s.wait(lambda: s.try_sql("SELECT count(*) FROM pgbench_accounts") is None or seen() > alerts, 30,
               "the corruption to be read")
        detected = s.wait(lambda: seen() > alerts, 30, "detection") is not None
        self.last_monitor_request = time.time()
        ttr, lost = self.wait_recovery(n, "page corruption", asides)
        if s.try_sql("SELECT count(*) FROM pgbench_accounts") is None:
            self.violation("after page corruption the table is still unreadable")
        return Fault("page corruption (checksums)", detected, True, time.time() - t0, lost, "")

    def unstartable_datadir(self):
        """pg_control destroyed under a running server, then the server
        killed: it cannot start again."""
        s = self.s
        self.wait_cooldown()
        n, asides = len(self.recoveries_done()), self.asides()
        db = s.procs["pgwarden-db"]
        dbpid = db.pid()
        os.kill(dbpid, signal.SIGSTOP)
        try:
            with open(os.path.join(s.work, "data", "global", "pg_control"), "r+b") as f:
                f.write(os.urandom(512))
            os.kill(s.server_pid(), signal.SIGKILL)
            t0 = time.time()
        finally:
            os.kill(dbpid, signal.SIGCONT)
            if IS_ROOT:
                os.kill(db.p.pid, signal.SIGCONT)
        self.last_monitor_request = time.time()
        ttr, lost = self.wait_recovery(n, "unstartable data directory", asides)
        return Fault("unstartable data directory", True, True, time.time() - t0, lost, "")

    def children_of(self, ppid):
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            if int(st.rsplit(")", 1)[1].split()[1]) == ppid:
                out.append((int(d), cmd))
        return out

    def switch_and_wait_archived(self, limit=60):
        s = self.s
        seg = s.sql("SELECT pg_walfile_name(pg_current_wal_lsn())", "postgres")
        s.sql("SELECT pg_switch_wal()", "postgres")
        d = s.archive_dir()
        return s.wait(lambda: os.path.exists(os.path.join(d, seg + ".gz")), limit, "segment %s archived" % seg)

    def kill_archiver(self):
        """kill -9 of the server's archiver (a child of the postmaster we
        started): the server restarts it; no segment is lost."""
        s = self.s
        arch = [p for p, cmd in self.children_of(s.server_pid()) if "archiver" in cmd]
        if not arch:
            return Fault("archiver killed", False, False, 0, 0, "no archiver process")
        t0 = time.time()
        os.kill(arch[0], signal.SIGKILL)
        self.settle()
        archived = True
        try:
            self.switch_and_wait_archived()
        except TimeoutError:
            archived = False
        s.wait(lambda: s.chain_ok(), 60, "a whole WAL chain")
        return Fault("archiver killed", True, archived, time.time() - t0, self.check_no_loss(t0), "")

    def readonly_archive(self):
        """The archive's directory not writable: CRITICAL within a minute,
        the server keeps its segments, all archived once it is writable."""
        s = self.s
        d = s.archive_dir()
        failing, ok = len(s.alerts("wal-archive-failing")), len(s.alerts("wal-archive-ok"))
        t0 = time.time()
        os.chmod(d, 0o500)
        try:
            s.sql("SELECT pg_switch_wal()", "postgres")
            detected = True
            try:
                s.wait(lambda: len(s.alerts("wal-archive-failing")) > failing, 60, "wal-archive-failing")
            except TimeoutError:
                detected = False
        finally:
            os.chmod(d, 0o700)
        s.wait(lambda: len(s.alerts("wal-archive-ok")) > ok, 120, "wal-archive-ok")
        self.settle()
        s.wait(lambda: s.chain_ok(), 120, "a whole WAL chain")
        return Fault("read-only WAL archive", detected, True, time.time() - t0, self.check_no_loss(t0), "")

    def fill_archive(self):
        """Make writes into the archive fail as a full disk does; returns
        what undoes it. As root the archive has a volume of its own, filled
        with a ballast file (a real ENOSPC); otherwise a file size limit on
        the server's archiver, which wal-push inherits (EFBIG: PostgreSQL
        ignores SIGXFSZ)."""
        s = self.s
        if s.wal_mount:
            ballast = os.path.join(s.wal_mount, "chaos-ballast")
            fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                st = os.statvfs(s.wal_mount)
                os.posix_fallocate(fd, 0, st.f_bavail * st.f_frsize)
            finally:
                os.close(fd)
            return "ENOSPC", lambda: os.unlink(ballast)
        arch = [p for p, cmd in self.children_of(s.server_pid()) if "archiver" in cmd]
        if not arch:
            raise RuntimeError("no archiver process")

        def limit(v):
            subprocess.run(["prlimit", "--pid", str(arch[0]), "--fsize=%s:" % v], check=True)
        limit("4096")
        return "file size limit", lambda: limit("unlimited")

    def full_archive(self):
        """The archive's volume full: CRITICAL within a minute, nothing
        half-written left in it, the server keeps its segments, and every
        one is archived once there is room again, with no gap."""
        s = self.s
        s.wait(lambda: s.chain_ok(), 120, "a whole WAL chain")
        failing, ok = len(s.alerts("wal-archive-failing")), len(s.alerts("wal-archive-ok"))
        t0 = time.time()
        how, undo = self.fill_archive()
        try:
            s.sql("SELECT pg_switch_wal()", "postgres")
            detected = True
            try:
                s.wait(lambda: len(s.alerts("wal-archive-failing")) > failing, 60, "wal-archive-failing")
            except TimeoutError:
                detected = False
        finally:
            undo()
        s.wait(lambda: len(s.alerts("wal-archive-ok")) > ok, 120, "wal-archive-ok")
        self.settle()
        s.wait(lambda: s.chain_ok(), 120, "a whole WAL chain")
        d = s.archive_dir()
        try:
            s.wait(lambda: not [n for n in os.listdir(d) if n.endswith(".partial")], 30, "no half-written file")
        except TimeoutError:
            self.violation("invariant 8: a half-written file stays in the full archive: %s" %
                           [n for n in os.listdir(d) if n.endswith(".partial")])
        return Fault("full WAL archive volume (%s)" % how, detected, True, time.time() - t0,
                     self.check_no_loss(t0), "")

    def archived_victim(self):
        """A whole chain, three more segments archived, and the one before
        the newest: (archive directory, its file name)."""
        s = self.s
        s.wait(lambda: s.chain_ok(), 120, "a whole WAL chain")
        for _ in range(3):
            self.switch_and_wait_archived()
        d = s.archive_dir()
        segs = sorted(n for n in os.listdir(d) if re.fullmatch(r"[0-9A-F]{24}\.gz", n))
        return d, segs[-2]

    def damage_segment(self):
        """16 bytes flipped in the middle of an archived segment (one the
        read-back has read whole already): found by the next read-back,
        moved aside as .damaged with a CRITICAL, and the gap re-anchored by
        a base backup taken by itself."""
        s = self.s
        d, victim = self.archived_victim()
        found, closed = len(s.alerts("wal-archive-damaged")), len(s.alerts("wal-archive-gap-closed"))
        t0 = time.time()
        with open(os.path.join(d, victim), "r+b") as f:
            f.seek(os.path.getsize(os.path.join(d, victim)) // 2)
            b = f.read(16)
            f.seek(-len(b), os.SEEK_CUR)
            f.write(bytes(x ^ 0xFF for x in b))
        detected = True
        try:
            s.wait(lambda: len(s.alerts("wal-archive-damaged")) > found and
                   os.path.exists(os.path.join(d, victim + ".damaged")), 90, "wal-archive-damaged")
            self.holes.append(victim[:24])  # a hole from now on, as the chain check sees it
        except TimeoutError:
            detected = False
        s.wait(lambda: len(s.alerts("wal-archive-gap-closed")) > closed, 180, "a new base backup to close the gap")
        self.settle()
        return Fault("segment damaged in the archive", detected, True, time.time() - t0,
                     self.check_no_loss(t0), "")

    def delete_segment(self):
        """A segment taken out of the archive (moved to the work dir): a
        gap, alerted, and re-anchored by a base backup taken by itself."""
        s = self.s
        d, victim = self.archived_victim()
        gaps, closed = len(s.alerts("wal-archive-gap")), len(s.alerts("wal-archive-gap-closed"))
        t0 = time.time()
        shutil.move(os.path.join(d, victim), os.path.join(s.work, "removed-" + victim))  # another volume as root
        self.holes.append(victim[:24])
        detected = True
        try:
            s.wait(lambda: len(s.alerts("wal-archive-gap")) > gaps, 30, "wal-archive-gap")
        except TimeoutError:
            detected = False
        s.wait(lambda: len(s.alerts("wal-archive-gap-closed")) > closed, 180, "a new base backup to close the gap")
        self.settle()
        return Fault("segment deleted from the archive", detected, True, time.time() - t0,
                     self.check_no_loss(t0), "")

    def with_backup_failure(self, label, inject, undo):
        """Detected: an ERROR alert, or an error line in backup.log (a full
        disk may refuse the one, a read-only directory the other)."""
        s = self.s

        def failures():
            return (len([l for l in s.read_log("backup.log") if " ERROR " in l]) +
                    len(s.alerts("backup-failed")))
        errs = failures()
        t0 = time.time()
        inject()
        try:
            s.touch("request-backup")
            detected = True
            try:
                s.wait(lambda: failures() > errs, 30, "the failure")
            except TimeoutError:
                detected = False
        finally:
            undo()
        n = len(s.valid_backups())
        s.wait(lambda: len(s.valid_backups()) > n, SETTLE_LIMIT, "a backup after the fault")
        self.settle()
        return Fault(label, detected, True, time.time() - t0, self.check_no_loss(t0), "")

    def full_backups(self):
        pid = self.s.procs["backupper"].pid()

        # the soft limit only, set as the process's own user: what a full
        # disk does to write(2), without filling this machine's disk
        def limit(v):
            subprocess.run(["runuser", "-u", "postgres", "--"] * IS_ROOT +
                           ["prlimit", "--pid", str(pid), "--fsize=%s:" % v], check=True)
        return self.with_backup_failure("full /backups (file size limit)", lambda: limit("65536"),
                                        lambda: limit("unlimited"))

    def readonly_backups(self):
        b = self.s.backups
        return self.with_backup_failure("read-only /backups", lambda: os.chmod(b, 0o500),
                                        lambda: os.chmod(b, 0o700))

    def damage_then_recover(self, label, damage):
        s = self.s
        self.wait_cooldown()
        # the damaged one must not be the only one: with no valid backup
        # left the restorer resets to a fresh schema, by design
        s.wait(lambda: len([v for v in s.valid_backups() if v not in self.damaged]) >= 2, 60,
               "two valid backups")
        victim = self.newest_backup()
        n, asides = len(self.recoveries_done()), self.asides()
        skipped = len([l for l in s.read_log("recovery.log") if "skipping backup '%s'" % victim in l])
        self.damaged.add(victim)
        damage(victim)
        t0 = time.time()
        self.request_restore(label)
        ttr, lost = self.wait_recovery(n, label, asides)
        detected = len([l for l in s.read_log("recovery.log") if "skipping backup '%s'" % victim in l]) > skipped
        newer = self.used[-1][0] > victim
        return Fault(label, detected or newer, True, ttr, lost, "a newer backup came first" if newer else "")

    def damage_newest_backup(self):
        def damage(name):
            p = self.s.path(name)
            size = os.path.getsize(p)
            with open(p, "r+b") as f:
                if self.rng.random() < 0.5:
                    f.truncate(size // 2)
                else:
                    f.seek(self.rng.randrange(size))
                    c = f.read(1)
                    f.seek(-1, 1)
                    f.write(bytes([c[0] ^ 0x10]))
        return self.damage_then_recover("newest backup truncated/bit-flipped", damage)

    def delete_manifest(self):
        return self.damage_then_recover("newest manifest deleted",
                                        lambda name: os.unlink(self.s.path(name + ".manifest")))

    def stale_recovery_marker(self):
        s = self.s
        n, asides = len(self.recoveries_done()), self.asides()
        s.touch("recovery-in-progress", "pid = 999999\nreason = a crashed restorer\nphase = restoring\n")
        t0 = time.time()
        self.request_restore("with a stale recovery-in-progress")
        ttr, lost = self.wait_recovery(n, "stale recovery-in-progress", asides)
        detected = any("replacing a stale" in l for l in s.read_log("recovery.log"))
        return Fault("stale recovery-in-progress", detected, True, ttr, lost, "")

    def stale_locks(self):
        s = self.s
        for name in (".lock-jobs", ".lock-backupper"):
            p = s.path(name)
            with open(p, "a") as f:
                f.write("pid 999999\n")
            s.chown(p)
        n = len(s.valid_backups())
        t0 = time.time()
        s.touch("request-backup")
        s.wait(lambda: len(s.valid_backups()) > n, SETTLE_LIMIT, "a backup despite the stale locks")
        self.settle()
        return Fault("stale lock files", True, True, time.time() - t0, 0, "")

    def backups_started(self, why):
        return len([l for l in self.s.read_log("backup.log") if "backup starting (%s" % why in l])

    def request_burst(self):
        s = self.s
        n = self.backups_started("requested")
        t0 = time.time()
        for _ in range(50):
            s.touch("request-backup")
            time.sleep(0.01)
        s.wait(lambda: self.backups_started("requested") > n, 30, "the requested backup")
        time.sleep(4)
        self.settle()
        runs = self.backups_started("requested") - n
        if runs > 2:
            self.violation("50 touches ran %d backups (expected 1, at most 2)" % runs)
        return Fault("burst of 50 request touches", True, runs <= 2, time.time() - t0, 0, "%d backup(s)" % runs)

    def clock_jump(self):
        s = self.s
        n = self.backups_started("scheduled")
        jump = self.rng.choice([6 * 3600, 86400, -3600])
        with open(s.clockfile, "w") as f:
            f.write("%d\n" % jump)
        t0 = time.time()
        time.sleep(5)
        during = self.backups_started("scheduled") - n
        with open(s.clockfile, "w") as f:
            f.write("0\n")
        m = self.backups_started("scheduled")
        s.wait(lambda: self.backups_started("scheduled") > m, 40, "the schedule to go on")
        self.settle()
        if during > 2:
            self.violation("a %+d s clock jump ran %d scheduled backups at once" % (jump, during))
        return Fault("schedule clock jump", True, during <= 2, time.time() - t0, 0,
                     "%+dh: %d run(s)" % (jump // 3600, during))

    def hold_lock(self, table, seconds):
        """A session of the driver's holding ACCESS EXCLUSIVE on a table of
        app; the server ends it within a second of its psql's end."""
        s = self.s
        p = subprocess.Popen([s.psql, "-X", "-q", "-d", "app", "-c",
                              "SET client_connection_check_interval = '1s'; BEGIN; LOCK TABLE %s IN ACCESS "
                              "EXCLUSIVE MODE; SELECT pg_sleep(%d); COMMIT;" % (table, seconds)],
                             env=s.client_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s.wait(lambda: s.try_sql("SELECT count(*) FROM pg_locks WHERE relation = to_regclass('%s') AND mode = "
                                 "'AccessExclusiveLock' AND granted" % table) == "1", 20, "the lock on " + table)
        return p

    def release(self, p):
        if p.poll() is None:
            p.terminate()
        p.wait(30)

    def long_lock_monitored(self):
        """Invariant 6: a lock wait is slowness, not damage: WARNING, no
        recovery."""
        s = self.s
        n = len(self.recoveries_done())
        warned = len(s.alerts("lock-wait"))
        t0 = time.time()
        p = self.hold_lock("schema_migrations", 8)
        try:
            s.wait(lambda: len(s.alerts("lock-wait")) > warned, 20, "the lock-wait warning")
            detected = True
        except TimeoutError:
            detected = False
        finally:
            p.wait(30)
        self.settle()
        if len(self.recoveries_done()) > n:
            self.violation("invariant 6: a lock on the monitored table led to a recovery")
        return Fault("8 s lock on the monitored table", detected, True, time.time() - t0, self.check_no_loss(t0),
                     "")

    def phase_lines(self, phase):
        return len([l for l in self.s.read_log("recovery.log") if "recovery phase: " + phase in l])

    def sigterm_restorer_after_swap(self):
        """Invariant 7: a recovery whose swap happened is done, whatever
        stops the restorer: it never runs again."""
        s = self.s
        n, asides = len(self.recoveries_done()), self.asides()
        swapped = self.phase_lines("swapped")
        starts = self.recovery_starts()
        t0 = time.time()
        self.request_restore("SIGTERM after the swap")
        hit = s.wait(lambda: self.phase_lines("swapped") > swapped, SETTLE_LIMIT, "the swap") is not None
        s.procs["restorer"].term()
        # what a shutdown after the swap leaves: no request for the restart
        if os.path.exists(s.path("request-restore")):
            self.violation("invariant 7: the restorer queued the request again after the swap")
        self.restart_later("restorer", 0.2)
        ttr, lost = self.wait_recovery(n, "SIGTERM restorer after the swap", asides)
        if self.recovery_starts() - starts != 1:
            self.violation("invariant 7: one request after a swap ran %d recoveries"
                           % (self.recovery_starts() - starts))
        return Fault("SIGTERM restorer after the swap", hit, True, ttr, lost, "")

    def recovery_starts(self):
        return len([l for l in self.s.read_log("recovery.log") if "recovery of 'app' starting" in l])

    def restart_server_mid_restore(self):
        """The server restarts under a restore: the restorer reconnects and
        restores the same backup; no reset, no older backup."""
        s = self.s
        n, asides = len(self.recoveries_done()), self.asides()
        restarts = int(s.server_status().get("restarts", "0"))

        def restoring():
            out = s.try_sql("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'pgwarden\\_tmp\\_%'",
                            "postgres", 1)
            return out not in (None, "0")
        t0 = time.time()
        self.request_restore("server restart mid-restore")
        hit = self.wait_for_file(restoring, 30)
        os.kill(s.server_pid(), signal.SIGKILL)
        s.wait(lambda: int(s.server_status().get("restarts", "0")) > restarts, 30, "pgwarden-db to restart it")
        ttr, lost = self.wait_recovery(n, "server restart mid-restore", asides)
        if s.alerts("recovery-needs-person") or s.alerts("fresh-reset"):
            self.violation("a server restart mid-restore ended in a reset or a call for a person")
        return Fault("server kill -9 mid-restore", hit, True, ttr, lost, "" if hit else "restore not caught")

    def lock_through_backup(self):
        """A table locked through a backup: WARNING naming the holder, and a
        recovery asked for meanwhile pre-empts the backup, never waits."""
        s = self.s
        n, asides = len(self.recoveries_done()), self.asides()
        warned = len(s.alerts("backup-lock-wait"))
        p = self.hold_lock("pgbench_history", 120)
        t0 = time.time()
        try:
            s.touch("request-backup")
            s.wait(lambda: len(s.alerts("backup-lock-wait")) > warned, 40, "the backup-lock-wait warning")
            self.request_restore("a lock held through a backup")
            ttr, lost = self.wait_recovery(n, "lock held through a backup", asides)
        finally:
            self.release(p)
        if ttr > 30:
            self.violation("a recovery waited %.0f s behind a backup stuck on a lock" % ttr)
        return Fault("lock held through a backup", True, ttr <= 30, ttr, lost, "")

    def check_no_rerun(self):
        """Invariant 7 over the whole log: after a swap, neither a shutdown
        nor a restart queues the same recovery again."""
        swapped = False
        for l in self.s.read_log("recovery.log"):
            if "recovery phase: swapped" in l:
                swapped = True
            elif "starting (" in l and "recovery of" in l:
                swapped = False
            elif swapped and ("request queued again" in l or "found a recovery interrupted by a crash" in l):
                self.violation("invariant 7: a recovery re-queued after its swap: %s" % l.split("] ", 1)[-1])

    # --- the run -----------------------------------------------------------
    def run(self, duration):
        t_end = time.time() + duration
        order, cycles = [], 0
        # every kind of fault at least once, however short the run
        while time.time() < t_end or (cycles < 2 and order):
            if not order:
                order = list(self.faults)
                self.rng.shuffle(order)
                cycles += 1
            f = order.pop()
            log("fault %d: %s" % (len(self.results) + 1, f.__name__))
            self.last_rpo = None
            try:
                r = f()
            except (TimeoutError, RuntimeError, OSError, subprocess.SubprocessError) as e:
                self.violation("%s: %s" % (f.__name__, e))
                r = Fault(f.__name__, False, False, 0, 0, str(e)[:60])
                try:
                    self.settle()
                except Exception as e2:  # noqa: BLE001 - report and stop
                    self.violation("the system did not settle: %s" % e2)
                    self.results.append(r)
                    break
            log("  -> detected=%s recovered=%s ttr=%.1fs lost=%s %s" % r[1:])
            self.results.append(r)
            if self.last_rpo is not None:
                self.rpos.setdefault(r.name, []).append(self.last_rpo)

    def final_checks(self):
        s = self.s
        for name, p in s.procs.items():
            p.check()
            if p.unexpected_exits:
                self.violation("invariant 5: %s exited on its own %d time(s)" % (name, len(p.unexpected_exits)))
        rows = []
        for name, p in s.procs.items():
            if not p.pid():
                self.violation("invariant 5: %s is not running at the end" % name)
            self.wait_jobs_idle()
            p.sample(self.warmed(p))
            p.close_instance()
            for span, grow, dfd, r0, r1 in p.judged:
                if grow >= 1024:
                    self.violation("invariant 5: %s grew %d KiB over %.0f s" % (name, grow, span))
                if dfd > 2:
                    self.violation("invariant 5: %s holds %d more fds after %.0f s" % (name, dfd, span))
            rows.append((name, p.judged))
        self.check_no_rerun()
        # invariant 3: recoveries one at a time, monitor requests spaced by the cooldown
        starts = [l for l in s.read_log("recovery.log") if "recovery of '" in l and "starting" in l]
        reqs = sorted(n.split("-")[1] for n in s.alerts("recovery-requested"))
        times = [time.mktime(time.strptime(r[:15], "%Y%m%dT%H%M%S")) for r in reqs]
        for a, b in zip(times, times[1:]):
            if b - a < COOLDOWN:
                self.violation("invariant 3: monitor recovery requests %.0f s apart (cooldown %d s)"
                               % (b - a, COOLDOWN))
        return rows, len(starts), len(times)

    def report(self, rows, nstarts, nreqs, elapsed):
        by = collections.OrderedDict()
        for r in self.results:
            e = by.setdefault(r.name, [0, 0, 0, [], 0])
            e[0] += 1
            e[1] += bool(r.detected)
            e[2] += bool(r.recovered)
            e[3].append(r.ttr)
            e[4] += r.lost or 0
        print()
        print("pgwarden chaos soak: seed %d, %.0f s, %d faults, %d recoveries started, %d monitor requests"
              % (self.args.seed, elapsed, len(self.results), nstarts, nreqs))
        fmt = "%-38s %5s %8s %9s %8s %8s %9s %8s"
        print(fmt % ("fault", "count", "detected", "recovered", "ttr avg", "ttr max", "rows lost", "max RPO"))
        for name, (c, d, rec, ttr, lost) in by.items():
            rpo = self.rpos.get(name)
            print(fmt % (name, c, d, rec, "%.1fs" % (sum(ttr) / len(ttr)), "%.1fs" % max(ttr), lost,
                         "%ds" % max(rpo) if rpo else "-"))
        print()
        print("%-12s %9s %9s %10s %10s %10s %8s" % ("process", "instances", "longest", "rss from", "rss to",
                                                    "max growth", "max +fds"))
        for name, judged in rows:
            if not judged:
                print("%-12s %9d  (no instance lived 60 s after warming up)" % (name, 0))
                continue
            longest = max(judged)
            print("%-12s %9d %8.0fs %6d KiB %6d KiB %6d KiB %8d" % (
                name, len(judged), longest[0], longest[3], longest[4], max(j[1] for j in judged),
                max(j[2] for j in judged)))
        print()
        inv = [
            "1 every final backup has a matching manifest",
            "2 ledger prefix-complete after every recovery, rows lost = rows after the backup",
            "3 no recovery from an invalid backup, one at a time, cooldown honoured",
            "4 damaged data kept aside after every recovery",
            "5 every sidecar running, RSS growth < 1 MiB, no fd leak",
            "6 no recovery of a database that was healthy (lock waits, restarts)",
            "7 no recovery runs twice (a swap is final, whatever stops the restorer)",
        ]
        if self.args.physical:
            inv.append("8 physical recovery: 0 acknowledged rows lost, PGDATA kept aside, no hole crossed")
        for i in inv:
            bad = [v for v in self.violations if v.startswith("invariant " + i[0])]
            print("invariant %-80s %s" % (i, "FAIL (%d)" % len(bad) if bad else "ok"))
        other = [v for v in self.violations if not v.startswith("invariant ")]
        print("other checks (durability, detection, settling): %s" % ("FAIL (%d)" % len(other) if other else "ok"))
        for v in self.violations:
            print("  - " + v)
        undetected = [r for r in self.results if not r.detected or not r.recovered]
        if undetected:
            print("not detected or not recovered: %s" % ", ".join(sorted({r.name for r in undetected})))
        return not self.violations and not undetected


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=150, help="seconds of fault injection (default 150)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build"))
    ap.add_argument("--scale", type=int, default=2, help="pgbench scale (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--physical", action="store_true",
                    help="the physical path: base backups, recovery_method auto, the archive's faults")
    args = ap.parse_args()
    s = System(args)
    log("work directory %s, seed %d, %d s" % (s.work, args.seed, args.duration))
    d = Driver(s, args)
    ok = False
    t0 = time.time()
    try:
        s.up()
        d.settle()
        d.run(args.duration)
        rows, nstarts, nreqs = d.final_checks()
        ok = d.report(rows, nstarts, nreqs, time.time() - t0)
    except Exception as e:  # noqa: BLE001 - any failure is a failed soak
        log("chaos run aborted: %r" % e)
    finally:
        s.down()
        s.unmount(args.keep or not ok)
        if args.keep or not ok:
            log("work directory kept: %s" % s.work)
        else:
            shutil.rmtree(s.work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
