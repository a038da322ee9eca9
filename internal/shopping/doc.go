// Package shopping runs the storefront's shopping state: it resolves who a
// request stands for (a signed-in customer, a guest, nobody yet), keeps the
// guest alive, runs the cart's lines, and prepares a guest's hand-over to a
// customer for the write that signs the customer in. The cart's rules (a
// line, merging two carts) and the hand-over write are package cart's.
package shopping
