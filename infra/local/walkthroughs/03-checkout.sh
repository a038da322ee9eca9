#!/usr/bin/env bash
# A guest's cart survives registration at checkout.
. "$(dirname "$0")/lib.sh"
EMAIL=grace.$RUN@example.com

step "A guest (the shopper has no account yet) fills a cart; crawlers get {\"guestId\":null} and nothing is stored"
GUEST=$(curl -s -X POST $API/v1/guests -H 'Content-Type: application/json' -d '{"affiliateId":"newsletter"}' | jq -r .guestId)
expect "$GUEST" '~' '^[0-9a-f-]{36}$'
CART=$(curl -s -X PUT $API/v1/cart/items/SKU-1001 -H "X-Guest-Id: $GUEST" -H 'Content-Type: application/json' -d '{"quantity":2}')
expect "$CART" = '{"items":[{"sku":"SKU-1001","quantity":2}]}'
CRAWLER=$(curl -s -X POST $API/v1/guests -H 'User-Agent: Googlebot/2.1 (+http://www.google.com/bot.html)' \
  -H 'Content-Type: application/json' -d '{}')
expect "$CRAWLER" = '{"guestId":null}'

step "Register at checkout with the guest context: the guest's cart and affiliate go to the new account"
OUT=$(curl -s -X POST $API/v1/customers -H "X-Guest-Id: $GUEST" -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","password":"flow-matic","firstName":"Grace","lastName":"Hopper","consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\}$'
LINK=$(mail_to $EMAIL 'please confirm' | jq -r '.links[0]')

step "Meanwhile this browser shops on as a new guest (the answer names it in X-Guest-Id)"
LATER=$(curl -s -X PUT $API/v1/cart/items/SKU-2002 -H 'Content-Type: application/json' -d '{"quantity":1}' -D - -o /dev/null \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="x-guest-id"{print $2}')
expect "$LATER" '~' '^[0-9a-f-]{36}$'

step "Confirm with that guest's context: both carts are the customer's now"
TOKEN=$(curl -s -X POST $API/v1/verify-email -H "X-Guest-Id: $LATER" -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"flow-matic"}' | jq -r .sessionToken)
expect "$(curl -s $API/v1/cart -H "Authorization: Bearer $TOKEN")" = \
  '{"items":[{"sku":"SKU-1001","quantity":2},{"sku":"SKU-2002","quantity":1}]}'

step "The guest became the customer: it is no guest any more"
expect "$(curl -s $API/v1/cart -H "X-Guest-Id: $GUEST")" = '{"items":[]}'
