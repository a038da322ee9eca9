#!/usr/bin/env bash
# Codes beside links: a customer on another device (or in an app) confirms the address, and later resets a
# forgotten password, with the 6-digit code the mail carries next to the link; and signs in with a mailed code alone.
. "$(dirname "$0")/lib.sh"
EMAIL=barbara.$RUN@example.com

# code_in MAIL-JSON prints the 6-digit code a mail shows ("123 456"), without its space.
code_in() { jq -r .html <<<"$1" | grep -oE '\b[0-9]{3} [0-9]{3}\b' | head -1 | tr -d ' '; }

step "Register; the verification mail carries a link and, beside it, a code"
curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","password":"liskov substitution","firstName":"Barbara","lastName":"Liskov","consents":{"terms":true}}' >/dev/null
CODE=$(code_in "$(mail_to $EMAIL 'confirm')")
expect "$CODE" '~' '^[0-9]{6}$'

step "A wrong code, and a code for an address with no account, get the same answer"
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"email":"nobody.'$RUN'@example.com","code":"'$CODE'","password":"liskov substitution"}' | jq -r .code)" = code_invalid

step "The address and the code, with the password chosen at registration, confirm and sign in"
expect "$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","code":"'$CODE'","password":"liskov substitution"}' | jq -r .status)" = verified

step "A forgotten password: the reset mail carries a code too, and the code sets a new password"
curl -s -X POST $API/v1/password-resets -H 'Content-Type: application/json' -d '{"email":"'$EMAIL'"}' >/dev/null
RESET_CODE=$(code_in "$(mail_to $EMAIL 'reset your password')")
expect "$(curl -s -o /dev/null -w '%{http_code}' -X POST $API/v1/password-reset -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","code":"'$RESET_CODE'","password":"data abstraction"}')" = 204
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","password":"data abstraction"}' | jq -r '.sessionToken | length > 0')" = true

step "Passwordless: ask for a sign-in code (202 for any address), then sign in with it; it works once"
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/sign-in-codes -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'"}')" = '{"status":"accepted"} 202'
SIGN_IN_CODE=$(code_in "$(mail_to $EMAIL 'sign-in code')")
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","code":"'$SIGN_IN_CODE'"}' | jq -r '.sessionToken | length > 0')" = true
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","code":"'$SIGN_IN_CODE'"}' | jq -r .code)" = code_invalid
