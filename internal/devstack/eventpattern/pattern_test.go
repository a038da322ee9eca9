package eventpattern

import (
	"errors"
	"testing"
)

// matchCase is one pattern, one event and whether the event should match.
type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

// runMatchCases runs each case as a subtest, its pattern compiled by
// compile (Compile, or CompileForPipes).
func runMatchCases(t *testing.T, compile func(string) (*Pattern, error), cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compile(tc.pattern)
			if err != nil {
				t.Fatalf("compiling %s: %v", tc.pattern, err)
			}
			got, err := p.Match([]byte(tc.event))
			if err != nil {
				t.Fatalf("Match(%s): %v", tc.event, err)
			}
			if got != tc.want {
				t.Errorf("pattern %s, event %s: got %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

// ec2Event is the sample event of AWS's "Amazon EventBridge event patterns"
// page (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html),
// with the detail fields event-ruler's README adds for its content examples.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0",
    "state": "terminated",
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33"
  }
}`

// Examples from https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
// and eb-create-pattern.html (matching values, nested fields, arrays).
func TestMatchExactValues(t *testing.T) {
	runMatchCases(t, Compile, []matchCase{
		{"matches the page's instance-termination pattern",
			`{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`,
			ec2Event, true},
		{"matches when the value is any one of the listed values",
			`{"source":["aws.ec2","aws.fargate"]}`, ec2Event, true},
		{"does not match a value that is not listed",
			`{"detail":{"state":["running","pending"]}}`, ec2Event, false},
		{"requires every field of the pattern",
			`{"source":["aws.ec2"],"detail":{"missing":["x"]}}`, ec2Event, false},
		{"is case sensitive",
			`{"source":["AWS.EC2"]}`, ec2Event, false},
		{"matches when the event array holds one of the values",
			`{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0","other"]}`, ec2Event, true},
		{"does not match when the event array holds none of the values",
			`{"resources":["nope"]}`, ec2Event, false},
		{"compares numbers numerically, 3 matching 3.0",
			`{"detail":{"d-count":[3.0]}}`, ec2Event, true},
		{"compares numbers numerically, 301.8 matching 3.018e2",
			`{"detail":{"x-limit":[3.018e2]}}`, ec2Event, true},
		{"does not match the string \"3\" with the number 3",
			`{"a":[3]}`, `{"a":"3"}`, false},
		{"does not match the number 3 with the string \"3\"",
			`{"a":["3"]}`, `{"a":3}`, false},
		{"matches true", `{"a":[true]}`, `{"a":true}`, true},
		{"does not match false with true", `{"a":[true]}`, `{"a":false}`, false},
		{"does not match the string \"true\" with true", `{"a":[true]}`, `{"a":"true"}`, false},
		// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
		{"matches an empty string", `{"detail":{"eventVersion":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"matches null", `{"detail":{"responseElements":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"does not match null with an empty string", `{"detail":{"responseElements":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, false},
		{"does not match an empty string with null", `{"detail":{"eventVersion":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, false},
		{"does not match an absent field with null", `{"detail":{"other":[null]}}`, `{"detail":{}}`, false},
		{"does not match a nested pattern against a string", `{"detail":{"state":["x"]}}`, `{"detail":"state"}`, false},
		{"does not match a leaf pattern against an object", `{"detail":["x"]}`, `{"detail":{"state":"x"}}`, false},
	})
}

// JSON array matching, from event-ruler's README ("JSON Array Matching"),
// the engine AWS open-sourced from EventBridge.
func TestMatchArrays(t *testing.T) {
	const employees = `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`
	runMatchCases(t, Compile, []matchCase{
		{"matches a field inside an array of objects",
			`{"employees":{"firstName":["Anna"]}}`, employees, true},
		{"matches two fields from the same element",
			`{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, employees, true},
		{"does not combine fields from different elements",
			`{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, employees, false},
		{"matches through nested arrays",
			`{"employees":{"firstName":["Peter"]}}`, `{"employees":[[{"firstName":"John"}],[{"firstName":"Peter"}]]}`, true},
		{"matches any element of an array of numbers numerically",
			`{"ids":[2]}`, `{"ids":[1,2.0,3]}`, true},
		{"does not match an empty array",
			`{"ids":[1]}`, `{"ids":[]}`, false},
	})
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// ("Exists matching") and event-ruler's exists tests.
func TestMatchExists(t *testing.T) {
	runMatchCases(t, Compile, []matchCase{
		{"exists true matches a present field",
			`{"detail":{"c-count":[{"exists":true}]}}`, ec2Event, true},
		{"exists true does not match an absent field",
			`{"detail":{"e-count":[{"exists":true}]}}`, ec2Event, false},
		{"exists false matches an absent field",
			`{"detail":{"e-count":[{"exists":false}]}}`, ec2Event, true},
		{"exists false does not match a present field",
			`{"detail":{"c-count":[{"exists":false}]}}`, ec2Event, false},
		{"exists false matches when the parent object is absent",
			`{"detail":{"c-count":[{"exists":false}]}}`, `{"source":"x"}`, true},
		{"exists false matches the docs' event without detail.c-count",
			`{"detail":{"c-count":[{"exists":false}]}}`,
			`{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],"detail":{"state":["initializing","running"]}}`, true},
		{"exists false matches an intermediate node, since exists only works on leaves",
			`{"detail":{"c-count":[{"exists":false}]}}`, `{"detail":{"state":"x","c-count":{"c1":100}}}`, true},
		{"exists true does not match an intermediate node",
			`{"detail":{"c-count":[{"exists":true}]}}`, `{"detail":{"c-count":{"c1":100}}}`, false},
		{"exists true matches a null, a present leaf",
			`{"a":[{"exists":true}]}`, `{"a":null}`, true},
		{"exists false does not match a null, a present leaf",
			`{"a":[{"exists":false}]}`, `{"a":null}`, false},
		{"exists true matches an empty string",
			`{"a":[{"exists":true}]}`, `{"a":""}`, true},
		{"exists true does not match an empty array, which has no leaf",
			`{"a":[{"exists":true}]}`, `{"a":[]}`, false},
		{"exists false matches an empty array",
			`{"a":[{"exists":false}]}`, `{"a":[]}`, true},
		{"exists false looks at the whole event, not one array element",
			`{"d":{"a":[{"exists":false}]}}`, `{"d":[{"a":1},{"b":2}]}`, false},
		{"exists true matches in an array of objects",
			`{"d":{"a":[{"exists":true}],"b":[{"exists":true}]}}`, `{"d":[{"a":1,"b":2}]}`, true},
		{"exists true does not combine different elements",
			`{"d":{"a":[{"exists":true}],"b":[{"exists":true}]}}`, `{"d":[{"a":1},{"b":2}]}`, false},
		{"exists false or a value matches either",
			`{"a":["x",{"exists":false}]}`, `{"b":1}`, true},
	})
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// (prefix, suffix, equals-ignore-case, wildcard).
func TestMatchStringOperators(t *testing.T) {
	runMatchCases(t, Compile, []matchCase{
		{"prefix matches the docs' time example",
			`{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"prefix does not match another prefix",
			`{"Region":[{"prefix":"us-"}]}`, `{"Region":"eu-west-1"}`, false},
		{"prefix does not match a number", `{"a":[{"prefix":"1"}]}`, `{"a":12}`, false},
		{"prefix ignoring case matches the docs' eventb example",
			`{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"EventBridge"}`, true},
		{"prefix ignoring case does not match elsewhere in the string",
			`{"service":[{"prefix":{"equals-ignore-case":"bridge"}}]}`, `{"service":"EventBridge"}`, false},
		{"suffix matches the docs' .png example",
			`{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
		{"suffix is case sensitive",
			`{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.PNG"}`, false},
		{"suffix ignoring case matches the docs' tbridge example",
			`{"service":[{"suffix":{"equals-ignore-case":"tbridge"}}]}`, `{"service":"EVENTBRIDGE"}`, true},
		{"equals-ignore-case matches the docs' alice example",
			`{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alice"}`, true},
		{"equals-ignore-case does not match a longer string",
			`{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alicia"}`, false},
		{"equals-ignore-case folds non-ASCII letters",
			`{"Name":[{"equals-ignore-case":"ÉLODIE"}]}`, `{"Name":"élodie"}`, true},
		{"wildcard matches the docs' */lib/* example",
			`{"FilePath":[{"wildcard":"*/lib/*"}]}`, `{"FilePath":"/usr/lib/x.so"}`, true},
		{"wildcard matches event-ruler's Simple*Service example",
			`{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleQueueService"}`, true},
		{"wildcard anchors both ends",
			`{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"ASimpleQueueService"}`, false},
		{"wildcard star matches the empty string",
			`{"source":[{"wildcard":"a*b"}]}`, `{"source":"ab"}`, true},
		{"wildcard escaped star matches a star only",
			`{"source":[{"wildcard":"a\\*b"}]}`, `{"source":"a*b"}`, true},
		{"wildcard escaped star does not match other text",
			`{"source":[{"wildcard":"a\\*b"}]}`, `{"source":"axb"}`, false},
		{"wildcard without a star is an exact match",
			`{"source":[{"wildcard":"abc"}]}`, `{"source":"abc"}`, true},
		{"wildcard with repeated parts backtracks correctly",
			`{"source":[{"wildcard":"*ab*ab"}]}`, `{"source":"xabab"}`, true},
	})
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// ("Anything-but matching").
func TestMatchAnythingBut(t *testing.T) {
	runMatchCases(t, Compile, []matchCase{
		{"anything-but a string matches another string",
			`{"detail":{"state":[{"anything-but":"initializing"}]}}`, ec2Event, true},
		{"anything-but a string does not match that string",
			`{"detail":{"state":[{"anything-but":"terminated"}]}}`, ec2Event, false},
		{"anything-but a number does not match it numerically",
			`{"detail":{"x-limit":[{"anything-but":3.018e2}]}}`, ec2Event, false},
		{"anything-but 123 matches 124",
			`{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":124}}`, true},
		{"anything-but a list of strings does not match one of them",
			`{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"stopped"}}`, false},
		{"anything-but a list of strings matches a string not in it",
			`{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"running"}}`, true},
		{"anything-but a list of numbers does not match one of them",
			`{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":200.0}}`, false},
		{"anything-but a list of numbers matches another number",
			`{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":250}}`, true},
		{"anything-but does not match an absent field",
			`{"detail":{"state":[{"anything-but":"x"}]}}`, `{"detail":{}}`, false},
		{"anything-but matches an array holding one other value",
			`{"state":[{"anything-but":"a"}]}`, `{"state":["a","b"]}`, true},
		{"anything-but does not match an array holding only excluded values",
			`{"state":[{"anything-but":["a","b"]}]}`, `{"state":["a","b"]}`, false},
		{"anything-but prefix does not match the prefix",
			`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"anything-but prefix matches another string",
			`{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"eu-west-1"}`, true},
		{"anything-but suffix does not match the suffix",
			`{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
		{"anything-but suffix list matches other suffixes",
			`{"id":[{"anything-but":{"suffix":["1234","6789"]}}]}`, `{"id":"i-0000"}`, true},
		{"anything-but ignoring case does not match another casing",
			`{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
		{"anything-but wildcard does not match a path with /lib/",
			`{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/x"}`, false},
		{"anything-but wildcard matches a path without /lib/",
			`{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/x"}`, true},
	})
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// ("Numeric matching", "IP address matching").
func TestMatchNumericAndCIDR(t *testing.T) {
	runMatchCases(t, Compile, []matchCase{
		{"matches the docs' combined numeric example",
			`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, ec2Event, true},
		{"range excludes its open lower bound",
			`{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":0}`, false},
		{"range includes its closed upper bound",
			`{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":5}`, true},
		{"range excludes a value above it",
			`{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":5.000001}`, false},
		{"= compares 3 and 3.0 as equal",
			`{"a":[{"numeric":["=",3]}]}`, `{"a":3.0}`, true},
		{">= includes its bound",
			`{"a":[{"numeric":[">=",-1.5]}]}`, `{"a":-1.5}`, true},
		{"numeric does not match a string holding a number",
			`{"a":[{"numeric":[">",0]}]}`, `{"a":"5"}`, false},
		{"numeric matches an element of an array",
			`{"a":[{"numeric":[">",10]}]}`, `{"a":[1,20]}`, true},
		{"cidr matches the docs' 10.0.0.0/24 example",
			`{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.0.24"}}`, true},
		{"cidr does not match an address outside",
			`{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.1.1"}}`, false},
		{"cidr matches IPv6",
			`{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8:1::7"}`, true},
		{"cidr does not match a non-address",
			`{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"ten"}`, false},
	})
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// ("Or matching") and event-ruler's README ("The $or Primitive").
func TestMatchOr(t *testing.T) {
	const cw = `{"source":"aws.cloudwatch","metricName":"NetworkIn","namespace":"AWS/EC2","detail":{"detail-type":"CloudWatch Alarm State Change"}}`
	runMatchCases(t, Compile, []matchCase{
		{"matches when one branch matches",
			`{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, cw, true},
		{"does not match when no branch matches",
			`{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/ES"]}]}`, cw, false},
		{"still requires the fields beside $or",
			`{"source":["aws.ec2"],"$or":[{"metricName":["NetworkIn"]},{"namespace":["AWS/ES"]}]}`, cw, false},
		{"matches parallel $or at two levels",
			`{"$or":[{"metricName":["x"]},{"namespace":["AWS/EC2"]}],"detail":{"$or":[{"source":["y"]},{"detail-type":["CloudWatch Alarm State Change"]}]}}`, cw, true},
		{"matches a branch holding an and",
			`{"$or":[{"metricName":["x"]},{"metricName":["NetworkIn"],"namespace":["AWS/EC2"]}]}`, cw, true},
		{"matches nested $or",
			`{"$or":[{"metricName":["x"]},{"namespace":["AWS/EC2"],"$or":[{"metricName":["NetworkIn"]},{"scope":["y"]}]}]}`, cw, true},
	})
}

func TestCompileRejects(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
	}{
		{"rejects text that is not JSON", `{"a":`},
		{"rejects a pattern that is not an object", `["a"]`},
		{"rejects an empty pattern", `{}`},
		{"rejects an empty nested object", `{"a":{}}`},
		{"rejects an empty array", `{"a":[]}`},
		{"rejects a leaf that is not an array", `{"a":"x"}`},
		{"rejects a numeric leaf that is not an array", `{"a":1}`},
		{"rejects an array inside a leaf", `{"a":[["x"]]}`},
		{"rejects a field given twice", `{"a":["x"],"a":["y"]}`},
		{"rejects data after the pattern", `{"a":["x"]} {}`},
		{"rejects an unknown operator", `{"a":[{"contains":"x"}]}`},
		{"rejects an empty operator object", `{"a":[{}]}`},
		{"rejects an operator object with two keys", `{"a":[{"prefix":"x","suffix":"y"}]}`},
		{"rejects exists that is not a boolean", `{"a":[{"exists":"true"}]}`},
		{"rejects a prefix that is a number", `{"a":[{"prefix":1}]}`},
		{"rejects an unknown prefix option", `{"a":[{"prefix":{"wildcard":"x"}}]}`},
		{"rejects equals-ignore-case that is not a string", `{"a":[{"equals-ignore-case":["x"]}]}`},
		{"rejects consecutive wildcards", `{"a":[{"wildcard":"a**b"}]}`},
		{"rejects a backslash escaping another character", `{"a":[{"wildcard":"a\\b"}]}`},
		{"rejects a trailing backslash in a wildcard", `{"a":[{"wildcard":"a\\"}]}`},
		{"rejects numeric that is not an array", `{"a":[{"numeric":5}]}`},
		{"rejects an empty numeric", `{"a":[{"numeric":[]}]}`},
		{"rejects an unknown numeric operator", `{"a":[{"numeric":["!=",5]}]}`},
		{"rejects a numeric bound that is a string", `{"a":[{"numeric":[">","5"]}]}`},
		{"rejects = with a second bound", `{"a":[{"numeric":["=",5,"<",6]}]}`},
		{"rejects two lower bounds", `{"a":[{"numeric":[">",5,">",6]}]}`},
		{"rejects an upper bound first", `{"a":[{"numeric":["<",5,">",6]}]}`},
		{"rejects an empty range", `{"a":[{"numeric":[">",5,"<",5]}]}`},
		{"rejects a range upside down", `{"a":[{"numeric":[">",6,"<",5]}]}`},
		{"rejects too many numeric terms", `{"a":[{"numeric":[">",0,"<",5,"<",6]}]}`},
		{"rejects a cidr that is not a prefix", `{"a":[{"cidr":"10.0.0.300/8"}]}`},
		{"rejects a cidr that is not a string", `{"a":[{"cidr":10}]}`},
		{"rejects anything-but true", `{"a":[{"anything-but":true}]}`},
		{"rejects anything-but null", `{"a":[{"anything-but":null}]}`},
		{"rejects an empty anything-but list", `{"a":[{"anything-but":[]}]}`},
		{"rejects an anything-but list mixing strings and numbers", `{"a":[{"anything-but":["a",1]}]}`},
		{"rejects an anything-but list holding null", `{"a":[{"anything-but":["a",null]}]}`},
		{"rejects an unknown anything-but operator", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`},
		{"rejects an empty anything-but prefix", `{"a":[{"anything-but":{"prefix":""}}]}`},
		{"rejects an anything-but prefix list holding a number", `{"a":[{"anything-but":{"prefix":["a",1]}}]}`},
		{"rejects $or that is not an array", `{"$or":{"a":["x"]}}`},
		{"rejects $or with one branch", `{"$or":[{"a":["x"]}]}`},
		{"rejects $or with a non-object branch", `{"$or":[{"a":["x"]},"b"]}`},
		{"rejects an operator name as a field in $or", `{"$or":[{"numeric":[1]},{"prefix":["abc"]}]}`},
		{"rejects an invalid branch of $or", `{"$or":[{"a":["x"]},{"b":[]}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want an error", tc.pattern, p)
			}
			if !errors.Is(err, ErrInvalidPattern) {
				t.Errorf("Compile(%s) error %v does not wrap ErrInvalidPattern", tc.pattern, err)
			}
		})
	}
}

func TestCompileForPipes(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		wantErr bool
	}{
		{"accepts anything-but a value", `{"a":[{"anything-but":"x"}]}`, false},
		{"accepts prefix ignoring case", `{"a":[{"prefix":{"equals-ignore-case":"x"}}]}`, false},
		{"rejects anything-but prefix", `{"a":[{"anything-but":{"prefix":"x"}}]}`, true},
		{"rejects anything-but suffix", `{"a":[{"anything-but":{"suffix":"x"}}]}`, true},
		{"rejects anything-but ignoring case", `{"a":[{"anything-but":{"equals-ignore-case":"x"}}]}`, true},
		{"rejects anything-but wildcard", `{"a":[{"anything-but":{"wildcard":"x*"}}]}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileForPipes(tc.pattern)
			if got := err != nil; got != tc.wantErr {
				t.Errorf("CompileForPipes(%s) error = %v, want error %v", tc.pattern, err, tc.wantErr)
			}
		})
	}
}

func TestMatchRejectsEventsThatAreNotObjects(t *testing.T) {
	p, err := Compile(`{"a":["x"]}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{``, `[]`, `"a"`, `{"a":"x"`, `{"a":"x"} {}`, `null`} {
		t.Run("rejects "+event, func(t *testing.T) {
			if _, err := p.Match([]byte(event)); err == nil {
				t.Errorf("Match(%q) gave no error", event)
			}
		})
	}
}
