#!/usr/bin/env bash
# A new link, and registering an unverified address again: the newest registration wins.
. "$(dirname "$0")/lib.sh"
EMAIL=alan.$RUN@example.com
ADMIN="Authorization: Bearer $(admin_token)"

step "Register; the link is mailed"
curl -s -o /dev/null -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","password":"first try","firstName":"Alan","lastName":"Turing","consents":{"terms":true}}'
LINK=$(mail_to $EMAIL 'please confirm' | jq -r '.links[0]')
expect "$LINK" '~' '/v1/verify-email\?token='

step "Asking for a new link answers 202 for any address; only an unverified account gets one (at most one a minute)"
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/verify-email/resend -H 'Content-Type: application/json' \
  -d '{"email":"nobody.'$RUN'@example.com"}')" = '{"status":"accepted"} 202'
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/verify-email/resend -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'"}')" = '{"status":"accepted"} 202'

step "Registering the unverified address again answers the same, and replaces the pending registration"
OUT=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","password":"second try","firstName":"Alan Mathison","lastName":"Turing","consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\}$'
# The mailer completes the replacement off the request path; the back office shows it when it is done.
first_name() {
  curl -s "$API/v1/admin/customers?status=unverified" -H "$ADMIN" \
    | jq -r --arg e $EMAIL '.customers[] | select(.email == $e) | .profile.firstName'
}
eventually "Alan Mathison" first_name

step "Within the minute no second link is mailed: the link already mailed confirms the newest registration"
expect "$(mails_to $EMAIL 'please confirm' | jq length)" = 1
CODE=$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"first try"}' | jq -r .code)
expect "$CODE" = password_mismatch
STATUS=$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"second try"}' | jq -r .status)
expect "$STATUS" = verified
