#!/usr/bin/env bash
# The demo server as the app starts it (BAI_TESTKIT_BIN), with its pid recorded so that the
# tests can check quitting the app stops it, and session.sh can stop a leftover one by pid.
echo $$ >>"$E2E_OUT/demo.pids"
exec "$E2E_TESTKIT" "$@"
