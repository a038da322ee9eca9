#!/usr/bin/env bash
# The back office: an operator's walk-through. `make dev` prints a random admin token (also in .tools/admin-token);
# deployed, the same routes take SigV4-signed requests instead (see the README).
. "$(dirname "$0")/lib.sh"
ADMIN="Authorization: Bearer $(admin_token)"
EMAIL=katherine.$RUN@example.com

step "Without the token the gateway answers; the function is never reached"
expect "$(curl -s $API/v1/admin/customers?status=verified | jq -r .code)" = unauthenticated

step "Create a customer without a password: they get an invitation and choose one on the confirm page"
NEW=$(curl -s -X POST $API/v1/admin/customers -H "$ADMIN" -H 'Content-Type: application/json' \
  -d '{"email":"'$EMAIL'","firstName":"Katherine","lastName":"Johnson"}' | jq -r .customerId)
expect "$NEW" '~' '^[0-9a-f-]{36}$'
expect "$(mail_to $EMAIL | jq -r .subject)" = 'Local Demo Store: your account is ready: choose a password'

step "List by status, newest first, a page at a time (nextCursor names the next page)"
PAGE=$(curl -s "$API/v1/admin/customers?status=unverified&limit=2" -H "$ADMIN")
jq '{emails: [.customers[].email], nextCursor}' <<<"$PAGE"
expect "$(jq -r '.customers[0].email' <<<"$PAGE")" = $EMAIL

step "Resend the link (at most one a minute, so none now), approve, read the activity and consent logs"
expect "$(curl -s -w ' %{http_code}' -X POST $API/v1/admin/customers/$NEW/verification-email -H "$ADMIN")" = '{"status":"accepted"} 202'
# Under AdminApproval the welcome goes out with the second of verify and approve; the local settings need no approval.
expect "$(curl -s -X POST $API/v1/admin/customers/$NEW/approve -H "$ADMIN" | jq -r .status)" = unverified
expect "$(curl -s "$API/v1/admin/customers/$NEW/activity?limit=10" -H "$ADMIN" | jq -c '[.activity[].type]')" = \
  '["link_mailed","registered"]'
expect "$(curl -s "$API/v1/admin/customers/$NEW/consents" -H "$ADMIN")" = '{"consents":[]}'

step "Katherine chooses her password on the invitation's confirm page (here its JSON call)"
LINK=$(mail_to $EMAIL 'choose a password' | jq -r '.links[0]')
STATUS=$(curl -s -X POST $API/v1/verify-email -H 'Content-Type: application/json' \
  -d '{"token":"'$(token_of "$LINK")'","password":"hidden figures"}' | jq -r .status)
expect "$STATUS" = verified

step "Act as a customer (here one who registered): the customer's activity log names the administrator"
OWN=$(new_customer dorothy.$RUN@example.com 'fortran fortran')
DOROTHY=$(jq -r .customerId <<<"$OWN") && OWN="Authorization: Bearer $(jq -r .sessionToken <<<"$OWN")"
IMP=$(curl -s -X POST $API/v1/admin/customers/$DOROTHY/impersonation -H "$ADMIN" | jq -r .sessionToken)
expect "$(curl -s -X PUT $API/v1/cart/items/SKU-3003 -H "Authorization: Bearer $IMP" -H 'Content-Type: application/json' \
  -d '{"quantity":1}')" = '{"items":[{"sku":"SKU-3003","quantity":1}]}'
expect "$(curl -s "$API/v1/admin/customers/$DOROTHY/activity?limit=10" -H "$ADMIN" | jq -c '.activity[0] | {type, detail}')" = \
  '{"type":"impersonated","detail":{"admin":"local-admin"}}'

step "It may not change the password or address or erase the account; signing out ends the impersonation only"
CODE=$(curl -s -X PUT $API/v1/customers/me/password -H "Authorization: Bearer $IMP" -H 'Content-Type: application/json' \
  -d '{"currentPassword":"fortran fortran","newPassword":"mine now"}' | jq -r .code)
expect "$CODE" = impersonation_forbidden
expect "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE $API/v1/sessions/current -H "Authorization: Bearer $IMP")" = 204
expect "$(curl -s $API/v1/customers/me -H "Authorization: Bearer $IMP" | jq -r .code)" = unauthenticated
expect "$(curl -s $API/v1/customers/me -H "$OWN" | jq -r .email)" = dorothy.$RUN@example.com

step "Deactivate: every session ends, and sign-in answers like a wrong password"
expect "$(curl -s -X POST $API/v1/admin/customers/$DOROTHY/deactivate -H "$ADMIN" | jq -r .status)" = deactivated
expect "$(curl -s $API/v1/customers/me -H "$OWN" | jq -r .code)" = unauthenticated
CODE=$(curl -s -X POST $API/v1/sessions -H 'Content-Type: application/json' \
  -d '{"login":"dorothy.'$RUN'@example.com","password":"fortran fortran"}' | jq -r .code)
expect "$CODE" = invalid_credentials
