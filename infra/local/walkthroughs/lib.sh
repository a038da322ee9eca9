# Sourced by every walk-through in this directory: where the local stack is, the back office's token, and the
# checks. A walk-through stops at the first step that does not show what it should, naming the line.
#
#   API          the local stack (default http://localhost:8080, what `make dev` serves)
#   ADMIN_TOKEN  the back office's token (default: the one `make dev` wrote to .tools/admin-token)
#   SERVER_KEY   the server storefront's key (default: the one `make dev` keeps in .tools/server-key)
#   RUN          makes this run's addresses new (default: the time), so a walk-through runs again on one stack

set -euo pipefail
shopt -s inherit_errexit
trap 'echo "FAIL ${BASH_SOURCE[0]##*/} line $LINENO: exit status $? of: $BASH_COMMAND" >&2' ERR

API=${API:-http://localhost:8080}
RUN=${RUN:-$(date +%s)}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

for tool in curl jq; do
  command -v $tool >/dev/null || { echo "this walk-through needs $tool (apt-get install $tool)" >&2; exit 1; }
done
curl -s -o /dev/null "$API/_local/mailbox.json" ||
  { echo "no local stack at $API: start one with make dev, or set API" >&2; exit 1; }

# admin_token prints the back office's token.
admin_token() {
  if [ -n "${ADMIN_TOKEN:-}" ]; then echo "$ADMIN_TOKEN"; else cat "$ROOT/.tools/admin-token"; fi
}

# server_key prints the server storefront's key.
server_key() {
  if [ -n "${SERVER_KEY:-}" ]; then echo "$SERVER_KEY"; else cat "$ROOT/.tools/server-key"; fi
}

# step TEXT prints what the next commands show.
step() { printf '\n== %s\n' "$*"; }

# expect ACTUAL = WANTED, or expect ACTUAL ~ REGEX (grep -E): prints ACTUAL, or fails the walk-through.
expect() {
  local got=$1 op=$2 want=$3 where="${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
  case $op in
    =) [ "$got" = "$want" ] ;;
    '~') grep -Eq -- "$want" <<<"$got" ;;
    *) echo "FAIL $where: expect ACTUAL = WANTED or ACTUAL ~ REGEX, not $op" >&2; exit 2 ;;
  esac || {
    printf 'FAIL %s\n  got:  %s\n  want: %s %s\n' "$where" "$got" "$op" "$want" >&2
    exit 1
  }
  printf '   ok %s\n' "$got"
}

# mail_to ADDRESS [SUBJECT-REGEX [SEEN]] prints, as JSON, the newest mail to ADDRESS whose subject matches, once
# more than SEEN (default 0) such mails arrived. Mail goes outbox -> Pipe -> SQS -> mailer -> SES on its own
# time, so this asks the mailbox again, every 0.2 s for up to 20 s, and then fails.
mail_to() {
  local to=$1 subject=${2:-} seen=${3:-0} mails deadline=$((SECONDS + 20))
  while [ $SECONDS -lt $deadline ]; do
    mails=$(mails_to "$to" "$subject")
    if [ "$(jq length <<<"$mails")" -gt "$seen" ]; then
      jq '.[-1]' <<<"$mails"
      return
    fi
    sleep 0.2
  done
  echo "FAIL ${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}: no new mail to $to (subject ~ \"$subject\", $seen seen before) in 20 s; its mails:" >&2
  curl -s "$API/_local/mailbox.json" | jq -r --arg to "$to" '.[] | select(.to[0] == $to) | "  \(.subject)"' >&2
  return 1
}

# mails_to ADDRESS [SUBJECT-REGEX] prints the mails to ADDRESS whose subject matches, oldest first, as JSON.
mails_to() {
  curl -s "$API/_local/mailbox.json" | jq --arg to "$1" --arg s "${2:-}" '[.[] | select(.to[0] == $to and (.subject | test($s)))]'
}

# events_of CUSTOMER-ID [COUNT] prints the detail types of the events the bus delivered about a customer, newest
# first, once there are at least COUNT (default 1): the events page takes them from the bus every second, so
# this asks it again, every 0.2 s for up to 20 s, and then fails.
events_of() {
  local id=$1 count=${2:-1} types deadline=$((SECONDS + 20))
  while [ $SECONDS -lt $deadline ]; do
    types=$(curl -s "$API/_local/events.json" | jq -c --arg id "$id" '[.[] | select(.detail.customerId == $id) | .["detail-type"]]')
    if [ "$(jq length <<<"$types")" -ge "$count" ]; then
      echo "$types"
      return
    fi
    sleep 0.2
  done
  echo "FAIL ${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}: fewer than $count events about $id in 20 s: $types" >&2
  return 1
}

# token_of LINK prints the token a mailed link carries.
token_of() {
  local re='[?&]token=([^&#]+)'
  [[ $1 =~ $re ]] || { echo "FAIL: no token in the link \"$1\"" >&2; return 1; }
  echo "${BASH_REMATCH[1]}"
}

# eventually WANTED COMMAND... runs COMMAND until it prints WANTED (what happens off the request path, in the
# mailer, shows only later), every 0.2 s for up to 20 s, and then fails.
eventually() {
  local want=$1 got deadline=$((SECONDS + 20))
  shift
  while [ $SECONDS -lt $deadline ]; do
    got=$("$@")
    if [ "$got" = "$want" ]; then
      printf '   ok %s\n' "$got"
      return
    fi
    sleep 0.2
  done
  printf 'FAIL %s line %s: after 20 s\n  got:  %s\n  want: %s\n' "${BASH_SOURCE[1]##*/}" "${BASH_LINENO[0]}" "$got" "$want" >&2
  return 1
}

# new_customer EMAIL PASSWORD registers EMAIL, confirms it by the mailed link and prints the confirmation's
# answer (customerId, sessionToken): 01-register-confirm-signin.sh in two requests.
new_customer() {
  local link out
  curl -s -o /dev/null -X POST "$API/v1/customers" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p, firstName: "Test", lastName: "Customer", consents: {terms: true}}')"
  link=$(mail_to "$1" 'please confirm' | jq -r '.links[0]')
  out=$(curl -s -X POST "$API/v1/verify-email" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg t "$(token_of "$link")" --arg p "$2" '{token: $t, password: $p}')")
  jq -e .sessionToken <<<"$out" >/dev/null || { echo "FAIL: confirming $1 answered $out" >&2; return 1; }
  echo "$out"
}
