"""A real single-node SLURM cluster on this machine, for the cluster test: munged, slurmctld and
slurmd with a generated slurm.conf in a temporary folder (no accounting database), started and
stopped by PID. The packages come from the distribution (`slurm-wlm`, `munge`), installed when
missing and possible (as root with apt-get)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")


def binaries_missing() -> list[str]:
    return [b for b in DAEMONS if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]


def install_if_possible() -> str | None:
    """None when the binaries are there (installed now if needed), else why they cannot be."""
    if not binaries_missing():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "slurm-wlm/munge are not installed and cannot be (not root, or no apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run(
        ["apt-get", "install", "-y", "-q", "slurm-wlm", "munge"], capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, timeout=600)
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-q", "slurm-wlm", "munge"],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    missing = binaries_missing()
    return f"installing slurm-wlm/munge failed: {proc.stderr[-300:]}" if missing else None


def _binary(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


MUNGE_RUN = Path("/run/munge")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``with Cluster(tmp) as c: ... c.env``: SLURM_CONF for sbatch/squeue.

    Commands inside a job (the plugin's ``srun``) do not see SLURM_CONF (the plugin removes SLURM_*
    variables in jobs). The cluster runs "configless": slurmd fetches the configuration from
    slurmctld and keeps it in its own spool folder, where Slurm's commands on the node find it
    (``/run/slurm/conf``, which slurmd manages while it runs), so nothing under /etc is touched."""

    def __init__(self, root: Path, cpus: int | None = None):
        self.root, self.cpus = Path(root), cpus or os.cpu_count() or 2
        self.host = socket.gethostname().split(".")[0]
        self.pids: dict[str, int] = {}

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}

    def _write_config(self) -> None:
        r = self.root
        for d in ("state", "spool", "log", "run"):
            (r / d).mkdir(parents=True, exist_ok=True)
        mem = 8000
        self.ctld_port = _free_port()
        (r / "slurm.conf").write_text(f"""\
ClusterName=hnettest
SlurmctldHost={self.host}
SlurmctldPort={self.ctld_port}
SlurmctldParameters=enable_configless
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/run/slurmctld.pid
SlurmdPidFile={r}/run/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
KillWait=5
SlurmdTimeout=60
InactiveLimit=0
NodeName={self.host} CPUs={self.cpus} RealMemory={mem} State=UNKNOWN
PartitionName=cpu Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
""")

    def _start_munge(self) -> None:
        r = self.root
        key = r / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        # munged on its default socket: a configless slurmd authenticates with it before it has a configuration
        MUNGE_RUN.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                _binary("munged"),
                "--force",
                f"--key-file={key}",
                f"--pid-file={r}/run/munged.pid",
                f"--log-file={r}/log/munged.log",
                f"--seed-file={r}/run/munged.seed",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.pids["munged"] = self._pid("munged")

    def _pid(self, name: str, timeout: float = 20) -> int:
        path = self.root / "run" / f"{name}.pid"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if path.exists() and path.read_text().strip():
                return int(path.read_text().strip())
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not start: {self._logs()}")

    def _logs(self) -> str:
        return "\n".join(f"{p.name}: {p.read_text()[-1500:]}" for p in (self.root / "log").glob("*.log"))

    def start(self) -> Cluster:
        self._write_config()
        self._start_munge()
        conf = str(self.root / "slurm.conf")
        subprocess.run(
            [_binary("slurmctld"), "-f", conf, "-i"], check=True, capture_output=True, env=self.env, timeout=60
        )
        self.pids["slurmctld"] = self._pid("slurmctld")
        daemon_env = {k: v for k, v in self.env.items() if k != "SLURM_CONF"}  # configless: from slurmctld
        subprocess.run(
            [_binary("slurmd"), "--conf-server", f"{self.host}:{self.ctld_port}"],
            check=True,
            capture_output=True,
            env=daemon_env,
            timeout=60,
        )
        self.pids["slurmd"] = self._pid("slurmd")
        deadline = time.time() + 60
        while time.time() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env).stdout
            if out.strip() in ("idle", "mix", "alloc"):
                return self
            time.sleep(0.5)
        raise RuntimeError(f"the node did not become idle (sinfo: {out!r})\n{self._logs()}")

    def stop(self) -> None:
        self._stop_daemons()

    def _stop_daemons(self) -> None:
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.pop(name, None)
            if pid is None:
                continue
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, 9)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
