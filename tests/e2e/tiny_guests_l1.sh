#!/bin/sh
# Inside L1 for e2e_tiny_guests (tiny_guests.sh): every kvm-labelled tiny
# guest (tests/kvm/cases.txt) under tptvmm on L1's kvm-amd.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
tiny_guests /testbed/kvm/cases.txt
