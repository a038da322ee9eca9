#!/usr/bin/env bash
# A forgotten password: the reset link, single use, and what it ends.
. "$(dirname "$0")/lib.sh"
EMAIL=edsger.$RUN@example.com
SESSION=$(new_customer $EMAIL 'goto harmful' | jq -r .sessionToken)

step "Ask for a reset link: 202 for any address, with the same writes; only an account gets a mail (at most one a minute)"
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/password-resets -H 'Content-Type: application/json' \
  -d '{"email":"nobody.'$RUN'@example.com"}')" = '{"status":"accepted"} 202'
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/password-resets -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'"}')" = '{"status":"accepted"} 202'
RESET=$(mail_to $EMAIL 'reset your password' | jq -r '.links[0]')
expect "$RESET" '~' '/v1/password-reset\?token='

step "The link opens a page with a new-password field; GET changes nothing"
expect "$(curl -s "$RESET" | grep -o '<input[^>]*type="password"[^>]*>' | grep -o 'autocomplete="[^"]*"')" = 'autocomplete="new-password"'

step "The page's form posts here and is sent on to the storefront's sign-in; a JSON call gets 204"
expect "$(curl -s -o /dev/null -w '%{http_code}' -X POST $API/v1/password-reset -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$RESET")'","password":"battery staple"}')" = 204

step "Every session ended, and a \"your password was changed\" notice went out"
expect "$(curl -s $API/v1/customers/me -H "Authorization: Bearer $SESSION" | jq -r .code)" = unauthenticated
expect "$(mail_to $EMAIL 'password was changed' | jq -r .subject)" = 'Local Demo Store: your password was changed'

step "The link is single use (a newer link voids an older one; 1 h by default)"
CODE=$(curl -s -X POST $API/v1/password-reset -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$RESET")'","password":"once more"}' | jq -r .code)
expect "$CODE" = token_invalid

step "The new password signs in; the old one does not"
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","password":"goto harmful"}' | jq -r .code)" = invalid_credentials
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","password":"battery staple"}' | jq -r '.sessionToken | length > 0')" = true
