#!/usr/bin/env bash
# driftlab serve alone, with curl: the stream gives data: events; a path
# outside the embedded table gets 404 whatever its encoding; an oversized
# body 413; a foreign Host or Origin 403; a bad option value 400 with the
# command line's own message; SIGTERM with a stream open exits 0.
#   server_check.sh DRIFTLAB
set -uo pipefail
dl=$1
work=$(mktemp -d)
fails=0
trap 'kill $pid $spid 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

"$dl" serve --port 0 > "$work/url" 2> "$work/log" &
pid=$!
for _ in $(seq 50); do grep -q http "$work/url" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*' "$work/url")
base=${base%/}
port=${base##*:}
[ -n "$base" ] || { echo "FAIL: no URL printed"; cat "$work/log"; exit 1; }
case "$base" in http://127.0.0.1:*) pass "serves loopback by default: $base" ;; *) fail "not loopback: $base" ;; esac

code() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }

# the page, with its security headers and no CORS
curl -s -D "$work/headers" -o /dev/null "$base/"
grep -qi "^Content-Security-Policy: default-src 'self'" "$work/headers" && pass "CSP default-src 'self'" || fail "no CSP header"
grep -qi "^Access-Control" "$work/headers" && fail "a CORS header was sent" || pass "no CORS header"

# a stream of its own: hello, then frames once a lane runs
curl -sN --max-time 20 "$base/api/stream" > "$work/stream" &
spid=$!
for _ in $(seq 50); do grep -q '"session"' "$work/stream" 2>/dev/null && break; sleep 0.1; done
sid=$(grep -o '"session":"[0-9a-f]*' "$work/stream" | cut -d'"' -f4)
[ ${#sid} -eq 32 ] && pass "session $sid" || fail "no session id in the stream"
lane="domain=torus&dim=1&target=uniform&m=1000&init=modes&modes=1,2,3&amp=0.01&quiet-start=true&n=1000&sigma=0.5&dt=0.05&seed=3"
[ "$(code -X POST --data "$lane" "$base/api/lane?session=$sid&lane=0")" = 200 ] && pass "lane accepted" || fail "lane refused: $(cat "$work/body")"
code -X POST --data "action=step&count=5" "$base/api/control?session=$sid" > /dev/null
sleep 1
grep -q '^data: {"playing"' "$work/stream" && pass "the stream gives data: frames" || fail "no data: frame"
grep -q '"step":5' "$work/stream" && pass "step x5 reached step 5" || fail "step 5 not seen"

# traversal and friends: 404 whatever the encoding
for p in "/../CMakeLists.txt" "/%2e%2e/%2e%2e/etc/passwd" "/..%2fCMakeLists.txt" "/lab.js%00.png" \
         "/%00" "/page/lab.js" "/serve/page/index.html" "/index.html/.." "/%2F"; do
  c=$(code --path-as-is "$base$p")
  [ "$c" = 404 ] && pass "404 for $p" || fail "$p gave $c"
done

# bodies over the cap: 413
head -c 200000 /dev/zero | tr '\0' 'a' > "$work/big"
c=$(code -X POST --data-binary @"$work/big" "$base/api/lane?session=$sid&lane=0")
[ "$c" = 413 ] && pass "413 for a 200 kB form" || fail "200 kB form gave $c"
head -c 2000000 /dev/zero | tr '\0' '1' > "$work/huge"
c=$(code -X POST --data-binary @"$work/huge" "$base/api/target?session=$sid")
[ "$c" = 413 ] && pass "413 for a 2 MB target" || fail "2 MB target gave $c"
c=$(code -X POST -H "Transfer-Encoding: chunked" --data-binary @"$work/big" "$base/api/lane?session=$sid&lane=0")
[ "$c" = 413 ] && pass "413 for a chunked 200 kB form" || fail "chunked 200 kB form gave $c"

# DNS rebinding and cross-site requests: 403
c=$(code -H "Host: evil.example:$port" "$base/")
[ "$c" = 403 ] && pass "403 for a foreign Host" || fail "foreign Host gave $c"
c=$(code -H "Host: 127.0.0.1.evil.example:$port" "$base/api/tables")
[ "$c" = 403 ] && pass "403 for a look-alike Host" || fail "look-alike Host gave $c"
c=$(code -X POST -H "Origin: http://evil.example" --data "action=play" "$base/api/control?session=$sid")
[ "$c" = 403 ] && pass "403 for a foreign Origin" || fail "foreign Origin gave $c"
c=$(code -X POST -H "Origin: http://127.0.0.1:$port" --data "action=pause" "$base/api/control?session=$sid")
[ "$c" = 200 ] && pass "200 for the page's own Origin" || fail "own Origin gave $c"

# a bad value: 400 with the command line's own message
for bad in "sigma=-1" "dt=nan" "kernel=matern:0.1" "n=12x" "bogus=1"; do
  key=${bad%%=*} value=${bad#*=}
  want=$("$dl" sim --"$key" "$value" --out "$work/never" 2>&1 >/dev/null | sed 's/^driftlab sim: error: //')
  c=$(code -X POST --data "$bad" "$base/api/lane?session=$sid&lane=0")
  got=$(cat "$work/body")
  [ "$c" = 400 ] && [ "$got" = "$want" ] && pass "400 '$got'" || fail "$bad gave $c '$got', sim says '$want'"
done
for bad in "sigma=%zz" "a=%00" "sigma=1&sigma=2" "target=file:/etc/passwd" "schedule=file:/etc/passwd" \
            "out=/tmp/x" "n=100000"; do
  c=$(code -X POST --data "$bad" "$base/api/lane?session=$sid&lane=0")
  [ "$c" = 400 ] && pass "400 for $bad: $(cat "$work/body")" || fail "$bad gave $c"
done
c=$(code -X POST --data "action=explode" "$base/api/control?session=$sid")
[ "$c" = 400 ] && pass "400 for an unknown control" || fail "unknown control gave $c"
c=$(code -X POST --data "action=play" "$base/api/control?session=00000000000000000000000000000000")
[ "$c" = 404 ] && pass "404 for an unknown session" || fail "unknown session gave $c"
printf '1 2\n3 nan\n' > "$work/nan.dat"
c=$(code -X POST --data-binary @"$work/nan.dat" "$base/api/target?session=$sid")
[ "$c" = 400 ] && pass "400 for a target with NaN: $(cat "$work/body")" || fail "NaN target gave $c"
[ "$(code -X DELETE "$base/")" = 405 ] && pass "405 for DELETE" || fail "DELETE not refused"

# a run past the Euler bound stops with the reason, not a blank canvas
unstable="domain=torus&dim=1&target=uniform&m=1000&init=modes&modes=1,2,3&amp=0.01&quiet-start=true&n=1000&sigma=0.5&dt=4&seed=3"
code -X POST --data "$unstable" "$base/api/lane?session=$sid&lane=0" > /dev/null
code -X POST --data "action=step&count=200" "$base/api/control?session=$sid" > /dev/null
sleep 1
grep -q '"error":"Stopped at t = [0-9.]*: dt = 4 is above the Euler bound 2/max γ = 2.718' "$work/stream" \
  && pass "dt = 4 stops with the Euler bound 2/max γ = 2.718 (2e for the Gaussian)" || fail "no Euler-bound sentence for dt = 4"

# SIGTERM with the stream open: exit 0, the stream ended
kill -TERM $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then fail "still running 5 s after SIGTERM"; else
  wait $pid; st=$?
  [ $st -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $st"
fi
[ $fails -eq 0 ] && echo "server_check: all passed" || echo "server_check: $fails failed"
exit $((fails > 0))
