package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openreg/registration/internal/devstack/iam"
)

// Enforcer stands between the local stack's principals (each function and
// each Pipe) and the emulators, and does what AWS's authorization does: it
// identifies the caller by the access key id of its SigV4 signature,
// works out each action, resource and condition key the call needs (every
// key a DynamoDB call touches, each part of a transaction, the sender's
// address of a mail), evaluates them against the caller's role in the
// template, and either forwards the call unchanged or answers what AWS
// answers a denied call (AccessDeniedException). The developer's and the
// tests' own clients (the admin keys) pass unchecked, as an administrator
// would; any other key is refused.
type Enforcer struct {
	principals map[string]*principal // by access key id
	// admins are the access keys of the developer's and the tests' own
	// clients, which pass unchecked (NewEnforcer's adminKeys); any other
	// key that is no principal is refused.
	admins map[string]bool
	dynamo *httputil.ReverseProxy
	moto   *httputil.ReverseProxy
	res    resourceNames
	log    *slog.Logger
	// secretARN finds a secret's ARN from its name (ResolveSecretsWith).
	secretARN func(context.Context, string) (string, error)
}

// ResolveSecretsWith lets the Enforcer find the ARN of a secret a call
// names by its name, with the developer's own Secrets Manager client.
func (e *Enforcer) ResolveSecretsWith(sm *secretsmanager.Client) {
	e.secretARN = func(ctx context.Context, name string) (string, error) {
		out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ARN), nil
	}
}

// principal is one function or Pipe and its role's policies.
type principal struct {
	name, role string
	eval       *iam.Evaluator
}

// resourceNames turn the names a call carries into the ARNs its
// authorization is about.
type resourceNames struct {
	// tableARNPrefix is DynamoDB Local's ARN of a table without its name.
	tableARNPrefix string
	// hashKeys are each table's and index's partition key attribute
	// ("table" or "table/index/name").
	hashKeys map[string]string
	// identities are the SES identities the template creates.
	identities map[string]bool
}

// KnownConditionKeys are the condition keys the Enforcer supplies. A policy
// that uses any other is refused at start (iam.New), never evaluated to a
// guess.
var KnownConditionKeys = []string{
	"dynamodb:LeadingKeys",
	"ses:FromAddress", "ses:FromDisplayName", "ses:Recipients", "ses:ApiVersion",
	"events:source", "events:detail-type",
}

// AccessKeyFor is the access key id a principal of the template signs
// with: its kind and name, upper-case letters and digits only (DynamoDB
// Local rejects some other shapes), e.g. FNSIGNIN, PIPEOUTBOXPIPE.
func AccessKeyFor(kind, name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(kind + name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Kinds of principals (AccessKeyFor).
const (
	KindFunction = "fn"
	KindPipe     = "pipe"
)

// NewEnforcer builds the enforcing layer for a template whose resources
// the local stack created (l), in front of DynamoDB Local and moto. Every
// policy of every function's and Pipe's role is resolved and parsed here: a
// policy the evaluator cannot evaluate exactly (an unknown condition key or
// operator) is an error, so the stack does not start.
func NewEnforcer(t Template, l Locals, dynamoURL, motoURL string, log *slog.Logger, adminKeys ...string) (*Enforcer, error) {
	e := &Enforcer{principals: map[string]*principal{}, admins: map[string]bool{}, log: log}
	for _, k := range adminKeys {
		e.admins[k] = true
	}
	var err error
	if e.dynamo, err = reverseProxy(dynamoURL); err != nil {
		return nil, err
	}
	if e.moto, err = reverseProxy(motoURL); err != nil {
		return nil, err
	}
	if e.res, err = namesOf(t, l); err != nil {
		return nil, err
	}
	add := func(kind, name, role string) error {
		policies := map[string]iam.Policy{}
		for _, p := range t.Roles[role] {
			doc, err := l.Resolve(p.Document)
			if err != nil {
				return fmt.Errorf("%s %s: policy %s: %w", kind, name, p.Name, err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			if policies[p.Name], err = iam.Parse(b); err != nil {
				return fmt.Errorf("%s %s: policy %s: %w", kind, name, p.Name, err)
			}
		}
		ev, err := iam.New(policies, KnownConditionKeys)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		key := AccessKeyFor(kind, name)
		if other, taken := e.principals[key]; taken {
			return fmt.Errorf("%s %s and %s share the access key %s", kind, name, other.name, key)
		}
		e.principals[key] = &principal{name: name, role: role, eval: ev}
		return nil
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(t.Functions)) {
		errs = append(errs, add(KindFunction, name, t.Functions[name].Role))
	}
	for _, p := range t.Pipes {
		errs = append(errs, add(KindPipe, p.LogicalID, p.Role))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return e, nil
}

func reverseProxy(target string) (*httputil.ReverseProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("emulator address %q: %v", target, err)
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // the signature covers the Host header
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			// As an unreachable endpoint would look to the SDK.
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}, nil
}

// namesOf finds the table's ARN shape, its keys and the SES identities.
func namesOf(t Template, l Locals) (resourceNames, error) {
	n := resourceNames{hashKeys: map[string]string{}, identities: map[string]bool{}}
	for _, id := range t.OfType("AWS::DynamoDB::Table") {
		name, arn := l[id]["Ref"], l[id]["Arn"]
		if name == "" || arn == "" {
			return n, fmt.Errorf("table %s was not created locally", id)
		}
		n.tableARNPrefix = strings.TrimSuffix(arn, name)
		var p struct {
			KeySchema              []struct{ AttributeName, KeyType string }
			GlobalSecondaryIndexes []struct {
				IndexName string
				KeySchema []struct{ AttributeName, KeyType string }
			}
		}
		if err := json.Unmarshal(t.Properties[id], &p); err != nil {
			return n, err
		}
		hash := func(ks []struct{ AttributeName, KeyType string }) string {
			for _, k := range ks {
				if k.KeyType == "HASH" {
					return k.AttributeName
				}
			}
			return ""
		}
		n.hashKeys[name] = hash(p.KeySchema)
		for _, ix := range p.GlobalSecondaryIndexes {
			n.hashKeys[name+"/index/"+ix.IndexName] = hash(ix.KeySchema)
		}
	}
	for _, id := range t.OfType("AWS::SES::EmailIdentity") {
		n.identities[strings.ToLower(l[id]["Ref"])] = true
	}
	return n, nil
}

// PrincipalSecret is every principal's secret access key: the enforcing
// layer identifies callers, it does not authenticate them.
const PrincipalSecret = "local"

// As returns the clients of one principal of the template (a function or
// a Pipe) whose calls go through the enforcing layer at endpoint.
func As(kind, name, endpoint string) Clients {
	return ClientsAs(AccessKeyFor(kind, name), PrincipalSecret, endpoint)
}

// PrincipalEnv is the environment that sends a function's SDK calls
// through the enforcing layer at endpoint, signed as that function.
func PrincipalEnv(endpoint, function string) map[string]string {
	env := map[string]string{"AWS_ACCESS_KEY_ID": AccessKeyFor(KindFunction, function), "AWS_SECRET_ACCESS_KEY": PrincipalSecret,
		"AWS_SESSION_TOKEN": ""}
	for _, s := range []string{"DYNAMODB", "DYNAMODB_STREAMS", "SQS", "SESV2", "EVENTBRIDGE", "SSM", "SECRETS_MANAGER"} {
		env["AWS_ENDPOINT_URL_"+s] = endpoint
	}
	return env
}

// check is one authorization a call needs.
type check struct {
	action, resource string
	context          map[string][]string
}

var credentialRe = regexp.MustCompile(`Credential=([A-Za-z0-9]+)/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request`)

// ServeHTTP checks and forwards one AWS call.
func (e *Enforcer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "the local stack's AWS endpoint takes SigV4-signed calls only", http.StatusForbidden)
		return
	}
	keyID, service := m[1], m[2]
	// What the emulators would read differently than this layer is refused:
	// two targets or signatures, an action in the query string.
	if len(r.Header.Values("Authorization")) > 1 || len(r.Header.Values("X-Amz-Target")) > 1 ||
		(service != "ses" && r.URL.RawQuery != "") {
		http.Error(w, "the local stack's AWS endpoint refuses ambiguous calls (two targets or signatures, or a query string)", http.StatusForbidden)
		return
	}
	up := e.moto
	if service == "dynamodb" {
		up = e.dynamo
	}
	p, ok := e.principals[keyID]
	if !ok {
		if e.admins[keyID] {
			up.ServeHTTP(w, r)
			return
		}
		p = &principal{name: keyID, role: "none"}
		e.deny(w, service, p, check{action: service + ":*", resource: "*"}, "", "its access key is no principal of the template")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	checks, err := e.checks(service, r, body)
	if err == nil && len(checks) == 0 {
		err = errors.New("a call the enforcing layer finds nothing to authorize in")
	}
	if err != nil {
		e.deny(w, service, p, check{action: service + ":?", resource: r.URL.Path}, "", err.Error())
		return
	}
	for _, c := range checks {
		d, err := p.eval.Evaluate(iam.Request{Action: c.action, Resource: c.resource, Context: c.context})
		if err != nil {
			e.deny(w, service, p, c, "", err.Error())
			return
		}
		if !d.Allowed {
			reason := "no statement of its role allows it"
			if d.Explicit {
				reason = "an explicit deny in its role"
			}
			e.deny(w, service, p, c, d.Statement, reason)
			return
		}
	}
	up.ServeHTTP(w, r)
}

// deny answers a refused call as AWS does for its service, and logs which
// principal was refused what.
func (e *Enforcer) deny(w http.ResponseWriter, service string, p *principal, c check, statement, reason string) {
	msg := fmt.Sprintf("User: arn:%s:sts::%s:assumed-role/%s/%s is not authorized to perform: %s on resource: %s because %s",
		LocalPartition, LocalAccount, p.role, p.name, c.action, c.resource, reason)
	attrs := []any{"principal", p.name, "role", p.role, "action", c.action, "resource", c.resource, "reason", reason}
	for _, k := range slices.Sorted(maps.Keys(c.context)) {
		attrs = append(attrs, k, c.context[k])
	}
	if statement != "" {
		attrs = append(attrs, "statement", statement)
	}
	e.log.Warn("AWS call denied by the template's IAM policy", attrs...)
	w.Header().Set("x-amzn-RequestId", "local-denied")
	switch service {
	case "dynamodb":
		writeJSONError(w, "application/x-amz-json-1.0", http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#AccessDeniedException", msg)
	case "sqs":
		w.Header().Set("x-amzn-query-error", "AccessDenied;Sender")
		writeJSONError(w, "application/x-amz-json-1.0", http.StatusForbidden, "com.amazonaws.sqs#AccessDenied", msg)
	case "ses":
		w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
		writeJSONError(w, "application/json", http.StatusForbidden, "AccessDeniedException", msg)
	default:
		writeJSONError(w, "application/x-amz-json-1.1", http.StatusBadRequest, "AccessDeniedException", msg)
	}
}

func writeJSONError(w http.ResponseWriter, contentType string, status int, typ, msg string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg, "Message": msg})
	_, _ = w.Write(b)
}
