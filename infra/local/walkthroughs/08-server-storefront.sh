#!/usr/bin/env bash
# A server-rendered shop calls from one address for all its shoppers: it sends its key of the settings' serverKeys
# and the shopper's address, and every per-client limit then counts the shopper.
. "$(dirname "$0")/lib.sh"
EMAIL=ssr.$RUN@example.com

step "With the key, the shopper's address is the client: the activity log has it, not the shop server's"
OUT=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -H "X-Storefront-Key: $(server_key)" \
  -H 'X-Shopper-Address: 198.51.100.7' -d '{"email":"'$EMAIL'","password":"correct horse battery","firstName":"Sam","lastName":"Server","consents":{"terms":true}}')
expect "$OUT" '~' '^\{"status":"pending_verification","next":"verify_email","registrationId":"[0-9a-f-]{36}"\}$'
LINK=$(mail_to $EMAIL 'please confirm' | jq -r '.links[0]')
TOKEN=$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"correct horse battery"}' | jq -r .sessionToken)
ACTIVITY=$(curl -s $API/v1/customers/me/export -H "Authorization: Bearer $TOKEN" | jq -c '[.activity[] | {type, sourceIp: .detail.sourceIp}]')
expect "$ACTIVITY" = '[{"type":"registered","sourceIp":"198.51.100.7"},{"type":"email_verified","sourceIp":"127.0.0.1"}]'

step "A wrong key, or a shopper address that is no IP address, is refused"
CODE=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -H "X-Storefront-Key: not-the-key" \
  -H 'X-Shopper-Address: 198.51.100.7' -d '{"email":"'$EMAIL'","password":"correct horse battery","consents":{"terms":true}}' | jq -r .code)
expect "$CODE" = invalid_storefront_key
CODE=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -H "X-Storefront-Key: $(server_key)" \
  -H 'X-Shopper-Address: somewhere' -d '{"email":"'$EMAIL'","password":"correct horse battery","consents":{"terms":true}}' | jq -r .code)
expect "$CODE" = invalid_shopper_address
