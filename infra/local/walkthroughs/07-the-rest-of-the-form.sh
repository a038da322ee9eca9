#!/usr/bin/env bash
# The rest of the form: a default address, newsletter subscriptions, and how errors look.
. "$(dirname "$0")/lib.sh"
EMAIL=lin.$RUN@example.com

step "A registration that fills every address field the settings collect stores it as the first, billing and shipping address"
# The country is checked against ISO 3166-1, the state against ISO 3166-2 ("BE" is stored as "DE-BE").
OUT=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -d '{"email":"'$EMAIL'",
  "password":"correct horse","firstName":"Lin","lastName":"Wu","streetAddress":"Unter den Linden 1",
  "zipPostalCode":"10117","city":"Berlin","countryCode":"DE","stateProvince":"BE","phone":"+49 30 123456",
  "newsletters":["general"],"consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\}$'
ERRORS=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -d '{"email":"lin2.'$RUN'@example.com",
  "password":"correct horse","firstName":"Lin","lastName":"Wu","countryCode":"DE","stateProvince":"CA",
  "consents":{"terms":true}}' | jq -c '[.errors[] | {field, code}]')
expect "$ERRORS" = '[{"field":"stateProvince","code":"invalid_state_province"}]'

step "Subscriptions are records of their own per address, newsletter and store"
# Under double opt-in a new one waits inactive until the confirmation, whose own write activates it.
LINK=$(mail_to $EMAIL 'please confirm' | jq -r '.links[0]')
TOKEN=$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"correct horse"}' | jq -r .sessionToken)
curl -s -X PATCH $API/v1/customers/me -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"newsletters":["deals"]}' > /dev/null
EXPORT=$(curl -s $API/v1/customers/me/export -H "Authorization: Bearer $TOKEN" | jq -c \
  '{address: .addresses[0] | {city, stateProvince}, billing: (.customer.billingAddressId == .addresses[0].id),
    subscriptions: [.newsletterSubscriptions[] | {newsletter, active}]}')
expect "$EXPORT" = '{"address":{"city":"Berlin","stateProvince":"DE-BE"},"billing":true,'\
'"subscriptions":[{"newsletter":"deals","active":true},{"newsletter":"general","active":false}]}'

step "Every error is an RFC 9457 application/problem+json document with a stable code"
PROBLEM=$(curl -s -D - -X POST $API/v1/customers -H 'Content-Type: application/json' -d '{"email":"nope","password":"1"}' | tr -d '\r')
sed -n '/^{/p' <<<"$PROBLEM" | jq .
expect "$(grep -i '^content-type' <<<"$PROBLEM")" = 'Content-Type: application/problem+json'
expect "$(sed -n '/^{/p' <<<"$PROBLEM" | jq -c '{code, fields: [.errors[].field] | sort}')" = \
  '{"code":"validation_failed","fields":["consents.terms","email","firstName","lastName","password"]}'
