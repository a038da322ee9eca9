package devstack

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// What each AWS call needs authorized: its actions, the ARNs they are on
// and the condition keys AWS sets for them, as AWS's service authorization
// reference describes them.

// checks returns the authorizations one call needs.
func (e *Enforcer) checks(service string, r *http.Request, body []byte) ([]check, error) {
	target := r.Header.Get("X-Amz-Target")
	if target != "" && !targetPattern.MatchString(target) {
		return nil, fmt.Errorf("target %q is not Service.Operation", target)
	}
	_, op, _ := strings.Cut(target, ".")
	// Go matches JSON keys to fields whatever their case, the emulators
	// do not: a body whose objects hold two keys differing in case alone
	// would be read differently here and there.
	if err := caseDistinctKeys(body); err != nil {
		return nil, err
	}
	switch service {
	case "dynamodb":
		if strings.HasPrefix(target, "DynamoDBStreams_") {
			return e.streamChecks(op, body)
		}
		return e.dynamoChecks(op, body)
	case "sqs":
		return sqsChecks(r, op, body)
	case "ses":
		return e.sesChecks(r, body)
	case "events":
		return eventsChecks(op, body)
	case "secretsmanager":
		var in struct{ SecretId string }
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		// A secret named by its name is authorized on its full ARN (with
		// the random suffix Secrets Manager gives it), as in AWS.
		arn := in.SecretId
		if !strings.HasPrefix(arn, "arn:") && e.secretARN != nil {
			full, err := e.secretARN(r.Context(), arn)
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", arn, err)
			}
			arn = full
		}
		return []check{{action: "secretsmanager:" + op, resource: arn}}, nil
	case "ssm":
		var in struct {
			Name  string
			Names []string
			Path  string
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		parameter := func(n string) string {
			return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", LocalPartition, LocalRegion, LocalAccount, strings.TrimPrefix(n, "/"))
		}
		var out []check
		for _, n := range append(in.Names, in.Name, in.Path) {
			if n != "" {
				out = append(out, check{action: "ssm:" + op, resource: parameter(n)})
			}
		}
		if len(out) == 0 {
			out = append(out, check{action: "ssm:" + op, resource: "*"})
		}
		return out, nil
	}
	return nil, fmt.Errorf("the local stack does not know how AWS authorizes %s calls", service)
}

// av is a DynamoDB attribute value in DynamoDB JSON ({"S": "x"}).
type av map[string]json.RawMessage

// keyValue is an attribute value as a string, as dynamodb:LeadingKeys
// compares it.
func (v av) keyValue() string {
	for _, t := range []string{"S", "N", "B"} {
		var s string
		if raw, ok := v[t]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return ""
}

// dynamoItem is any part of a DynamoDB call that names a table and a key.
type dynamoItem struct {
	TableName                 string
	IndexName                 string
	Key                       map[string]av
	Item                      map[string]av
	KeyConditionExpression    string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]av
	KeyConditions             map[string]struct {
		ComparisonOperator string
		AttributeValueList []av
	}
}

func (e *Enforcer) tableARN(table string) string { return e.res.tableARNPrefix + table }

// leading is the partition key value of a key or an item.
func (e *Enforcer) leading(table string, key map[string]av) ([]string, error) {
	attr := e.res.hashKeys[table]
	if attr == "" {
		return nil, fmt.Errorf("table %s is not one of the template's", table)
	}
	v, ok := key[attr]
	if !ok {
		return nil, fmt.Errorf("a key of %s without its partition key %s", table, attr)
	}
	return []string{v.keyValue()}, nil
}

var (
	andRe    = regexp.MustCompile(`(?i)\s+AND\s+`)
	equality = regexp.MustCompile(`^\(*\s*([#:]?[A-Za-z0-9_]+)\s*=\s*([#:]?[A-Za-z0-9_]+)\s*\)*$`)
)

// queryLeading is the partition key value a Query's key condition names.
func (e *Enforcer) queryLeading(in dynamoItem) ([]string, error) {
	scope := in.TableName
	if in.IndexName != "" {
		scope += "/index/" + in.IndexName
	}
	attr := e.res.hashKeys[scope]
	if attr == "" {
		return nil, fmt.Errorf("%s is not a table or index of the template", scope)
	}
	if c, ok := in.KeyConditions[attr]; ok && len(c.AttributeValueList) == 1 {
		return []string{c.AttributeValueList[0].keyValue()}, nil
	}
	name := func(s string) string {
		if n, ok := in.ExpressionAttributeNames[s]; ok {
			return n
		}
		return s
	}
	for _, clause := range andRe.Split(in.KeyConditionExpression, -1) {
		m := equality.FindStringSubmatch(strings.TrimSpace(clause))
		if m == nil {
			continue
		}
		lhs, rhs := m[1], m[2]
		if strings.HasPrefix(lhs, ":") {
			lhs, rhs = rhs, lhs
		}
		if name(lhs) == attr {
			if v, ok := in.ExpressionAttributeValues[rhs]; ok {
				return []string{v.keyValue()}, nil
			}
		}
	}
	return nil, fmt.Errorf("a Query on %s whose key condition %q names no %s", scope, in.KeyConditionExpression, attr)
}

func (e *Enforcer) dynamoChecks(op string, body []byte) ([]check, error) {
	action := "dynamodb:" + op
	one := func(in dynamoItem, action string) (check, error) {
		c := check{action: action, resource: e.tableARN(in.TableName)}
		var keys []string
		var err error
		// A put's key is its item's; every other call's its Key.
		switch {
		case in.Key != nil && in.Item != nil:
			err = fmt.Errorf("a %s with both Key and Item", action)
		case action == "dynamodb:PutItem" && in.Item != nil:
			keys, err = e.leading(in.TableName, in.Item)
		case action != "dynamodb:PutItem" && in.Key != nil:
			keys, err = e.leading(in.TableName, in.Key)
		case in.Key != nil || in.Item != nil:
			err = fmt.Errorf("a %s with the wrong one of Key and Item", action)
		}
		if err != nil {
			return c, err
		}
		if keys != nil {
			c.context = map[string][]string{"dynamodb:LeadingKeys": keys}
		}
		return c, nil
	}
	switch op {
	case "GetItem", "PutItem", "UpdateItem", "DeleteItem":
		var in dynamoItem
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		c, err := one(in, action)
		return []check{c}, err
	case "Query":
		var in dynamoItem
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		keys, err := e.queryLeading(in)
		if err != nil {
			return nil, err
		}
		res := e.tableARN(in.TableName)
		if in.IndexName != "" {
			res += "/index/" + in.IndexName
		}
		return []check{{action: action, resource: res, context: map[string][]string{"dynamodb:LeadingKeys": keys}}}, nil
	case "Scan":
		var in dynamoItem
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		res := e.tableARN(in.TableName)
		if in.IndexName != "" {
			res += "/index/" + in.IndexName
		}
		return []check{{action: action, resource: res}}, nil
	case "BatchGetItem", "BatchWriteItem":
		// One authorization per table, with every key of the call on it.
		var in struct {
			RequestItems map[string]json.RawMessage
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		var out []check
		for _, table := range slices.Sorted(maps.Keys(in.RequestItems)) {
			var keys []map[string]av
			if op == "BatchGetItem" {
				var g struct{ Keys []map[string]av }
				if err := json.Unmarshal(in.RequestItems[table], &g); err != nil {
					return nil, err
				}
				keys = g.Keys
			} else {
				var ws []struct {
					PutRequest    *struct{ Item map[string]av }
					DeleteRequest *struct{ Key map[string]av }
				}
				if err := json.Unmarshal(in.RequestItems[table], &ws); err != nil {
					return nil, err
				}
				for _, w := range ws {
					if w.PutRequest != nil {
						keys = append(keys, w.PutRequest.Item)
					}
					if w.DeleteRequest != nil {
						keys = append(keys, w.DeleteRequest.Key)
					}
				}
			}
			var leading []string
			for _, k := range keys {
				l, err := e.leading(table, k)
				if err != nil {
					return nil, err
				}
				leading = append(leading, l...)
			}
			out = append(out, check{action: action, resource: e.tableARN(table), context: map[string][]string{"dynamodb:LeadingKeys": leading}})
		}
		return out, nil
	case "TransactWriteItems", "TransactGetItems":
		// A transaction needs each of its parts' own action on its own
		// key.
		var in struct {
			TransactItems []map[string]dynamoItem
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		actions := map[string]string{"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
			"ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}
		var out []check
		for _, part := range in.TransactItems {
			for kind, it := range part {
				a, ok := actions[kind]
				if !ok {
					return nil, fmt.Errorf("a transaction part %q", kind)
				}
				c, err := one(it, a)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
		return out, nil
	}
	// Table-level calls (DescribeTable, …).
	var in dynamoItem
	_ = json.Unmarshal(body, &in)
	res := "*"
	if in.TableName != "" {
		res = e.tableARN(in.TableName)
	}
	return []check{{action: action, resource: res}}, nil
}

// streamChecks: a stream's calls are on the stream's ARN (which DynamoDB
// Local writes at the start of its shard iterators).
func (e *Enforcer) streamChecks(op string, body []byte) ([]check, error) {
	var in struct{ StreamArn, ShardIterator, TableName string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	arn := in.StreamArn
	if arn == "" && in.ShardIterator != "" {
		arn, _, _ = strings.Cut(in.ShardIterator, "|")
	}
	if arn == "" {
		arn = e.tableARN(in.TableName) + "/stream/*"
	}
	return []check{{action: "dynamodb:" + op, resource: arn}}, nil
}

// sqsChecks: the batch calls are authorized as their single actions.
func sqsChecks(r *http.Request, op string, body []byte) ([]check, error) {
	var in struct{ QueueUrl, QueueName string }
	if op == "" {
		// The query protocol: Action=…&QueueUrl=… in a form.
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		op, in.QueueUrl, in.QueueName = form.Get("Action"), form.Get("QueueUrl"), form.Get("QueueName")
	} else if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	if op == "" {
		return nil, fmt.Errorf("an SQS call without an action (%s %s)", r.Method, r.URL.Path)
	}
	op = strings.TrimSuffix(op, "Batch")
	name := in.QueueName
	if in.QueueUrl != "" {
		// As moto reads it: what follows the URL's last slash.
		name = in.QueueUrl[strings.LastIndex(in.QueueUrl, "/")+1:]
	}
	res := "*"
	if name != "" {
		res = fmt.Sprintf("arn:%s:sqs:%s:%s:%s", LocalPartition, LocalRegion, LocalAccount, name)
	}
	return []check{{action: "sqs:" + op, resource: res}}, nil
}

// sesChecks: SES v2's SendEmail is authorized on the sending identity (the
// address's own if the template verifies it, else its domain's) and on the
// configuration set it names, with the bare sender address as
// ses:FromAddress.
func (e *Enforcer) sesChecks(r *http.Request, body []byte) ([]check, error) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		return nil, fmt.Errorf("an SES call (%s %s) the local stack does not authorize", r.Method, r.URL.Path)
	}
	var in struct {
		FromEmailAddress     string
		ConfigurationSetName string
		Destination          struct{ ToAddresses, CcAddresses, BccAddresses []string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(in.FromEmailAddress)
	if err != nil {
		return nil, fmt.Errorf("sender %q: %w", in.FromEmailAddress, err)
	}
	identity := strings.ToLower(from.Address)
	if !e.res.identities[identity] {
		identity = identity[strings.LastIndex(identity, "@")+1:]
	}
	ctx := map[string][]string{"ses:FromAddress": {from.Address}, "ses:ApiVersion": {"2"},
		"ses:Recipients": slices.Concat(in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses)}
	if from.Name != "" {
		ctx["ses:FromDisplayName"] = []string{from.Name}
	}
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:%s:ses:%s:%s:%s/%s", LocalPartition, LocalRegion, LocalAccount, kind, name)
	}
	out := []check{{action: "ses:SendEmail", resource: arn("identity", identity), context: ctx}}
	if in.ConfigurationSetName != "" {
		out = append(out, check{action: "ses:SendEmail", resource: arn("configuration-set", in.ConfigurationSetName), context: ctx})
	}
	return out, nil
}

// eventsChecks: PutEvents is authorized per entry, on its bus, with its
// source and detail type.
func eventsChecks(op string, body []byte) ([]check, error) {
	if op != "PutEvents" {
		return []check{{action: "events:" + op, resource: "*"}}, nil
	}
	var in struct {
		Entries []struct{ EventBusName, Source, DetailType string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	var out []check
	for _, en := range in.Entries {
		bus := en.EventBusName
		if bus == "" {
			bus = "default"
		}
		if !strings.HasPrefix(bus, "arn:") {
			bus = fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", LocalPartition, LocalRegion, LocalAccount, bus)
		}
		out = append(out, check{action: "events:PutEvents", resource: bus,
			context: map[string][]string{"events:source": {en.Source}, "events:detail-type": {en.DetailType}}})
	}
	return out, nil
}

// targetPattern is an X-Amz-Target's shape: Service.Operation.
var targetPattern = regexp.MustCompile(`^[A-Za-z0-9_]+\.[A-Za-z]+$`)

// caseDistinctKeys refuses a JSON body one of whose objects holds two keys
// that differ in letter case alone (bodies that are not JSON pass: the
// call's own parser names them).
func caseDistinctKeys(body []byte) error {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	var walk func(any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			seen := map[string]string{}
			for k, e := range v {
				if other, ok := seen[strings.ToLower(k)]; ok {
					return fmt.Errorf("the keys %q and %q differ in case alone", other, k)
				}
				seen[strings.ToLower(k)] = k
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range v {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v)
}
