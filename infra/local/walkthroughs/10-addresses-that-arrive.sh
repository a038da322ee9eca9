#!/usr/bin/env bash
# Addresses that arrive: the check while the shopper types, and the bounce loop (SES's mailbox simulator: the local
# stack answers a mail to bounce@simulator.amazonses.com with the bounce event SES would publish).
. "$(dirname "$0")/lib.sh"
ADMIN="Authorization: Bearer $(admin_token)"
BOUNCE=bounce+$RUN@simulator.amazonses.com
FIXED=hedy.$RUN@example.com

step "While the shopper types: a typo's suggestion, a disposable domain, whether the domain takes mail (null: DNS did not answer)"
CHECK=$(curl -s -X POST $API/v1/email-checks -H 'Content-Type: application/json' -d '{"email":"hedy@gmial.com"}')
echo "$CHECK"
expect "$(jq -c '{valid, suggestion}' <<<"$CHECK")" = '{"valid":true,"suggestion":"hedy@gmail.com"}'
expect "$(curl -s -X POST $API/v1/email-checks -H 'Content-Type: application/json' \
  -d '{"email":"hedy@mailinator.com"}' | jq .disposable)" = true

step "A shopper who just registered has no session: the registration's id tells the storefront that the mail bounced"
OUT=$(curl -s -X POST $API/v1/customers -H 'Content-Type: application/json' -d '{"email":"bounce+shopper'$RUN'@simulator.amazonses.com",
  "password":"compiler cobol","firstName":"Hedy","lastName":"Lamarr","consents":{"terms":true}}')
eventually '{"mail":"bounced"}' curl -s $API/v1/registrations/$(jq -r .registrationId <<<"$OUT")

step "A customer whose mail stops arriving: here the mailbox simulator's bounce address (its link still reaches the local mailbox)"
OUT=$(new_customer $BOUNCE 'compiler cobol')
AUTH="Authorization: Bearer $(jq -r .sessionToken <<<"$OUT")"
ID=$(jq -r .customerId <<<"$OUT")

step "SES reported the bounce (EventBridge -> ses-events): the account says so, so the storefront asks for a new address"
eventually bounced bash -c "curl -s $API/v1/customers/me -H '$AUTH' | jq -r .emailStatus"
# (the events page takes them from the bus every second)
eventually 1 bash -c "curl -s $API/_local/events.json | jq --arg id $ID \
  '[.[] | select(.detail.customerId == \$id and .[\"detail-type\"] == \"customer.email_undeliverable\")] | length'"

step "The back office lists it as undeliverable (the list is an index: eventually consistent)"
eventually bounced bash -c "curl -s '$API/v1/admin/customers?status=undeliverable&limit=100' -H '$ADMIN' | jq -r --arg id $ID \
  '[.customers[] | select(.customerId == \$id) | .emailStatus] | first'"

step "No more mail to the address: a password reset mails nothing (and still answers 202, as for any address)"
expect "$(curl -s -o /dev/null -w '%{http_code}' -X POST $API/v1/password-resets -H 'Content-Type: application/json' \
  -d '{"email":"'$BOUNCE'"}')" = 202
sleep 2
expect "$(mails_to $BOUNCE 'reset' | jq length)" = 0

step "A new address: its link arrives, and once used the account's mail is deliverable again"
expect "$(curl -s -X POST $API/v1/customers/me/email-change -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"newEmail":"'$FIXED'","password":"compiler cobol"}')" = '{"status":"accepted"}'
MOVE=$(mail_to $FIXED 'confirm your new email address' | jq -r '.links[0]')
CONFIRM=$(curl -s -X POST $API/v1/email-change -H 'Content-Type: application/json' -d '{"token":"'$(token_of "$MOVE")'"}')
echo "$CONFIRM"
expect "$(jq -r .status <<<"$CONFIRM")" = changed
expect "$(curl -s $API/v1/customers/me -H "$AUTH" | jq -c '{email, emailStatus}')" = '{"email":"'$FIXED'","emailStatus":"deliverable"}'
