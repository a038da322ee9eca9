#!/usr/bin/env bash
# My account: profile, password, address, export, signing out everywhere and erasure.
. "$(dirname "$0")/lib.sh"
EMAIL=augusta.$RUN@example.com
NEW_EMAIL=augusta.$RUN@example.org
OTHER=$(new_customer $EMAIL 'analytical engine' | jq -r .sessionToken)   # a session on another device
TOKEN=$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$EMAIL'","password":"analytical engine"}' | jq -r .sessionToken)
AUTH="Authorization: Bearer $TOKEN"

step "Change profile fields (the registration's rules apply; what the body leaves out stays)"
ME=$(curl -s -X PATCH $API/v1/customers/me -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"firstName":"Augusta","newsletters":[]}')
jq '{profile, newsletters}' <<<"$ME"
expect "$(jq -c '{profile, newsletters}' <<<"$ME")" = '{"profile":{"firstName":"Augusta","lastName":"Customer"},"newsletters":[]}'

step "Change the password with the current one: the other sessions end, this one stays, a notice is mailed"
expect "$(curl -s -o /dev/null -w '%{http_code}' -X PUT $API/v1/customers/me/password -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"currentPassword":"analytical engine","newPassword":"horse battery"}')" = 204
expect "$(curl -s $API/v1/customers/me -H "Authorization: Bearer $OTHER" | jq -r .code)" = unauthenticated
expect "$(curl -s $API/v1/customers/me -H "$AUTH" | jq -r .email)" = $EMAIL
expect "$(mail_to $EMAIL 'password was changed' | jq -r .subject)" = 'Local Demo Store: your password was changed'

step "Move to a new address: the new one gets a link, the old one a notice naming it masked"
# The account keeps its address until the link is used; the answer never says whether the new one is taken.
expect "$(curl -s -X POST $API/v1/customers/me/email-change -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"newEmail":"'$NEW_EMAIL'","password":"horse battery"}')" = '{"status":"accepted"}'
# (The notice's zero-width spaces keep mail clients from making a link of the masked address.)
NOTICE=$(mail_to $EMAIL 'new email address was requested' | jq -r '.html | gsub("\u200b"; "")')
expect "$(grep -o '[a-z]\*\*\*@[a-z]\*\*\*\.org' <<<"$NOTICE")" = 'a***@e***.org'
expect "$(grep -c "$NEW_EMAIL" <<<"$NOTICE" || true)" = 0
MOVE=$(mail_to $NEW_EMAIL 'confirm your new email address' | jq -r '.links[0]')
expect "$(curl -s $API/v1/customers/me -H "$AUTH" | jq -r .email)" = $EMAIL
expect "$(curl -s -X POST $API/v1/email-change -H 'Content-Type: application/json' -d '{"token":"'$(token_of "$MOVE")'"}')" = \
  '{"email":"'$NEW_EMAIL'","status":"changed"}'

step "Everything stored about the customer, as one JSON document"
EXPORT=$(curl -s $API/v1/customers/me/export -H "$AUTH")
jq '{customer: .customer.email, consents: [.consents[].consentId], activity: [.activity[].type]}' <<<"$EXPORT"
expect "$(jq -r .customer.email <<<"$EXPORT")" = $NEW_EMAIL
expect "$(jq -c '[.consents[].consentId]' <<<"$EXPORT")" = '["terms"]'

step "Sign out everywhere (this session too)"
expect "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE $API/v1/sessions -H "$AUTH")" = 204
expect "$(curl -s $API/v1/customers/me -H "$AUTH" | jq -r .code)" = unauthenticated

step "Erase the account (with the password): the address is free again, the consent log stays under the id only"
TOKEN=$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$NEW_EMAIL'","password":"horse battery"}' | jq -r .sessionToken)
expect "$(curl -s -X DELETE $API/v1/customers/me -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"password":"horse battery"}')" = '{"status":"accepted"}'
expect "$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"'$NEW_EMAIL'","password":"horse battery"}' | jq -r .code)" = invalid_credentials
expect "$(mail_to $NEW_EMAIL 'account was deleted' | jq -r .subject)" = 'Local Demo Store: your account was deleted'
curl -s -o /dev/null -X POST $API/v1/customers -H 'Content-Type: application/json' \
  -d '{"email":"'$NEW_EMAIL'","password":"a new start","firstName":"Augusta","lastName":"King","consents":{"terms":true}}'
expect "$(mail_to $NEW_EMAIL 'please confirm' | jq -r .subject)" = 'Local Demo Store: please confirm your email address'
