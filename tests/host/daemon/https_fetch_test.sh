#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The daemon fetches over HTTPS from a server with a private CA: the bare
# repository is served by `git http-backend` behind a small TLS server on
# 127.0.0.1 (https_git_server.py), with a CA and a server certificate made
# with openssl in the test's directory. With --ca-file naming that CA the
# daemon fetches and applies; a server certificate it does not trust (the
# system's bundle, or another CA) fails the fetch with a clear reason and
# applies nothing.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-https-fetch.conf
tls=$WORK/tls
mkdir -p "$tls"

# make_ca NAME: a self-signed CA, NAME.pem and NAME.key.
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=reconcile test $1" \
    -keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null
}
make_ca ca
make_ca other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "extendedKeyUsage=serverAuth" >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
  -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null

make_repo "$file" "over https"
first=$(commit "over https")
push >/dev/null

# The server: the repositories under $WORK (infra.git), on loopback only.
python3 "$(dirname "$0")/https_git_server.py" "$WORK" "$tls/server.pem" "$tls/server.key" \
  "$WORK/port" 2>"$WORK/server.log" &
BACKGROUND_PIDS+=($!)
wait_for 30 "the HTTPS server listens" test -s "$WORK/port"
url="https://localhost:$(cat "$WORK/port")/infra.git"
check "git itself clones over HTTPS with the CA" \
  env GIT_SSL_CAINFO="$tls/ca.pem" git clone -q "$url" "$WORK/check-clone"

# refused NAME FLAGS...: a daemon with its own state directory whose fetch
# must fail on the server's certificate, accepting no commit.
refused() {
  local name=$1
  shift
  "$RECONCILE" watch --repo "$url" --state "$WORK/$name" --listen off "$@" \
    >"$WORK/$name.log" 2>&1 &
  DAEMON_PID=$!
  # shellcheck disable=SC2317  # called through wait_for
  fetch_error() {
    "$RECONCILE" status --state "$WORK/$name" --json |
      json_query "d['daemon'].get('last_fetch_error', '')" |
      grep -q "TLS certificate of localhost is not valid"
  }
  wait_for 30 "$name: an untrusted server certificate fails the fetch" fetch_error
  check "$name: nothing was accepted" \
    test "$("$RECONCILE" status --state "$WORK/$name" --json |
      json_query "d['daemon'].get('desired_commit', '')")" = ""
  check "$name: the daemon stops cleanly" stop_daemon
}
refused refused-system
refused refused-other-ca --ca-file "$tls/other-ca.pem"

# A CA file that cannot be read is a clear error too.
"$RECONCILE" watch --repo "$url" --state "$WORK/bad-ca" --listen off \
  --ca-file "$WORK/missing.pem" >"$WORK/bad-ca.log" 2>&1 &
DAEMON_PID=$!
# shellcheck disable=SC2317  # called through wait_for
bad_ca_error() {
  "$RECONCILE" status --state "$WORK/bad-ca" --json |
    json_query "d['daemon'].get('last_fetch_error', '')" |
    grep -q -- "--ca-file $WORK/missing.pem: cannot load the CA certificates"
}
wait_for 30 "a missing --ca-file fails the fetch with its name" bad_ca_error
check "bad-ca: the daemon stops cleanly" stop_daemon

# Trusted through --ca-file: fetched, applied, and a second push follows.
"$RECONCILE" watch --repo "$url" --state "$STATE" --listen off --ca-file "$tls/ca.pem" \
  --ssh-key "$BED/client_key" --known-hosts "$BED/known_hosts" --interval 1h >>"$LOG" 2>&1 &
DAEMON_PID=$!
wait_for 120 "the commit fetched over HTTPS converges" every_host_converged_at "$first"
check "hosts have the file" every_host_has "$file" "over https"

set_file "$file" "over https, again"
second=$(commit "again")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" --quiet
wait_for 60 "a second push over HTTPS is applied" every_host_has "$file" "over https, again"
wait_for 30 "and recorded" every_host_converged_at "$second"
check "the server saw the daemon's fetches" grep -q "POST /infra.git/git-upload-pack" "$WORK/server.log"

check "the daemon stops cleanly" stop_daemon
remove_file "$file"
finish
