"""Real PAM for the black-box cases: Unix users and groups, PAM service files in /etc/pam.d,
pamtester runs whose syslog lines are caught, and a real sshd on a loopback port.

Everything a PamEnv adds outside its temp dir (users, groups, service files, /run/sshd when it
made it) and every process it starts is removed or stopped by close(); use it as a context
manager. Their names start with PREFIX + the case's pid + "-"; a run killed before close() (a
CTest timeout) leaves them behind, so a new PamEnv of the same prefix first removes those of
runs whose process is gone. Needs root; PamEnv.skip_reason() says why a case cannot run here.

Syslog: pamtester runs in a mount namespace of its own (unshare) whose /dev is a small tmpfs of
links to the real /dev plus /dev/log, a datagram socket of the case's temp dir; so the module's
lines are read without a syslog daemon and without touching the system's /dev/log. Without
namespaces (no CAP_SYS_ADMIN) pamtester runs plainly and `syslog_caught` is False.
"""
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import time

SHIM = r'''set -e
mount --rbind /dev "$LBT_DEV"
mount -t tmpfs -o mode=0755,size=1m lbtdev /dev
for n in $(ls -A "$LBT_DEV"); do ln -s "$LBT_DEV/$n" "/dev/$n"; done
ln -sf "$LBT_LOG" /dev/log
eval "$LBT_PRE"
exec "$@"'''

LOG_AUTHPRIV = 10


class Run:
    """One pamtester run: exit code, what it printed, the syslog lines, how long it took."""

    def __init__(self, rc, out, syslog, elapsed):
        self.rc, self.out, self.syslog, self.elapsed = rc, out, syslog, elapsed

    @property
    def ok(self):
        return self.rc == 0

    def logged(self, text):
        """The syslog lines (facility, text) holding text."""
        return [(f, t) for f, t in self.syslog if text in t]

    def __repr__(self):
        return f"<pamtester rc={self.rc} out={self.out!r} syslog={self.syslog!r}>"


def _sanitizer_preload(build_dir):
    """LD_PRELOAD for a sanitizer build: its module needs the runtime in the program."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
            m = re.search(r"(?m)^LB_SANITIZE:STRING=(.*)$", f.read())
    except OSError:
        return None
    if not m or not m.group(1).strip():
        return None
    libs = []
    for name, lib in (("address", "libasan.so"), ("undefined", "libubsan.so")):
        if name in m.group(1):
            p = subprocess.run(["gcc", f"-print-file-name={lib}"], capture_output=True,
                               text=True)
            libs.append(os.path.realpath(p.stdout.strip()))
    return ":".join(libs) or None


def fault_injection_built(build_dir):
    with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
        m = re.search(r"(?m)^LB_FAULT_INJECTION:BOOL=(.*)$", f.read())
    return bool(m) and m.group(1).upper() in ("ON", "1", "TRUE", "YES", "Y")


class PamEnv:
    def __init__(self, tmp, build_dir, prefix):
        self.tmp = os.path.join(tmp, "pam")
        os.makedirs(self.tmp, exist_ok=True)
        self.build = build_dir
        self.module = os.path.join(build_dir, "pam_lockbox.so")
        # names of users, groups and services start with tag: this run's own
        self.tag = f"{prefix}{os.getpid()}"
        self.users, self.groups, self.services, self.procs = [], [], [], []
        self._reap(prefix)
        self.made_privsep = False
        self.preload = _sanitizer_preload(build_dir)
        self.dev = os.path.join(self.tmp, "dev")
        self.logpath = os.path.join(self.tmp, "log.sock")
        os.makedirs(self.dev, exist_ok=True)
        self.log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.log.bind(self.logpath)
        self.log.setblocking(False)
        self.syslog_caught = self._probe_namespace()

    @staticmethod
    def skip_reason(build_dir, need=("pamtester",)):
        if os.geteuid() != 0:
            return "needs root (adds Unix users and PAM service files)"
        for tool in need:
            if not shutil.which(tool) and not os.path.exists(tool):
                return f"{tool} is not installed (scripts/deps.sh test)"
        if not os.path.exists(os.path.join(build_dir, "pam_lockbox.so")):
            return "pam_lockbox.so is not built"
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def env(self, extra=None):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        if self.preload:
            e["LD_PRELOAD"] = self.preload
        e.update(extra or {})
        return e

    # ---- syslog ----

    def _probe_namespace(self):
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", SHIM,
                            "sh", "logger", "-p", "authpriv.info", "lbt-probe"],
                           env=dict(self.env(), LBT_DEV=self.dev, LBT_LOG=self.logpath,
                                    LBT_PRE="", LD_PRELOAD=""),
                           capture_output=True, text=True, timeout=30)
        got = self.drain_syslog()
        return p.returncode == 0 and any("lbt-probe" in t for _, t in got)

    def drain_syslog(self):
        lines = []
        while True:
            try:
                data = self.log.recv(65536).decode("utf-8", "replace")
            except BlockingIOError:
                return lines
            m = re.match(r"<(\d+)>(.*)", data, re.S)
            if m:
                lines.append((int(m.group(1)) >> 3, m.group(2).rstrip("\n")))

    # ---- users, groups, service files ----

    @staticmethod
    def _admin(args):
        """useradd & co., retried while another process holds /etc/passwd's lock."""
        deadline = time.time() + 30
        while True:
            p = subprocess.run(args, capture_output=True, text=True)
            if p.returncode == 0 or time.time() > deadline or "lock" not in p.stderr.lower():
                return p
            time.sleep(0.2)

    def add_group(self, name):
        p = self._admin(["groupadd", name])
        if p.returncode != 0:
            raise RuntimeError(f"groupadd {name}: {p.stderr}")
        self.groups.append(name)
        return name

    def add_user(self, name, groups=()):
        args = ["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh",
                "--user-group"]
        if groups:
            args += ["--groups", ",".join(groups)]
        p = self._admin(args + [name])
        if p.returncode != 0:
            raise RuntimeError(f"useradd {name}: {p.stderr}")
        self.users.append(name)
        # sshd refuses a locked account ('!' in shadow): no password, but not locked
        self._admin(["usermod", "-p", "*", name])
        return name

    def service(self, lines, name=None):
        """Writes /etc/pam.d/NAME (default: a new unique name) and answers NAME."""
        name = name or f"{self.tag}-{len(self.services)}"
        path = os.path.join("/etc/pam.d", name)
        if name not in self.services:
            self.services.append(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return name

    def token_file(self, name, token, mode=0o600, owner=0):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(token + "\n")
        os.chown(path, owner, -1)
        os.chmod(path, mode)
        return path

    # ---- pamtester ----

    def pamtester(self, service, user, *ops, items=None, env=None, timeout=60, pre=""):
        """Runs pamtester; pre is shell run first in the very process pamtester then is ($$)."""
        cmd = ["pamtester", "-v"]
        for k, v in (items or {}).items():
            cmd += ["-I", f"{k}={v}"]
        cmd += [service, user, *ops]
        e = self.env(env)
        e["LBT_PRE"] = pre
        if self.syslog_caught:
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", SHIM, "sh", *cmd]
            e.update(LBT_DEV=self.dev, LBT_LOG=self.logpath)
        else:
            cmd = ["sh", "-c", 'eval "$LBT_PRE"; exec "$@"', "sh", *cmd]
        self.drain_syslog()
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - t0
        return Run(p.returncode, p.stdout + p.stderr, self.drain_syslog(), elapsed)

    # ---- sshd ----

    def keypair(self, name):
        path = os.path.join(self.tmp, name)
        p = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"ssh-keygen: {p.stderr}")
        return path

    def sshd(self, pam_lines, authorized):
        """A real sshd on 127.0.0.1 (a free port), started under a link named as its own PAM
        service (OpenSSH takes the service from its program name), with its own host key,
        config and AuthorizedKeysFile in the temp dir; authorized maps a user to the public key
        file it logs in with. Answers (port, service name, process)."""
        name = f"{self.tag}-sshd"
        self.service(pam_lines, name)
        bindir = os.path.join(self.tmp, "bin")
        keys = os.path.join(self.tmp, "authorized")
        os.makedirs(bindir, exist_ok=True)
        os.makedirs(keys, exist_ok=True)
        link = os.path.join(bindir, name)
        if not os.path.exists(link):
            os.symlink(shutil.which("sshd") or "/usr/sbin/sshd", link)
        for user, pub in authorized.items():
            shutil.copyfile(pub, os.path.join(keys, user))
        hostkey = os.path.join(self.tmp, "ssh_host_ed25519_key")
        if not os.path.exists(hostkey):
            self.keypair("ssh_host_ed25519_key")
        # the privilege separation directory of Debian's sshd (systemd makes it at boot)
        if not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755)
            self.made_privsep = True
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        config = os.path.join(self.tmp, "sshd_config")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {hostkey}
PidFile {os.path.join(self.tmp, 'sshd.pid')}
AuthorizedKeysFile {keys}/%u
StrictModes no
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
""")
        log = open(os.path.join(self.tmp, "sshd.log"), "a", encoding="utf-8")
        env = self.env()
        if self.preload:
            # a sanitizer build: no leak check in sshd, whose seccomp sandbox kills the preauth
            # child that would run one at its exit (the module's leaks are pamtester's to find)
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                         "detect_leaks=0"]))
        proc = subprocess.Popen([link, "-D", "-e", "-f", config], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.procs.append(proc)
        deadline = time.time() + 20
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"sshd exited {proc.returncode}: {self.sshd_log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port, name, proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen within 20 s")

    def sshd_log(self):
        try:
            with open(os.path.join(self.tmp, "sshd.log"), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""

    def ssh_args(self, port, user, key):
        return ["ssh", "-F", "none", "-i", key, "-p", str(port), "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
                "-o", f"UserKnownHostsFile={os.path.join(self.tmp, 'known_hosts')}",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", f"{user}@127.0.0.1"]

    # ---- cleanup ----

    def _reap(self, prefix):
        """Removes what runs of this prefix left behind when they were killed."""
        left = re.compile(rf"^{re.escape(prefix)}(\d+)-")

        def dead(name):
            m = left.match(name)
            return bool(m) and int(m.group(1)) != os.getpid() and \
                not os.path.exists(f"/proc/{m.group(1)}")

        for name in filter(dead, os.listdir("/etc/pam.d")):
            os.unlink(os.path.join("/etc/pam.d", name))
        for user in [u.pw_name for u in pwd.getpwall() if dead(u.pw_name)]:
            self._remove_user(user)
        for group in [g.gr_name for g in grp.getgrall() if dead(g.gr_name)]:
            self._admin(["groupdel", group])

    def _remove_user(self, user):
        # the user's processes first (an ssh session that outlived its test), by pid
        for pid in _pids_of(user):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self._admin(["userdel", user])

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for name in self.services:
            try:
                os.unlink(os.path.join("/etc/pam.d", name))
            except FileNotFoundError:
                pass
        for user in self.users:
            self._remove_user(user)
        for group in self.groups:
            self._admin(["groupdel", group])
        if self.made_privsep and not any(_runs_sshd(pid) for pid in os.listdir("/proc")
                                         if pid.isdigit()):
            try:
                os.rmdir("/run/sshd")
            except OSError:
                pass
        self.log.close()


def _runs_sshd(pid):
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "sshd"
    except OSError:
        return False


def _pids_of(user):
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return []
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                pids.append(int(pid))
        except OSError:
            pass
    return pids
