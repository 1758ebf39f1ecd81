#!/bin/sh
# Inside L1 for walk-cost.sh: tpt_kvm_test --walk-cost for each guest size
# in $MIBS (MiB, space-separated; /testbed/l1.env).
. /testbed/l1.env
# shellcheck disable=SC2086 # $MIBS is a list of numbers
/testbed/tpt_kvm_test --walk-cost $MIBS
