// Package customer holds the customer record and the rules about its
// identifiers: how an email address or username is normalised, validated and
// compared.
//
// # Guarantees
//
// Addresses mail can reach. An internationalised domain (`bücher.de`) is stored and mailed in its
// ASCII form (`xn--bcher-kva.de`); a local part outside ASCII is refused at registration, because
// SES cannot deliver to it and the account could never be confirmed.
//
// Names are not a phishing channel. Every text field refuses control, format (Unicode Cf: bidi
// overrides, zero-width characters) and line-separator characters; first and last names must match
// `namePattern` (letters, marks, spaces, apostrophes, hyphens, dots), so `Your order 4411 is
// cancelled! Call` is refused (`TestBidiNameIsRefused`). Mails to an address that is not verified
// yet carry no registrant text but the name.
package customer
