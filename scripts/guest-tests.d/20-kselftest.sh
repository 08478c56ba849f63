#!/bin/sh
# The kselftests of /dev/hmap, as root; they fork an unprivileged child
# for the permission and limit tests. Each result line is prefixed with
# "KSFT: " so that scripts/check.sh counts every test.
# HMAP_TEST_RMMOD=1: the lifetime test may try `rmmod hmap` with an fd open
# (it must be refused).
export HMAP_TEST_RMMOD=1
status=/tmp/hmap_test.status
{ hmap_test; echo $? >"$status"; } 2>&1 | sed 's/^/KSFT: /'
exit "$(cat "$status")"
