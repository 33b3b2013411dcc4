#!/usr/bin/env bash
# End-to-end test of `transfersim slurm` against a real single-node Slurm cluster on this machine.
#
# Installs Debian's slurm-wlm and munge if missing, starts munged, slurmctld and slurmd with a private
# slurm.conf (SLURM_CONF, state under a temporary directory), submits a small sweep with several shards
# through `transfersim slurm --submit`, waits (bounded) for the merge job, checks that the merged files
# equal an unsharded local run, and stops the daemons it started by their pid files. If the cluster does
# not come up it fails with the daemons' log tails; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/transfersim-slurm.XXXXXX)
state="$work/state"
mkdir -p "$state/ctld" "$state/d" "$state/log" "$work/munge"
export SLURM_CONF="$state/slurm.conf"
started=()

log_tails() {
  for f in "$state"/log/*.log "$work"/munge/munged.log; do
    [ -f "$f" ] && { echo "--- tail of $f"; tail -n 30 "$f"; }
  done
  for f in "$work"/job/logs/*; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  return 0
}
fail() { echo "slurm test FAILED: $*" >&2; log_tails >&2; exit 1; }
cleanup() {
  for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$work/munge/munged.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Packages.
if ! command -v slurmctld >/dev/null && [ ! -x /usr/sbin/slurmctld ] || ! command -v munged >/dev/null && [ ! -x /usr/sbin/munged ]; then
  [ "$(id -u)" = 0 ] || fail "slurm-wlm/munge missing and not root to install them"
  apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >/dev/null
fi

# 2. munge: a private key and socket, so a system munged is neither needed nor disturbed.
mungekey -c -k "$work/munge/munge.key" -f >/dev/null 2>&1 || dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
/usr/sbin/munged --force --key-file="$work/munge/munge.key" --socket="$socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed" || fail "munged did not start"
for _ in $(seq 1 20); do [ -S "$socket" ] && break; sleep 0.2; done
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || fail "munge round trip failed"

# 3. A single-node cluster.
host=$(hostname -s)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
cat > "$SLURM_CONF" <<CONF
ClusterName=transfersim-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
/usr/sbin/slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 1 60); do
  sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed" && break
  sleep 1
done
sinfo -h -o "%T" | grep -qE "idle|mixed" || fail "the node did not become idle: $(sinfo 2>&1)"

# 4. The sweep, through Slurm and locally.
swift build -c release $(bash "$root/scripts/cpu_flags.sh") >/dev/null
bin="$root/.build/release/transfersim"
cat > "$work/sweep.yaml" <<'YAML'
preset: theory
d: 60
m: 4
n1: 30
n2: 10
steps1: 40
steps2: 20
sigma0: 0.1
population_draws: 1000
grid:
  alpha: [0, 0.5, 1]
  u_norm: [0.5, 1.5, 2.5]
replicates: 2
YAML
"$bin" slurm --config "$work/sweep.yaml" --shards 4 --max-running 2 --cpus-per-task 1 --mem 500M --time 00:10:00 \
  --out "$work/job" --submit | tee "$work/submit.txt"
merge_id=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' "$work/submit.txt")
[ -n "$merge_id" ] || fail "no merge job id in: $(cat "$work/submit.txt")"
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$merge_id" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$merge_id" 2>/dev/null)" ] || fail "merge job $merge_id still queued after 300 s: $(squeue)"
[ -f "$work/job/summary.csv" ] || fail "the merge job wrote no summary.csv"
"$bin" sweep --config "$work/sweep.yaml" --out "$work/local" --threads 2 --quiet >/dev/null

# 5. Same files: summary and heatmaps byte for byte, results without the timing and checksum columns.
for f in summary.csv heatmap_transfer_gain.csv heatmap_transfer_test_accuracy.csv config.resolved.yaml; do
  cmp -s "$work/job/$f" "$work/local/$f" || fail "$f differs between the Slurm and the local run"
done
strip() { awk -F, 'BEGIN { OFS = "," } { NF -= 2; print }' "$1"; }  # without seconds and row_crc32
[ "$(strip "$work/job/results.csv")" = "$(strip "$work/local/results.csv")" ] || fail "results.csv rows differ"
rows=$(( $(wc -l < "$work/job/results.csv") - 1 ))
echo "slurm: 4 array tasks + merge job matched the local run ($rows rows)"
echo "slurm: 1 passed, 0 failed"
