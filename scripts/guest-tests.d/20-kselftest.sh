#!/bin/sh
# The kselftests of /dev/hmap: every *_test program in /opt/hmap/bin (one
# per selftests/*_test.c), as root; some fork unprivileged children for
# the permission and limit tests. Each line program P prints is prefixed
# with "KSFT: P: ", so that scripts/check.sh counts every test against P's
# own TAP plan.
# lifetime_test runs last: its leak check needs every other test's maps
# gone, and with HMAP_TEST_RMMOD=1 its rmmod_busy tries `rmmod hmap` with
# an fd open (it must be refused).
export HMAP_TEST_RMMOD=1
last=lifetime_test
status=0

# uptime in whole seconds
now() { cut -d. -f1 /proc/uptime; }

# run PATH: one program, its output prefixed, its wall time after it; a
# non-zero exit fails the run.
run() {
	name=${1##*/}
	t0=$(now)
	{ "$1"; echo $? >/tmp/ksft.status; } 2>&1 | sed "s/^/KSFT: $name: /"
	rc=$(cat /tmp/ksft.status)
	echo "KSFT: $name: # took $(($(now) - t0)) s"
	if [ "$rc" != 0 ]; then
		echo "KSFT: $name: # exit status $rc"
		status=1
	fi
}

# hmap_ksft=A,B on the kernel command line runs only programs A and B.
chosen() { case ",${hmap_ksft:-$1}," in *",$1,"*) return 0 ;; esac; return 1; }

for p in /opt/hmap/bin/*_test; do
	[ "${p##*/}" = "$last" ] || ! chosen "${p##*/}" || run "$p"
done
! chosen "$last" || run "/opt/hmap/bin/$last"
exit "$status"
