// Package profile holds the rules of a customer's profile: which fields a
// store collects and how each is checked, the custom attributes, the
// newsletter choices, and the first address a complete profile makes. A
// registration, a change in My account and an account the back office
// creates all follow these rules, so they live here, below the three.
package profile
