// Package account holds the writes that create and change an account, and
// what a store answers about them: one type per write, each stored in one
// transaction that either happens whole or not at all.
//
//   - Creation: everything a registration (or the back office) writes to
//     create an account, its login keys claimed in the same write.
//   - Update: one change of an account, conditional on the account being
//     as it was read.
//   - SignIn: the write that ends a sign-in attempt, with its throttle
//     counters.
//   - Records: a customer's logs, as My account exports them and the back
//     office shows them.
//
// The use cases (registration, verification, signin, myaccount, admin)
// share these types; the stores (internal/store on DynamoDB,
// internal/store/memstore in memory) implement them, and
// internal/store/storetest holds both to the same contract.
package account
