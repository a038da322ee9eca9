// Package iam is a small, exact evaluator of AWS IAM identity-based
// policies. The local development stack uses it to hold each Lambda
// function to the role the synthesized CloudFormation template gives it:
// every AWS call a function makes locally is put to [Evaluator.Evaluate]
// as a [Request] (action, resource ARN, condition keys) and refused when
// AWS would refuse it.
//
// # What it evaluates
//
// [Parse] reads one policy document (Version "2012-10-17", intrinsics
// already resolved to strings); [New] builds an [Evaluator] from a role's
// named policies. A request is decided as AWS decides a same-account
// request under identity policies alone: an explicit Deny wins; else any
// Allow allows; else it is an implicit deny. The [Decision] names the
// statement that decided (its Sid, else "<policy name>#<index>", the index
// counting from 0), for log lines.
//
// A statement applies when its Action (or NotAction), its Resource (or
// NotResource) and every condition match:
//
//   - Actions match with '*' and '?' wildcards, case-insensitively.
//   - Resources match with '*' and '?' wildcards over the whole ARN,
//     case-sensitively; a '*' spans ':' and '/' (AWS lets a '*' that ends an
//     ARN segment run past the colons, so "arn:aws:dynamodb:*" covers every
//     DynamoDB ARN). A request for an action without a resource uses "*".
//   - Condition operators: StringEquals, StringNotEquals,
//     StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
//     StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool,
//     Null, and the six Numeric comparisons; each with an optional IfExists
//     suffix (not Null) and an optional ForAllValues: or ForAnyValue:
//     prefix (not Null). Operator names compare case-insensitively, and so
//     do condition keys.
//
// The rules, as AWS documents them in the IAM User Guide ("Condition
// operators", "Conditions with multiple context keys or values",
// "Single-valued vs. multivalued context keys"):
//
//   - Operators of a block AND; keys of an operator AND; the values of a key
//     OR, and for a negated operator (…Not…) NOR.
//   - A key absent from the request makes a condition false, except that a
//     negated operator is then true ("If the policy condition requires that
//     the key is not matched, such as StringNotLike or ArnNotLike, and the
//     right key is not present, the condition is true"), …IfExists is then
//     true, and Null tests presence itself ("true": absent).
//   - ForAllValues holds when every request value matches some policy
//     value, and also when the key is absent or has no values: AWS's
//     "returns true if there are no context keys in the request". The
//     template's DynamoDB statements depend on it, and so does the classic
//     pitfall that a Deny with ForAllValues denies a request without the
//     key. ForAnyValue holds when some request value matches, and never
//     for an absent key or an empty set.
//   - StringLike and ArnLike take '*' and '?' and are case-sensitive.
//     ArnLike and ArnEquals (which AWS documents together, wildcards
//     included) match each of the six ARN parts by its own pattern, so a
//     wildcard never spans the ':' between partition, service, region,
//     account and resource; the resource part may hold ':' itself.
//   - Numeric values are plain decimals ("10", "-1.5"); Bool values are
//     "true" or "false" in any case. JSON booleans and numbers in a policy
//     are read as their text, as AWS reads them.
//
// Where AWS's documents are silent, this package chooses, and the oracle
// test below records each choice:
//
//   - A key with several values under an operator without a set prefix
//     matches nothing, negated or not. AWS says multivalued keys "require"
//     a set operator without saying what happens otherwise; iam-simulate
//     does the same and cites AWS (re:Inforce 2025, IAM431). A key with one
//     value is a single value: a [Request] carries no key types.
//   - A key given with no values is treated as absent. AWS's examples put
//     "missing context keys or context keys with empty values" together,
//     and say a Null condition of false rules both out.
//   - A request value the operator cannot read (a number, boolean or ARN
//     that is not one) matches no policy value, and does not satisfy a
//     negated operator either.
//   - IfExists after a set operator keeps its meaning: absent key, true.
//
// # What it does not evaluate
//
// Resource-based policies, service control and resource control policies,
// permission boundaries, session policies, cross-account access, and
// policy variables (${aws:username} and the like) are out of scope, and so
// are the Date, IpAddress and Binary operators. What is out of scope is
// refused, never guessed at: Parse returns an error for a Principal, an
// unknown element or operator, a set prefix on Null, a "${" in a resource
// or condition value, a resource that is not "*" nor an ARN (or whose
// service part has a wildcard), and values of the wrong JSON shape.
//
// # Guarantees
//
//   - An unknown condition key is an error, never a silent true or false:
//     New refuses a policy whose conditions use a key outside knownKeys,
//     naming the policy, statement and key, and Evaluate refuses a request
//     carrying a key outside them (TestNewRefusesUnknownKeys,
//     TestEvaluateRefuses). Global keys (aws:…) count only when listed.
//   - An unsupported operator or shape is a parse error, never an allow
//     (TestParseRefuses).
//   - ForAllValues over an absent key or an empty set holds, as in AWS
//     (TestConditionOperators, and the template cases of
//     TestAgreesWithIAMSimulate).
//   - Decisions agree with iam-simulate on every golden case, except the
//     few that record why AWS's documents are trusted over it
//     (TestAgreesWithIAMSimulate).
//   - For any policy and request: Parse never panics; adding Deny
//     statements never turns a deny into an allow; statement order does
//     not matter; Action "*" on Resource "*" allows every well-formed
//     request (FuzzEvaluate).
//   - A decision takes well under a microsecond for the template's role
//     (BenchmarkEvaluate).
//
// # The oracle
//
// TestAgreesWithIAMSimulate holds the evaluator to @cloud-copilot/iam-simulate,
// an independent open-source IAM simulator on npm, through two golden files:
// testdata/cases.json (hand-written cases for each rule above, then
// generated ones over the operators and keys the stack uses) and
// testdata/oracle.json (the simulator's answer to each). The test needs no
// Node. A case carrying "expect" is one where we knowingly answer otherwise
// than the simulator; its "why" says which AWS document we follow, and the
// test fails if the simulator comes to agree, so that the note goes. To
// regenerate, from the repository root:
//
//	go test ./internal/devstack/iam -run TestWriteOracleCases -write-cases
//	npm install --prefix .tools/iamoracle --no-audit --no-fund @cloud-copilot/iam-simulate@0.1.173
//	node internal/devstack/iam/testdata/oracle.mjs
//	go test ./internal/devstack/iam
//
// and review the diff of both files. oracle.json records the simulator's
// version and the SHA-256 of the cases.json it answered, and the test
// refuses a stale pair. oracle.mjs refuses cases whose answer would hang on
// how the simulator reshapes a request rather than on IAM's rules (keys it
// would drop for the action, several values for a key it types as
// single-valued).
package iam
