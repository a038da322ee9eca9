#!/usr/bin/env bash
# Register, confirm the address by the mailed link, sign in and out: the README's walk-through.
. "$(dirname "$0")/lib.sh"
EMAIL=ada.$RUN@example.com

step "What the storefront must render"
FORM=$(curl -s $API/v1/registration-form)
jq '{registrationType, consents, passwordPolicy}' <<<"$FORM"
expect "$(jq -r .registrationType <<<"$FORM")" = EmailValidation

step "Register (the local settings use double opt-in and a required \"terms\" consent)"
OUT=$(curl -s -w ' %{http_code}' -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","password":"correct horse","firstName":"Ada","lastName":"Lovelace","consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\} 202$'
REGISTRATION=$(jq -r .registrationId <<<"${OUT% *}")

step "The verification mail went SQS -> mailer -> SES (moto); its link, from the local mailbox"
LINK=$(mail_to $EMAIL 'please confirm' | jq -r '.links[0]')
expect "$LINK" '~' '/v1/verify-email\?token='

step "The storefront can ask what became of the mail (for a day): pending, sent, bounced or complained"
eventually '{"mail":"sent"}' curl -s $API/v1/registrations/$REGISTRATION

step "The link opens a page with a password field and a Confirm button; GET changes nothing (scanners verify no one)"
BUTTON=$(curl -s "$LINK" | grep -o '<button type="submit">[^<]*</button>')
expect "$BUTTON" = '<button type="submit">Confirm</button>'

step "Signing in now answers exactly like a wrong password (and mails a fresh link, at most one a minute)"
CODE=$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","password":"correct horse"}' | jq -r .code)
expect "$CODE" = invalid_credentials

step "Confirm with the password chosen at registration: mailbox and password proven together, signed in at once"
HEADERS=$(curl -si -X POST $API/v1/verify-email --data-urlencode "token=$(token_of "$LINK")" \
  --data-urlencode "password=correct horse" | tr -d '\r' | grep -i '^location\|^set-cookie')
echo "$HEADERS"
expect "$(grep -i '^location' <<<"$HEADERS")" '~' '^Location: http://[^/]+/account$'
expect "$(grep -i '^set-cookie' <<<"$HEADERS")" '~' '^Set-Cookie: cr_session=.+; HttpOnly'

step "Sign in: the session comes back as a cookie and in the body (a new device also gets a deviceToken, which lets its owner past a login under attack); only local return paths are honoured"
JAR=$(mktemp) && trap 'rm -f "$JAR"' EXIT
SESSION=$(curl -s -c "$JAR" -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":" '${EMAIL^^}' ","password":"correct horse","returnUrl":"//evil.example"}')
jq '{customerId, redirect, deviceToken}' <<<"$SESSION"
expect "$(jq -r .redirect <<<"$SESSION")" = /
expect "$(jq -r .deviceToken <<<"$SESSION")" '~' '^d1\.'

step "The account, by the session cookie; sign out; the cookie no longer works"
ME=$(curl -s -b "$JAR" $API/v1/customers/me | jq -c '{email, status, emailVerified}')
expect "$ME" = '{"email":"'$EMAIL'","status":"active","emailVerified":true}'
expect "$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -X DELETE $API/v1/sessions/current)" = 204
expect "$(curl -s -b "$JAR" $API/v1/customers/me | jq -r .code)" = unauthenticated

step "Registering a verified address answers as before; its owner gets a notice instead of a second account"
OUT=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'${EMAIL^}'","password":"another one","firstName":"Eve","lastName":"X","consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\}$'

step "What went out to the customer: the link, the welcome after confirming, the \"someone tried\" notice"
mail_to $EMAIL 'someone tried' >/dev/null
expect "$(mails_to $EMAIL | jq -c '[.[].subject] | sort')" = \
  '["Local Demo Store: please confirm your email address","Local Demo Store: someone tried to register with your address","Welcome to Local Demo Store"]'

step "What the rest of the shop heard on the event bus (also at $API/_local/events)"
EVENTS=$(events_of "$(jq -r .customerId <<<"$SESSION")" 6)
expect "$(jq -c sort <<<"$EVENTS")" = \
  '["customer.activated","customer.registered","customer.signed_in","customer.signed_in","customer.signed_out","customer.verified"]'
