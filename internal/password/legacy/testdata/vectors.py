"""Makes vectors.json: password hashes made by each platform's own algorithm, as the platforms' reference code
or its maintained ports make them, for TestVectors.

    pip install passlib==1.7.4 bcrypt==4.0.1 argon2-cffi==25.1.0
    python vectors.py > vectors.json

Sources: passlib 1.7.4 (phpass, django pbkdf2_sha256), pyca bcrypt 4.0.1 (bcrypt; WordPress 6.8's wp_hash_password
is bcrypt over base64(HMAC-SHA384("wp-sha384", trim(password)))), argon2-cffi 25.1.0 (PHP's password_hash argon2id
and argon2i strings, and libsodium's crypto_pwhash for Magento's Argon2ID13), hashlib (Magento's MD5 and SHA-256
versions, nopCommerce's EncryptionService.CreatePasswordHash), and the Magento hashes Shopware's migration
(shopware/SwagMigrationMagento tests/Profile/Magento2/PasswordEncoder) tests against.
"""
import base64
import hashlib
import hmac
import json
import sys

import argon2
import bcrypt
from argon2.low_level import Type, hash_secret_raw
from passlib.hash import django_pbkdf2_sha256, phpass

PASSWORDS = ["correct horse battery", "Pässwört ✓", "x" * 80]
SALT32 = "HOiS51whl8VzfvZvGfw5AKa8gn7c3bEZ"
out = []


def add(fmt, value, password, source, salt=None):
    v = {"format": fmt, "value": value, "password": password, "source": source}
    if salt is not None:
        v["salt"] = salt
    out.append(v)


def magento_argon(data, salt, ops=2, mem=67108864, seed=32):
    raw = hash_secret_raw(data.encode(), salt[:16].encode(), time_cost=ops, memory_cost=mem // 1024, parallelism=1,
                          hash_len=seed, type=Type.ID, version=19)
    return raw.hex()


for pw in PASSWORDS:
    add("argon2id", argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(pw), pw,
        "argon2-cffi PasswordHasher (PHP password_hash PASSWORD_ARGON2ID form)")
    add("shopware", argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1, type=Type.I).hash(pw), pw,
        "argon2-cffi, type I (PHP password_hash PASSWORD_ARGON2I, Shopware 6)")
    for prefix in (b"2a", b"2b"):
        add("bcrypt", bcrypt.hashpw(pw.encode()[:72], bcrypt.gensalt(rounds=4, prefix=prefix)).decode(), pw, "pyca bcrypt " + prefix.decode())
    h = bcrypt.hashpw(pw.encode()[:72], bcrypt.gensalt(rounds=5, prefix=b"2b")).decode()
    add("shopware", "$2y$" + h[4:], pw, "pyca bcrypt, $2y$ as PHP's password_hash PASSWORD_BCRYPT writes it")
    add("phpass", phpass.using(rounds=8).hash(pw), pw, "passlib phpass ($P$)")
    add("phpass", phpass.using(rounds=9, ident="H").hash(pw), pw, "passlib phpass ($H$, phpBB's ident)")
    pre = base64.b64encode(hmac.new(b"wp-sha384", pw.strip().encode(), hashlib.sha384).digest())
    add("wordpress-bcrypt", "$wp$2y$" + bcrypt.hashpw(pre, bcrypt.gensalt(rounds=5)).decode()[4:], pw,
        "WordPress 6.8 wp_hash_password: bcrypt(base64(HMAC-SHA384('wp-sha384', trim(password))))")
    add("magento2", hashlib.md5((SALT32 + pw).encode()).hexdigest() + ":" + SALT32 + ":0", pw, "Magento Encryptor version 0: md5(salt.password)")
    add("magento2", hashlib.sha256((SALT32 + pw).encode()).hexdigest() + ":" + SALT32 + ":1", pw, "Magento Encryptor version 1: sha256(salt.password)")
    add("magento2", magento_argon(pw, SALT32) + ":" + SALT32 + ":2", pw, "Magento Encryptor version 2: sodium_crypto_pwhash ARGON2ID13, interactive limits")
    add("magento2", magento_argon(pw, SALT32, ops=3, mem=33554432) + ":" + SALT32 + ":3_32_3_33554432", pw,
        "Magento Encryptor version 3 (ARGON2ID13_AGNOSTIC) with its limits")
    chained = magento_argon(hashlib.sha256((SALT32 + pw).encode()).hexdigest(), SALT32)
    add("magento2", chained + ":" + SALT32 + ":1:2", pw, "Magento upgraded hash: version 1, then 2 over its hex")
    for algo in ("sha1", "sha256", "sha512"):
        salt = base64.b64encode(hashlib.sha256((algo + pw).encode()).digest()[:5]).decode()
        add("nopcommerce", hashlib.new(algo, (pw + salt).encode()).hexdigest().upper(), pw,
            "nopCommerce EncryptionService.CreatePasswordHash " + algo.upper(), salt=salt)
    add("pbkdf2-sha256", django_pbkdf2_sha256.using(rounds=1000).hash(pw), pw, "passlib django_pbkdf2_sha256 (fast: 1,000 iterations)")
    add("pbkdf2-sha256", django_pbkdf2_sha256.using(rounds=600000).hash(pw), pw, "passlib django_pbkdf2_sha256 (600,000 iterations)")

add("magento2", "e9885e11dfcdd0e93edbc8a48b464229:HOiS51whl8VzfvZvGfw5AKa8gn7c3bEZ:0", "shopware",
    "shopware/SwagMigrationMagento Magento2Md5EncoderTest")
add("magento2", "0031eacf0a058199396f3ecd3a68ea620bb335a3bbf22e5f34547e27affa7249:HOiS51whl8VzfvZvGfw5AKa8gn7c3bEZ:1", "shopware",
    "shopware/SwagMigrationMagento Magento2Sha256EncoderTest")
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
