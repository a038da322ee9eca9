// Package eventpattern runs, locally, what the stack's EventBridge Pipes do
// with a DynamoDB Stream record: it matches the record against a Pipe's
// filter (an EventBridge event pattern), reads JSONPaths from it, and renders
// a Pipe's InputTemplate with it. The local development stack feeds it the
// AWS::Pipes::Pipe resources of the CloudFormation template, so the filter
// and template that run in AWS are the ones that run locally.
//
// No maintained Go matcher was available (quamina is refused by the module
// proxy), so this package implements the subset below and nothing more. What
// it does not implement is an error, from Compile or Render, never a pattern
// or template that silently matches, misses or renders something else.
//
// # Sources
//
// Each rule comes from AWS's documentation; where it is silent, from
// event-ruler (github.com/aws/event-ruler), the matching engine AWS
// open-sourced from EventBridge:
//
//   - "Amazon EventBridge event patterns" (eb-event-patterns.html) and
//     "Creating event patterns" (eb-create-pattern.html): a pattern has the
//     shape of the events it matches; every field in it must match (AND);
//     the values in a field's array are alternatives (OR); fields of the
//     event that the pattern does not name are ignored.
//   - "Comparison operators for use in event patterns"
//     (eb-create-pattern-operators.html): the operators, with their "Event
//     bus support" and "Pipe support" columns.
//   - "Matching events on null values and empty strings"
//     (eb-event-patterns-null-values.html): null and "" are different values.
//   - "Event filtering in Amazon EventBridge Pipes" (eb-pipes-event-filtering.html)
//     and "Amazon DynamoDB stream as a source" (eb-pipes-dynamodb.html): a
//     Pipe filters a stream record as Pipes presents it (eventName,
//     dynamodb.NewImage.<attr>.S, ...) with the same patterns.
//   - "Amazon EventBridge Pipes input transformation"
//     (eb-pipes-input-transformation.html): input templates, the JSONPath
//     subset and the reserved variables.
//   - event-ruler's README: wildcard escapes, $or, JSON array matching.
//
// # Patterns
//
// Compile accepts a JSON object whose values are nested objects or non-empty
// arrays. An array holds exact values or operator objects:
//
//   - Exact values: strings (case sensitive), numbers (compared numerically,
//     so 3 matches 3.0 and 301.8 matches 3.018e2; a number no float64 holds
//     is compared by its text), true, false and null. A string never
//     matches a number, nor "" null.
//   - {"prefix": s}, {"prefix": {"equals-ignore-case": s}}, {"suffix": s},
//     {"suffix": {"equals-ignore-case": s}}, {"equals-ignore-case": s}:
//     strings only; case is folded as Unicode simple folding.
//   - {"wildcard": s}: strings only; '*' matches any run of characters, "\*"
//     a star and "\\" a backslash; "**" and any other escape are errors.
//   - {"anything-but": v}: v a string, a number, a non-empty list of only
//     strings or only numbers, or {"prefix"|"suffix"|"equals-ignore-case"|
//     "wildcard": string or list of strings}. "Anything-but matching matches
//     anything except what's provided in the rule": a value of another type
//     (a number against a string list, null, true) is not excluded, so it
//     matches; an absent field has no value and does not.
//   - {"numeric": [...]}: ["=", n], one bound ([">", n], [">=", n],
//     ["<", n], ["<=", n]) or a lower bound then an upper one
//     ([">", 0, "<=", 5]); numbers only, never a string holding one.
//   - {"cidr": "10.0.0.0/24"} or an IPv6 prefix: strings that parse as an
//     address inside the prefix.
//   - {"exists": true|false}: exists matches leaves only ("Exists matching
//     only works on leaf nodes. It does not work on intermediate nodes."): a
//     field holding an object, or an empty array, does not exist; a field
//     holding null does (null is a value), so exists:false does not match
//     null. exists:false looks at the whole event: a path present in any
//     element of an array exists.
//   - "$or": [{...}, {...}, ...]: at least two objects; the event must match
//     one of them as well as the fields beside the $or. A $or branch may not
//     use an operator name as a field name.
//
// When the event's value is an array, the field matches if any element
// does. A nested pattern matched against an array of objects must match one
// element as a whole: fields from different elements never combine (event-
// ruler's "array consistency").
//
// CompileForPipes also refuses the forms of anything-but that the operator
// table marks "Pipe support: No" (prefix, suffix, equals-ignore-case and
// wildcard). TestCompileForPipes holds that.
//
// Errors: malformed JSON, a pattern that is not a non-empty object, an empty
// object or array, a leaf that is not an array, an array inside a leaf, a
// field named twice, an unknown operator, an operator object with other than
// one key, an argument of the wrong type, an empty range, a $or that is not
// an array of at least two objects. TestCompileRejects holds them.
//
// Not implemented: matching on a field name containing a dot as a path
// (event-ruler's flattening makes {"a.b": [1]} match {"a": {"b": 1}}; this
// package does not), and array consistency between a field inside a $or
// branch and the same field beside the $or (each is matched on its own).
//
// # JSONPath
//
// Lookup reads "$", then ".name" and "[index]" steps, names made of letters,
// digits, '-', '_' and '/'. The documented wildcard (*), and any other
// JSONPath syntax, is an ErrInvalidPath error. TestLookup and
// TestLookupRejectsUnsupportedPaths hold it.
//
// # Input templates
//
// Render replaces each <$.path> and <aws.pipes.…> placeholder; the rules
// for how a value is written, each quoted from AWS, are on Reserved.Render.
// In short: a template that is just a placeholder of a string sends that
// string as it is (TestTemplateInputTemplatesSendTheStoredStringAsIs: the
// SQS message body is exactly the item's outboxMessage); in a JSON template
// a string outside quotes is written as a JSON string and one inside quotes
// as escaped string content; objects and arrays are JSON in a JSON value
// and lose their quotes elsewhere. <aws.pipes.event.json> is allowed only as
// a JSON value. An unknown reserved variable is an ErrInvalidTemplate
// error; a path absent from the event, an ErrNoValue error.
//
// # Guarantees
//
// TestTemplatePatternsKeepOnlyInsertsCarryingTheirAttribute holds that the
// two Pipes' filters keep an INSERT of an item carrying their attributes and
// drop a MODIFY, a REMOVE and an INSERT without them, on real-shaped
// records in testdata. FuzzCompile holds that Compile and Match never
// panic; FuzzMatchExact, that a pattern made of an event's own values
// matches it.
package eventpattern
