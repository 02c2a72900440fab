#!/usr/bin/env bash
# The HTTP transports with curl, an independent HTTP/1.1 client.
# usage: curl_test.sh RTBENCH_BINARY
set -uo pipefail
BIN=$1
TMP=$(mktemp -d)
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
"$BIN" serve --transport all --port 0 --port-file "$TMP/port" --publish-rate 50 --duration 60 >/dev/null 2>&1 &
SRV=$!
for _ in $(seq 500); do [ -s "$TMP/port" ] && break; sleep 0.01; done
PORT=$(cat "$TMP/port")
U="http://127.0.0.1:$PORT"
pass=0 fail=0
check() { # name, command output, grep pattern
  if grep -qE -- "$3" <<<"$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: wanted /$3/ in:"; head -c 600 <<<"$2"; echo; fi
}
sleep 0.3
check "poll answer" "$(curl -si "$U/poll?cursor=0")" '^Rtb-Cursor: [0-9]+'
check "poll body" "$(curl -s "$U/poll?cursor=0")" '^1 [0-9]+ s[0-9]+ ABCDEFGH'
check "sse events" "$(curl -sN --max-time 1 "$U/sse")" '^data: [0-9]+ [0-9]+ s[0-9]+ ABC'
check "sse resume" "$(curl -sN --max-time 1 -H 'Last-Event-ID: 3' "$U/sse")" '^id: 4$'
check "stream lines" "$(curl -sN --max-time 1 "$U/stream?since=5")" '^6 [0-9]+ s[0-9]+ ABC'
HEAD=$(curl -s -D - -o /dev/null "$U/poll" | tr -d '\r' | awk '/^Rtb-Cursor/ {print $2}')
check "long poll held then answered" "$(curl -s --max-time 5 "$U/lp?cursor=$HEAD")" "^$((HEAD+1)) "
check "post send" "$(curl -si -X POST --data-binary 'all curl1 ABCD' "$U/send")" '^HTTP/1.1 204'
check "unknown path" "$(curl -si "$U/nope")" '^HTTP/1.1 404'
check "page" "$(curl -s "$U/")" 'EventSource'
echo "curl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
