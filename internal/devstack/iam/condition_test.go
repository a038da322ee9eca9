package iam

import (
	"testing"
)

// holds evaluates one condition, "Condition": {op: {"k:key": values}}, on a
// request whose k:key has the given values (nil: absent).
func holds(t *testing.T, op, values string, request []string) bool {
	t.Helper()
	e := evaluator(t, []string{"k:key"}, onePolicy(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"`+op+`":{"k:key":`+values+`}}}`))
	r := Request{Action: "s:Do", Resource: "*"}
	if request != nil {
		r.Context = map[string][]string{"k:key": request}
	}
	d, err := e.Evaluate(r)
	if err != nil {
		t.Fatal(err)
	}
	return d.Allowed
}

func TestConditionOperators(t *testing.T) {
	absent := []string(nil)
	empty := []string{}
	one := func(v string) []string { return []string{v} }
	tests := []struct {
		name    string
		op      string
		values  string
		request []string
		want    bool
	}{
		{"StringEquals matches its value", "StringEquals", `"a"`, one("a"), true},
		{"StringEquals is case-sensitive", "StringEquals", `"a"`, one("A"), false},
		{"StringEquals ORs its values", "StringEquals", `["a","b"]`, one("b"), true},
		{"StringEquals reads a star literally", "StringEquals", `"a*"`, one("ab"), false},
		{"StringEquals matches a literal star", "StringEquals", `"a*"`, one("a*"), true},
		{"StringEquals fails on an absent key", "StringEquals", `"a"`, absent, false},
		{"StringEquals fails on an empty set", "StringEquals", `"a"`, empty, false},
		{"StringEquals fails on several values", "StringEquals", `["a","b"]`, []string{"a", "b"}, false},
		{"StringNotEquals holds for another value", "StringNotEquals", `"a"`, one("b"), true},
		{"StringNotEquals NORs its values", "StringNotEquals", `["a","b"]`, one("b"), false},
		{"StringNotEquals holds on an absent key", "StringNotEquals", `"a"`, absent, true},
		{"StringNotEquals fails on several values", "StringNotEquals", `"a"`, []string{"b", "c"}, false},
		{"StringEqualsIgnoreCase ignores case", "StringEqualsIgnoreCase", `"ABC"`, one("abc"), true},
		{"StringEqualsIgnoreCase folds non-ASCII", "StringEqualsIgnoreCase", `"ÉTÉ"`, one("été"), true},
		{"StringEqualsIgnoreCase fails on another value", "StringEqualsIgnoreCase", `"abc"`, one("abd"), false},
		{"StringNotEqualsIgnoreCase fails on a value in another case", "StringNotEqualsIgnoreCase", `"ABC"`, one("abc"), false},
		{"StringNotEqualsIgnoreCase holds for another value", "StringNotEqualsIgnoreCase", `"ABC"`, one("abd"), true},
		{"StringLike star", "StringLike", `"CUSTOMER#*"`, one("CUSTOMER#12"), true},
		{"StringLike star matches nothing too", "StringLike", `"CUSTOMER#*"`, one("CUSTOMER#"), true},
		{"StringLike is case-sensitive", "StringLike", `"CUSTOMER#*"`, one("customer#1"), false},
		{"StringLike question mark", "StringLike", `"a?c"`, one("abc"), true},
		{"StringLike question mark is one character", "StringLike", `"a?c"`, one("ac"), false},
		{"StringLike question mark is one non-ASCII character", "StringLike", `"a?c"`, one("aéc"), true},
		{"StringLike several stars", "StringLike", `"*@*.example"`, one("a@b.example"), true},
		{"StringLike anchors the end", "StringLike", `"*@shop.example"`, one("a@shop.example.evil"), false},
		{"StringNotLike fails on a match", "StringNotLike", `["x*","a*"]`, one("abc"), false},
		{"StringNotLike holds when none matches", "StringNotLike", `["x*","y*"]`, one("abc"), true},
		{"StringNotLike holds on an absent key", "StringNotLike", `"a*"`, absent, true},
		{"StringLikeIfExists holds on an absent key", "StringLikeIfExists", `"a*"`, absent, true},
		{"StringLikeIfExists tests a present key", "StringLikeIfExists", `"a*"`, one("b"), false},
		{"StringNotEqualsIfExists holds on an absent key", "StringNotEqualsIfExists", `"a"`, absent, true},
		{"StringEqualsIfExists holds on an empty set", "StringEqualsIfExists", `"a"`, empty, true},

		{"ArnLike matches part by part", "ArnLike", `"arn:aws:sqs:*:123:*"`, one("arn:aws:sqs:us-east-1:123:q"), true},
		{"ArnLike keeps a wildcard inside its part", "ArnLike", `"arn:aws:sqs:us-east-1:*:q"`, one("arn:aws:sqs:us-east-1:1:2:q"), false},
		{"ArnLike resource part holds colons", "ArnLike", `"arn:aws:lambda:*:*:function:*"`, one("arn:aws:lambda:us-east-1:1:function:f:live"), true},
		{"ArnLike is case-sensitive", "ArnLike", `"arn:aws:sqs:*:*:Q"`, one("arn:aws:sqs:r:1:q"), false},
		{"ArnLike fails on a value that is not an ARN", "ArnLike", `"arn:*:*:*:*:*"`, one("not-an-arn"), false},
		{"ArnLike fails on five parts", "ArnLike", `"arn:*:*:*:*:*"`, one("arn:aws:sqs:r:1"), false},
		{"ArnEquals takes wildcards", "ArnEquals", `"arn:aws:sqs:*:*:q"`, one("arn:aws:sqs:r:1:q"), true},
		{"ArnEquals exact", "ArnEquals", `"arn:aws:sqs:r:1:q"`, one("arn:aws:sqs:r:1:q"), true},
		{"ArnNotEquals holds for another ARN", "ArnNotEquals", `"arn:aws:sqs:r:1:q"`, one("arn:aws:sqs:r:1:p"), true},
		{"ArnNotLike fails on a match", "ArnNotLike", `"arn:aws:sqs:*:*:*"`, one("arn:aws:sqs:r:1:p"), false},
		{"ArnNotLike fails on a value that is not an ARN", "ArnNotLike", `"arn:aws:sqs:*:*:*"`, one("nope"), false},
		{"ArnNotLike holds on an absent key", "ArnNotLike", `"arn:aws:sqs:*:*:*"`, absent, true},
		{"ArnLikeIfExists holds on an absent key", "ArnLikeIfExists", `"arn:aws:sqs:*:*:*"`, absent, true},

		{"Bool true", "Bool", `"true"`, one("true"), true},
		{"Bool ignores case", "Bool", `"True"`, one("TRUE"), true},
		{"Bool JSON false", "Bool", `false`, one("false"), true},
		{"Bool fails on the other value", "Bool", `"true"`, one("false"), false},
		{"Bool fails on a non-boolean", "Bool", `"true"`, one("1"), false},
		{"Bool fails on an absent key", "Bool", `"false"`, absent, false},
		{"BoolIfExists holds on an absent key", "BoolIfExists", `"false"`, absent, true},

		{"Null true holds on an absent key", "Null", `"true"`, absent, true},
		{"Null true holds on an empty set", "Null", `"true"`, empty, true},
		{"Null true fails on a present key", "Null", `"true"`, one("x"), false},
		{"Null false holds on a present key", "Null", `"false"`, one("x"), true},
		{"Null false fails on an absent key", "Null", `"false"`, absent, false},
		{"Null ORs its values", "Null", `["true","false"]`, absent, true},

		{"NumericEquals compares numbers", "NumericEquals", `"10"`, one("10.0"), true},
		{"NumericEquals JSON number", "NumericEquals", `10`, one("10"), true},
		{"NumericEquals negative", "NumericEquals", `"-1.5"`, one("-1.50"), true},
		{"NumericEquals fails on text", "NumericEquals", `"10"`, one("ten"), false},
		{"NumericEquals fails on an exponent", "NumericEquals", `"1000"`, one("1e3"), false},
		{"NumericNotEquals NORs its values", "NumericNotEquals", `["1","2"]`, one("2"), false},
		{"NumericNotEquals holds for another number", "NumericNotEquals", `["1","2"]`, one("3"), true},
		{"NumericNotEquals fails on text", "NumericNotEquals", `"1"`, one("x"), false},
		{"NumericNotEquals holds on an absent key", "NumericNotEquals", `"1"`, absent, true},
		{"NumericLessThan below", "NumericLessThan", `"10"`, one("9.99"), true},
		{"NumericLessThan at", "NumericLessThan", `"10"`, one("10"), false},
		{"NumericLessThanEquals at", "NumericLessThanEquals", `"10"`, one("10"), true},
		{"NumericLessThanEquals above", "NumericLessThanEquals", `"10"`, one("11"), false},
		{"NumericGreaterThan above", "NumericGreaterThan", `"10"`, one("10.01"), true},
		{"NumericGreaterThan at", "NumericGreaterThan", `"10"`, one("10"), false},
		{"NumericGreaterThanEquals at", "NumericGreaterThanEquals", `"10"`, one("10"), true},
		{"NumericGreaterThanEquals below", "NumericGreaterThanEquals", `"10"`, one("-10"), false},
		{"NumericGreaterThanIfExists holds on an absent key", "NumericGreaterThanIfExists", `"10"`, absent, true},
		{"NumericLessThan ORs its values", "NumericLessThan", `["1","100"]`, one("50"), true},

		{"ForAllValues holds when every value matches", "ForAllValues:StringLike", `["A#*","B#*"]`, []string{"A#1", "B#2"}, true},
		{"ForAllValues fails when one value does not match", "ForAllValues:StringLike", `["A#*","B#*"]`, []string{"A#1", "C#2"}, false},
		{"ForAllValues holds on an absent key", "ForAllValues:StringLike", `"A#*"`, absent, true},
		{"ForAllValues holds on an empty set", "ForAllValues:StringLike", `"A#*"`, empty, true},
		{"ForAllValues with a negated operator", "ForAllValues:StringNotEquals", `"A"`, []string{"B", "C"}, true},
		{"ForAllValues with a negated operator fails on a listed value", "ForAllValues:StringNotEquals", `"A"`, []string{"B", "A"}, false},
		{"ForAllValues numeric", "ForAllValues:NumericLessThan", `"10"`, []string{"1", "9"}, true},
		{"ForAllValues Bool", "ForAllValues:Bool", `"true"`, []string{"true", "false"}, false},
		{"ForAnyValue holds when one value matches", "ForAnyValue:StringEquals", `"A"`, []string{"B", "A"}, true},
		{"ForAnyValue fails when none matches", "ForAnyValue:StringEquals", `"A"`, []string{"B", "C"}, false},
		{"ForAnyValue fails on an absent key", "ForAnyValue:StringEquals", `"A"`, absent, false},
		{"ForAnyValue fails on an empty set", "ForAnyValue:StringEquals", `"A"`, empty, false},
		{"ForAnyValue with a negated operator", "ForAnyValue:StringNotLike", `"A*"`, []string{"A1", "B"}, true},
		{"ForAnyValue ArnLike", "ForAnyValue:ArnLike", `"arn:aws:sqs:*:*:q"`, []string{"x", "arn:aws:sqs:r:1:q"}, true},
		{"ForAnyValue IfExists holds on an absent key", "ForAnyValue:StringEqualsIfExists", `"A"`, absent, true},
		{"ForAnyValue IfExists tests a present key", "ForAnyValue:StringEqualsIfExists", `"A"`, []string{"B"}, false},
		{"ForAllValues IfExists holds on an absent key", "ForAllValues:StringEqualsIfExists", `"A"`, absent, true},
		{"a set operator reads one value as a set of one", "ForAllValues:StringEquals", `"A"`, one("A"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := holds(t, tt.op, tt.values, tt.request), tt.want; got != want {
				t.Errorf("%s %s on %q = %v, want %v", tt.op, tt.values, tt.request, got, want)
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		want             bool
	}{
		{"empty matches empty", "", "", true},
		{"empty does not match text", "", "a", false},
		{"star matches empty", "*", "", true},
		{"star matches anything", "*", "a:b/c", true},
		{"literal", "abc", "abc", true},
		{"literal is case-sensitive", "abc", "abC", false},
		{"question mark needs a character", "?", "", false},
		{"stars back off", "a*b*c", "aXbYbZc", true},
		{"stars back off and fail", "a*b*c", "aXbYbZ", false},
		{"star then question mark", "*?", "a", true},
		{"question mark on a multibyte character", "?", "é", true},
		{"star across multibyte characters", "*é", "ééé", true},
		{"many stars", "**a**", "xxa", true},
		{"pattern longer than text", "abcd", "abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := wildcardMatch(tt.pattern, tt.s), tt.want; got != want {
				t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, want)
			}
		})
	}
}
