#!/bin/sh
# Run by tests/package_consumer.cmake: starts SERVICE (hybrid_example_service built against the
# installed package) on a free loopback port, expects GET /api/hello to answer {"hello":"world"},
# then stops it with SIGTERM and expects exit status 0. ctest's TIMEOUT bounds the whole run.
# Usage: package_service_check.sh SERVICE ROOT OUTPUT_FILE
set -u
service=$1 root=$2 output=$3

"$service" --port 0 --bind 127.0.0.1 --root "$root" >"$output" 2>&1 &
pid=$!
url=
for _ in $(seq 100); do  # up to 10 s for the "listening on" line
  url=$(sed -n 's/.*listening on \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$output")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "the service printed no 'listening on' line:"
  cat "$output"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  exit 1
fi

body=$(curl -sS --max-time 5 "$url/api/hello")
kill -TERM "$pid"
wait "$pid"
status=$?
if [ "$body" != '{"hello":"world"}' ]; then
  echo "GET $url/api/hello answered '$body'"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "the service exited with $status after SIGTERM:"
  cat "$output"
  exit 1
fi
echo "GET $url/api/hello: $body; exit status $status after SIGTERM"
