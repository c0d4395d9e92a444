#!/bin/bash
# The e2e test's client, run inside the guest (tests/e2e/run.sh binds this directory read-only at
# /mnt/e2e). Plain bash with /dev/tcp, so that every connection is one connect(2) whose error
# can be told apart: a refused connection is "refused", anything else that is not the expected
# answer (a reset, a timeout, a wrong line) is "bad".
#
#   client.sh probe TARGET          one connection: prints the answer line; exit 0 ok,
#                                   1 refused, 2 bad (the reason on stdout)
#   client.sh loop OUT STOP SECONDS CLIENTS TARGET...
#                                   CLIENTS clients at once, each connecting to each TARGET in
#                                   turn, round after round, one connection at a time, until the
#                                   file STOP exists or SECONDS have passed; one line a connection
#                                   in OUT: "START END ok|refused|bad TARGET<tab>ANSWER" (times in
#                                   seconds since the epoch), then a last line "end" (wait for it)
#
# TARGET is KIND,HOST,PORT[,EXPECTED]: KIND hello (a line equal to EXPECTED, if given), time
# (a line like "Sun Nov 22 04:06:57 2026"), udp-time (the same line, for one datagram) or http
# (GET /lexical answered "HTTP/1.1 200 OK").
set -uo pipefail

errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT

time_re='^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$'

# Sets RESULT and ANSWER for one datagram to $1:$2 (udp-time): bash's /dev/udp connects its
# socket, so the answer must come from the address asked, and a closed port's ICMP error is
# "Connection refused" on the read. dd reads the datagram whole in one read(2); bash's read
# would take it a byte at a time, and a datagram's first byte is all of it that one read gets.
datagram_once() {
  local line='' status=0
  if ! { exec 3<>"/dev/udp/$1/$2"; } 2>"$errfile"; then
    RESULT=bad; ANSWER="socket: $(tr '\n' ' ' <"$errfile")"
    return
  fi
  printf '\n' >&3 2>"$errfile" || status=$?
  [ $status = 0 ] && { line=$(timeout 5 dd bs=512 count=1 status=none <&3 2>"$errfile") || status=$?; }
  exec 3<&-
  ANSWER=$line
  if [ $status = 0 ] && [[ $line =~ $time_re ]]; then RESULT=ok
  elif grep -q 'Connection refused' "$errfile"; then RESULT=refused
  elif [ $status = 124 ]; then RESULT=bad; ANSWER="<no answer within 5 s>"
  else RESULT=bad; ANSWER="${line:-<no answer>} $(tr '\n' ' ' <"$errfile")"; fi
}

# Sets RESULT (ok | refused | bad) and ANSWER for one connection to $1.
connect_once() {
  local kind host port expected line='' rest
  IFS=, read -r kind host port expected <<<"$1"
  ANSWER=
  if [ "$kind" = udp-time ]; then
    datagram_once "$host" "$port"
    return
  fi
  if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>"$errfile"; then
    if grep -q 'Connection refused' "$errfile"; then RESULT=refused; else
      RESULT=bad; ANSWER="connect: $(tr '\n' ' ' <"$errfile")"; fi
    return
  fi
  if [ "$kind" = http ]; then
    printf 'GET /lexical HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 2>/dev/null
  fi
  # The first line (bounded), then the rest until the server closes (bounded), so that closing
  # our end never resets a server still writing.
  local status=0
  IFS= read -r -t 5 line <&3 2>"$errfile" || status=$?
  if [ $status = 0 ]; then
    IFS= read -r -d '' -t 5 rest <&3 2>/dev/null || true
  elif [ $status -gt 128 ]; then
    line="<no answer within 5 s>"
  else
    line="<closed without an answer${line:+ after \"$line\"}$([ -s "$errfile" ] && printf ': %s' "$(tr '\n' ' ' <"$errfile")")>"
  fi
  exec 3<&-
  line=${line%$'\r'}
  ANSWER=$line
  case $kind in
    hello) [ -n "$line" ] && [[ -z "$expected" || "$line" == "$expected" ]] && RESULT=ok || RESULT=bad ;;
    time) [[ $line =~ $time_re ]] && RESULT=ok || RESULT=bad ;;
    http) [ "$line" = "HTTP/1.1 200 OK" ] && RESULT=ok || RESULT=bad ;;
    *) RESULT=bad; ANSWER="unknown kind $kind" ;;
  esac
}

case ${1:-} in
  probe)
    connect_once "$2"
    echo "$ANSWER"
    case $RESULT in ok) exit 0 ;; refused) echo "refused"; exit 1 ;; *) exit 2 ;; esac
    ;;
  loop)
    out=$2 stop=$3 seconds=$4 clients=$5
    shift 5
    deadline=$((SECONDS + seconds))
    # Each line is one write(2) to a file opened for appending: lines of clients never mix.
    exec 4>>"$out"
    for ((c = 0; c < clients; c++)); do
      (
        errfile=$(mktemp)
        trap 'rm -f "$errfile"' EXIT
        while [ ! -e "$stop" ] && [ $SECONDS -lt $deadline ]; do
          for target in "$@"; do
            start=$EPOCHREALTIME
            connect_once "$target"
            printf '%s %s %s %s\t%s\n' "$start" "$EPOCHREALTIME" "$RESULT" "$target" "$ANSWER" >&4
          done
        done
      ) &
    done
    wait
    echo end >&4
    ;;
  *)
    echo "usage: client.sh probe TARGET | loop OUT STOP SECONDS CLIENTS TARGET..." >&2
    exit 2
    ;;
esac
