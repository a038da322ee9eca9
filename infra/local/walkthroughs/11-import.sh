#!/usr/bin/env bash
# Moving a shop: import its customers with their old password hashes (here a WooCommerce phpass, a WordPress 6.8
# bcrypt and a nopCommerce SHA-1); they sign in with their old passwords, and that sign-in replaces the old hash.
. "$(dirname "$0")/lib.sh"
ADMIN="Authorization: Bearer $(admin_token)"

step "One call takes up to 100 customers (1 MiB); each entry is validated like a registration, and skipped, not refused, when it cannot be taken"
BATCH='{"customers":[
 {"email":"woo.'$RUN'@old-shop.example","externalId":"woo-'$RUN'","emailVerified":true,"firstName":"Woo","lastName":"Commerce",
  "createdAt":"2019-05-01T10:00:00Z","consents":[{"id":"terms","version":"2019-01","givenAt":"2019-05-01T10:00:00Z"}],
  "passwordHash":{"format":"phpass","value":"$P$6Ite8zhIbIKnVpOD4jDjyI8dvOfeOX0"}},
 {"email":"wp.'$RUN'@old-shop.example","externalId":"wp-'$RUN'","emailVerified":true,"firstName":"Word","lastName":"Press",
  "passwordHash":{"format":"wordpress-bcrypt","value":"$wp$2y$05$2QB9T0kSoCl8x1nTlrQH.Owl9/1WNn9xVBX1wkmc4VJYbHrkeO28q"}},
 {"email":"nop.'$RUN'@old-shop.example","externalId":"nop-'$RUN'","emailVerified":true,"firstName":"Nop","lastName":"Commerce",
  "passwordHash":{"format":"nopcommerce","value":"EE758641737621A16A0BD055BABA0B340866EB9F","salt":"9vxjO9c="}},
 {"email":"md5.'$RUN'@old-shop.example","externalId":"md5-'$RUN'","emailVerified":true,"firstName":"Un","lastName":"Salted",
  "passwordHash":{"format":"magento2","value":"5f4dcc3b5aa765d61d8327deb882cf99::0"}}]}'
OUT=$(curl -s -X POST $API/v1/admin/customer-imports -H "$ADMIN" -H 'Content-Type: application/json' -d "$BATCH")
jq -c '{imported, skipped}' <<<"$OUT"
expect "$(jq -c '{imported, skipped}' <<<"$OUT")" = '{"imported":3,"skipped":[{"index":3,"code":"weak_hash_format"}]}'

step "Each customer signs in with the old password; the first sign-in replaced the old hash with our own, so the second verifies that"
for who in woo wp nop; do
  for round in 1 2; do
    expect "$(curl -s -o /dev/null -w '%{http_code}' -X POST $API/v1/sessions -H 'Content-Type: application/json' \
      -d '{"login":"'$who.$RUN'@old-shop.example","password":"correct horse battery"}')" = 200
  done
done

step "Sending the batch again imports nothing twice: each imported entry is skipped by its externalId"
expect "$(curl -s -X POST $API/v1/admin/customer-imports -H "$ADMIN" -H 'Content-Type: application/json' -d "$BATCH" | \
  jq -c '[.imported, [.skipped[].code]]')" = '[0,["already_imported","already_imported","already_imported","weak_hash_format"]]'
