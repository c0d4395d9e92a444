#!/bin/bash
# Checks netsvc's bash completion (packaging/bash-completion/netsvc) the way bash calls it:
# COMP_WORDS/COMP_CWORD for a command line, then COMPREPLY compared exactly. Needs
# bash-completion's library (package bash-completion); exits 77 (skipped) without it.
#
#   check_completion.sh COMPLETION_FILE
set -u

library=/usr/share/bash-completion/bash_completion
[ -r "$library" ] || { echo "SKIP: no $library (apt-get install bash-completion)"; exit 77; }
# shellcheck source=/dev/null
source "$library"
# shellcheck source=/dev/null
source "$1"

failures=0
# expect LINE WANTED: completing LINE (a trailing space starts a new word) offers WANTED.
expect() {
  COMP_LINE=$1
  COMP_POINT=${#COMP_LINE}
  read -ra COMP_WORDS <<<"$COMP_LINE"
  [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _netsvc
  if [ "${COMPREPLY[*]}" != "$2" ]; then
    echo "FAIL: '$1' completes to '${COMPREPLY[*]}', expected '$2'" >&2
    failures=$((failures + 1))
  fi
}

expect "netsvc " "hello time words get resolve --timeout --io-timeout --help --version"
expect "netsvc wo" "words"
expect "netsvc --t" "--timeout"
expect "netsvc time h --" "--rfc868 --timeout --io-timeout --help"
expect "netsvc words h abc --s" "--sort"
expect "netsvc words h abc --sort " "score length"
expect "netsvc words h abc --" "--min-length --sort --json --timeout --io-timeout --help"
expect "netsvc get http://x/ -" "-o --output --timeout --io-timeout --help"
expect "netsvc resolve --" "--timeout --io-timeout --help"
expect "netsvc --timeout 2 hello --t" "--timeout"

echo "completion: $((10 - failures)) of 10 command lines as expected"
[ "$failures" -eq 0 ]
