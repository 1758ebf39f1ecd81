#!/bin/sh
# Inside L1 for tools/bench.sh --workload exits (tools/bench-exits.sh):
# exits-run.sh with the parameters in /testbed/l1.env: OPTS (tpt-exits
# options, commas for spaces), EVENTS (commas) and MODES (spaces).
. /testbed/l1.env
export L2_TIMEOUT=2400
export EXITS_TRACE_DUMP="${DUMP:-}"
# shellcheck disable=SC2086 # MODES is a list of words
exec sh /testbed/exits-run.sh "$OPTS" "$EVENTS" $MODES
