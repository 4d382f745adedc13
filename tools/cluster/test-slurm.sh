#!/usr/bin/env bash
# End-to-end test of tools/cluster/ on a one-node Slurm cluster on this
# machine (docs/cli.md, "Cluster"): installs Slurm and MUNGE from the
# distribution's packages (Debian/Ubuntu: slurmctld, slurmd, slurm-client,
# munge), starts munged, slurmctld and slurmd as root with a private
# configuration (localhost only, non-default ports, everything under one
# temporary directory), submits a 4-shard sweep with submit.sh, waits for
# the array and the dependent merge job, and compares the merged directory
# with an unsharded sweep byte for byte. Everything it started is stopped on
# exit, whatever the outcome. Needs root. Exit status 0 when they are equal.
#
#   sudo tools/cluster/test-slurm.sh            # EDGESIM=path/to/edgesim to skip the build
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"
if [ "$(id -u)" != 0 ]; then
  echo "$0: must run as root (it installs packages and starts slurmctld/slurmd)" >&2
  exit 2
fi
log() { echo "test-slurm: $*" >&2; }

# 1. Packages (no-ops when present). Services are not started by the
# packages' scripts (policy-rc.d), only by this script, below.
need=()
for c in slurmctld slurmd sbatch munged; do command -v "$c" >/dev/null || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  log "installing slurmctld slurmd slurm-client munge"
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# 2. The program.
if [ -z "${EDGESIM:-}" ]; then
  log "building edgesim"
  cargo build --release -p tools --quiet
  EDGESIM="$repo/target/release/edgesim"
fi
export EDGESIM

work="$(mktemp -d /tmp/edgesim-slurm.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ "$rc" != 0 ]; then
    log "FAILED (exit $rc); daemon logs:"
    tail -n 20 "$work"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT INT TERM

# 3. MUNGE with its own key and socket.
mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/out"
chmod 711 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
sock="$work/munge/munge.socket"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" \
  --seed-file="$work/munge/munged.seed" 2>"$work/munged.err" &
pids+=($!)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { log "munged did not start"; exit 1; }

# 4. A one-node cluster on localhost.
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
cat >"$work/slurm.conf" <<CONF
ClusterName=edgesim-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" 2>"$work/slurmctld.err" &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" 2>"$work/slurmd.err" &
pids+=($!)
for _ in $(seq 120); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || { log "the node did not come up (state '$state')"; exit 1; }
log "cluster up: $(sinfo -h -o '%P %D %T %C')"

# 5. A 4-shard sweep through the job-array and merge scripts.
scenario="$repo/tools/tests/data/small-sweep.ron"
read -r array merge < <(tools/cluster/submit.sh "$scenario" 4 "$work/out")
log "submitted array job $array and merge job $merge"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 0.5
done
state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" = COMPLETED ] || {
  log "merge job $merge ended $state"
  tail -n 20 "$work"/out/slurm-*.out >&2 || true
  exit 1
}

# 6. The merged sweep is byte for byte the unsharded one.
"$EDGESIM" sweep "$scenario" --quiet --out "$work/whole" >/dev/null
diff -r "$work/whole" "$work/out/merged"
log "PASS: 4 shards on Slurm, merged, equal the unsharded sweep ($(ls "$work/whole/points" | wc -l) point files, results.csv, replications.csv, sweep.json)"
