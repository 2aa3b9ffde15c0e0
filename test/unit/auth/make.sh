#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate the test keys and tokens of test_auth.c and fuzz_jwt.c with the
# openssl CLI.  Test material only: these keys protect nothing.
#   rsa.key/.pub     RSA 2048, kid "rsa-1"   (tokens signed RS256)
#   rsa2.key/.pub    RSA 2048, kid "rsa-2"   (a second issuer key)
#   ec.key/.pub      EC P-256, kid "ec-1"    (tokens signed ES256)
#   rsa1024.pub      refused: RSA below 2048 bits
#   ec384.pub        refused: EC curve other than P-256
#   *.jwt            tokens signed by openssl (not mbedTLS), verified by the
#                    tests at now = 1700001000
#   ../../fuzz/corpus/jwt/   seeds of fuzz_jwt.c: valid and invalid tokens,
#                    and claims (inputs starting with '{')
set -euo pipefail
cd "$(dirname "$0")"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2.key
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-pkeyopt ec_param_enc:named_curve -out ec.key
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
	-pkeyopt ec_param_enc:named_curve -out ec384.key
for k in rsa rsa2 rsa1024 ec ec384; do
	openssl pkey -in $k.key -pubout -out $k.pub
done
# only the public halves of the refused keys are needed
rm -f rsa1024.key ec384.key

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

claims='{"iss":"https://auth.example.test","aud":["sentinel","other"],"sub":"alice","role":"operator","iat":1700000000,"nbf":1700000000,"exp":1700003600}'

# sign HEADER CLAIMS KEY|none|hmac: a compact JWS on stdout
sign() {
	local input sig raw
	input="$(printf '%s' "$1" | b64url).$(printf '%s' "$2" | b64url)"
	case "$3" in
	none) sig= ;;
	hmac) sig=$(printf '%s' "$input" |
		openssl dgst -sha256 -mac HMAC -macopt key:secret -binary | b64url) ;;
	ec*)
		# openssl signs in DER; JWS wants r || s, 32 bytes each
		raw=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$3" |
			openssl asn1parse -inform DER | awk -F: '/INTEGER/ {
				h = $NF
				while (length(h) < 64) h = "0" h
				printf "%s", substr(h, length(h) - 63) }')
		sig=$(printf '%s' "$raw" | xxd -r -p | b64url) ;;
	*) # RSASSA-PKCS1-v1_5 with SHA-256, the signature as is
		sig=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$3" | b64url) ;;
	esac
	printf '%s.%s\n' "$input" "$sig"
}

sign '{"alg":"RS256","typ":"JWT","kid":"rsa-1"}' "$claims" rsa.key >rs256.jwt
sign '{"alg":"ES256","typ":"JWT","kid":"ec-1"}' "$claims" ec.key >es256.jwt

seeds=../../fuzz/corpus/jwt
rm -rf "$seeds"
mkdir -p "$seeds"
cp rs256.jwt "$seeds/valid_rs256"
cp es256.jwt "$seeds/valid_es256"
sign '{"alg":"RS256"}' "${claims/operator/admin}" rsa2.key >"$seeds/valid_nokid_rsa2"
sign '{"alg":"none"}' "$claims" none >"$seeds/alg_none"
sign '{"alg":"HS256","kid":"rsa-1"}' "$claims" hmac >"$seeds/alg_hs256"
sign '{"alg":"RS256","kid":"ec-1"}' "$claims" rsa.key >"$seeds/alg_mismatch"
sign '{"alg":"ES256","kid":"nope"}' "$claims" ec.key >"$seeds/unknown_kid"
sign '{"alg":"RS256","kid":"rsa-1","crit":["x"]}' "$claims" rsa.key >"$seeds/crit"
sign '{"alg":"ES256","kid":"ec-1"}' '{"sub":"bob","role":["viewer"],"exp":1}' \
	ec.key >"$seeds/expired"
# tampered: another payload under rs256.jwt's signature
{
	printf '%s.' "$(printf '%s' '{"alg":"RS256","kid":"rsa-1"}' | b64url)"
	printf '%s.' "$(printf '%s' "${claims/operator/admin}" | b64url)"
	cut -d. -f3 rs256.jwt
} | tr -d '\n' >"$seeds/tampered"
sed 's/$/==/' es256.jwt >"$seeds/padded"
printf '%s' "$claims" >"$seeds/claims"
printf '%s' '{"iss":"https://auth.example.test","aud":"sentinel","sub":"x","role":["bogus","admin"],"nbf":1700000000.5,"exp":1.8e9}' \
	>"$seeds/claims_roles"
printf '%s' '{"sub":"","role":7,"exp":"soon","aud":[1,"sentinel"],"iss":null}' \
	>"$seeds/claims_types"
# seeds are the bare bytes, without the final newline
for f in "$seeds"/*; do
	t=$(cat "$f")
	printf '%s' "$t" >"$f"
done
