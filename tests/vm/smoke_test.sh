#!/usr/bin/env bash
# Self-test of run-in-vm: the guest is pure cgroup v2 with the controllers skiff needs,
# and the guest's exit code reaches the host (so a failing test can never look green).
set -euo pipefail
here=$(dirname "$0")
"$here/run-in-vm" --timeout 300 --sh '
  set -e
  grep -qw memory /sys/fs/cgroup/cgroup.controllers
  for c in cpu cpuset io pids hugetlb; do grep -qw $c /sys/fs/cgroup/cgroup.controllers; done
  test ! -e /sys/fs/cgroup/memory/tasks   # no v1 hierarchy anywhere
  ! grep -q " cgroup " /proc/mounts
  test -z "$(ip -o link | grep -v " lo:")"   # no network device: nothing can leave
  test "$SKIFF_IN_VM" = 1'
set +e
"$here/run-in-vm" --timeout 300 --sh 'exit 3' >/dev/null
code=$?
set -e
if [ "$code" != 3 ]; then
  echo "smoke_test: expected exit code 3 from the guest, got $code" >&2
  exit 1
fi
echo "smoke_test: guest is pure cgroup v2; exit codes propagate"
