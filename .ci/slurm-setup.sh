#!/usr/bin/env bash
# CI: a real single-node SLURM cluster on this machine, for the sweep's SLURM test
# (tests/experiments/sweeps/test_slurm_cluster.py, run by .ci/slurm-test.sh).
#
# What it does, as root (it changes the machine: run it on a CI runner or a throw-away VM):
#   1. installs Debian's slurm-wlm and munge (apt-get) unless slurmctld and munged exist;
#   2. makes a munge key if there is none and starts munged as the munge user;
#   3. writes /etc/slurm/slurm.conf for this host: one node named by `hostname -s`, with the
#      CPU count and memory `slurmd -C` reports, one partition "ci", no accounting, no cgroups
#      (proctrack/linuxproc, task/none), so that it works in a container;
#   4. starts slurmctld and slurmd (no systemd needed) and waits until the node is idle.
# Idempotent: a second call keeps a running munged/slurmctld/slurmd whose configuration is
# unchanged, and restarts the SLURM daemons if the configuration it would write differs.
# Logs: /var/log/slurm/. Check with: sinfo; srun -N1 hostname.
set -euo pipefail

say() { echo "slurm-setup: $*"; }
[ "$(id -u)" = 0 ] || { say "must run as root (it installs packages and starts daemons)"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# --- munge --------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null; then mungekey --create --force; else
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; fi
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  rm -f /run/munge/munge.socket.2 /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || { say "munged does not answer"; exit 1; }
fi

# --- slurm.conf ----------------------------------------------------------------------------------
host=$(hostname -s)
node=$(slurmd -C | head -1)   # NodeName=<host> CPUs=.. Boards=.. ... RealMemory=..
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
memory=$(( memory * 9 / 10 ))  # leave some for the system
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm
conf=$(cat <<EOF
# written by .ci/slurm-setup.sh: a single-node cluster on $host for the project's tests
ClusterName=spiral-ci
SlurmctldHost=$host
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=60
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
)
changed=0
if [ ! -f /etc/slurm/slurm.conf ] || [ "$(cat /etc/slurm/slurm.conf)" != "$conf" ]; then
  say "writing /etc/slurm/slurm.conf (node $host, $cpus CPUs, $memory MB)"
  printf '%s\n' "$conf" > /etc/slurm/slurm.conf
  changed=1
fi

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() {
  if running "$1"; then kill "$(cat "$1")"; for _ in $(seq 50); do running "$1" || break; sleep 0.1; done; fi
}
if [ $changed = 1 ]; then stop /run/slurmd.pid; stop /run/slurmctld.pid; fi
if ! running /run/slurmctld.pid; then say "starting slurmctld"; /usr/sbin/slurmctld; fi
if ! running /run/slurmd.pid; then say "starting slurmd"; /usr/sbin/slurmd; fi

for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) break ;; down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;; esac
  sleep 1
done
state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
case "$state" in
  idle|mix|alloc) say "ready: node $host is $state"; sinfo ;;
  *) say "the node is '${state:-unknown}', not idle; see /var/log/slurm/"; exit 1 ;;
esac
