package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/openreg/registration/internal/httpapi"
)

// The synthesized CloudFormation template is the local stack's source of
// truth: the functions and their environments, their roles' policies, the
// Pipes, the SQS event source mapping and the queues' redrive policies are
// read from it (LoadTemplate), its references resolved to the local
// resources (Locals), and enforced (Enforcer, Pipe, Poller).

// Where `make synth` writes the template, relative to the repository's top
// directory.
const TemplatePath = "cdk.out/CustomerRegistration.template.json"

// FunctionTag is the tag that names, on each Lambda function of the
// template, its directory under functions/ (the stack sets it).
const FunctionTag = "openreg:function"

// The local account: the partition, region and account id the emulators
// use in the ARNs they make (moto's defaults; DynamoDB Local makes its own,
// which Locals takes from it).
const (
	LocalPartition = "aws"
	LocalRegion    = "us-east-1"
	LocalAccount   = "123456789012"
)

// Function is one Lambda function of a synthesized template.
type Function struct {
	Name           string // its directory under functions/
	LogicalID      string
	MemoryMB       int
	TimeoutSeconds int
	// ReservedConcurrency is the function's reserved concurrency (0: none
	// reserved): the most environments it runs at once.
	ReservedConcurrency int
	// Environment is the template's, unresolved: each value a string or a
	// CloudFormation intrinsic.
	Environment map[string]json.RawMessage
	// Role is the logical id of the function's execution role.
	Role string
	// AssetDir is the function's code as synthesized (cdk.out/asset.…,
	// with its settings file): the local stack's LAMBDA_TASK_ROOT. Empty
	// for a template read without its assembly.
	AssetDir  string
	assetPath string
}

// Policy is one policy attached to a role: an AWS::IAM::Policy, an inline
// policy of the role, or a customer managed policy of the template. Its
// document is unresolved.
type Policy struct {
	Name     string
	Document json.RawMessage
}

// PipeDef is an AWS::Pipes::Pipe from a DynamoDB stream.
type PipeDef struct {
	LogicalID string
	Role      string // logical id of the pipe's role
	Source    json.RawMessage
	Target    json.RawMessage
	// Filters are the filter criteria's patterns (none: every record).
	Filters       []string
	InputTemplate string
	// DetailType and EventSource are the EventBridge target's parameters
	// (DetailType may be a JSONPath into the record).
	DetailType, EventSource string
	BatchSize               int
	MaximumRetryAttempts    int
	DeadLetter              json.RawMessage // unresolved ARN, or nil
	StartingPosition        string
}

// EventSourceMapping is an AWS::Lambda::EventSourceMapping from a queue.
type EventSourceMapping struct {
	Function      string // the function's name (directory)
	Source        json.RawMessage
	BatchSize     int
	WindowSeconds int
	// ReportBatchItemFailures is whether the function's partial batch
	// responses are honoured (else any failure fails the whole batch).
	ReportBatchItemFailures bool
	// MaximumConcurrency caps the concurrent invocations (0: none).
	MaximumConcurrency int
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	LogicalID         string
	VisibilitySeconds int
	RetentionSeconds  int
	// DeadLetter is the redrive policy's queue (unresolved) and MaxReceives
	// its maximum receive count; nil without a redrive policy.
	DeadLetter  json.RawMessage
	MaxReceives int
}

// APIRoute is an AWS::ApiGatewayV2::Route with its Lambda integration.
type APIRoute struct {
	Method, Path string
	Function     string // the integration's function (its directory)
	// IAM is whether the route needs IAM authorization (AWS_IAM).
	IAM bool
}

// Throttle is a stage's or a route's throttling: a token bucket of Burst
// requests refilled at Rate per second.
type Throttle struct {
	Rate  float64
	Burst int
}

// Template is what a synthesized template tells the local stack.
type Template struct {
	Functions map[string]Function
	// Types maps each resource's logical id to its type.
	Types map[string]string
	// Properties are each resource's properties, unresolved.
	Properties map[string]json.RawMessage
	// Roles are the policies attached to each role (by logical id).
	Roles    map[string][]Policy
	Pipes    []PipeDef
	Mappings []EventSourceMapping
	Queues   map[string]Queue
	// Routes are the HTTP API's routes; DefaultThrottle and
	// RouteThrottles its stage's throttling (by route key).
	Routes          []APIRoute
	DefaultThrottle *Throttle
	RouteThrottles  map[string]Throttle
	// CORS is the API's CorsConfiguration (nil: none).
	CORS *httpapi.CORS
	// Rules are the EventBridge rules on the default bus that invoke a
	// function of the template (SES's bounces and complaints).
	Rules []Rule
}

// Rule is an EventBridge rule on the default bus: its event pattern and the
// functions it invokes (by name).
type Rule struct {
	LogicalID string
	Pattern   json.RawMessage
	Functions []string
}

type cfnResource struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
	Metadata   struct {
		AssetPath string `json:"aws:asset:path"`
	} `json:"Metadata"`
}

// LoadTemplate reads a synthesized template.
func LoadTemplate(path string) (Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Template{}, fmt.Errorf("read the synthesized template (run `make synth`): %w", err)
	}
	t, err := ParseTemplate(b)
	if err != nil {
		return Template{}, fmt.Errorf("template %s: %w", path, err)
	}
	for name, f := range t.Functions {
		if f.assetPath != "" {
			f.AssetDir = filepath.Join(filepath.Dir(path), f.assetPath)
			t.Functions[name] = f
		}
	}
	return t, nil
}

// ParseTemplate reads a synthesized template's JSON.
func ParseTemplate(doc []byte) (Template, error) {
	var raw struct {
		Resources map[string]cfnResource `json:"Resources"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Template{}, err
	}
	t := Template{Functions: map[string]Function{}, Types: map[string]string{}, Properties: map[string]json.RawMessage{},
		Roles: map[string][]Policy{}, Queues: map[string]Queue{}}
	names := map[string]string{} // function logical id -> name
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(raw.Resources)) {
		r := raw.Resources[id]
		t.Types[id], t.Properties[id] = r.Type, r.Properties
		var err error
		switch r.Type {
		case "AWS::Lambda::Function":
			err = t.addFunction(id, r.Properties, r.Metadata.AssetPath, names)
		case "AWS::IAM::Role":
			err = t.addRole(id, r.Properties)
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			err = t.addPolicy(id, r.Properties)
		case "AWS::Pipes::Pipe":
			err = t.addPipe(id, r.Properties)
		case "AWS::SQS::Queue":
			err = t.addQueue(id, r.Properties)
		case "AWS::ApiGatewayV2::Api":
			err = t.addAPI(r.Properties)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(raw.Resources)) {
		var err error
		switch r := raw.Resources[id]; r.Type {
		case "AWS::Lambda::EventSourceMapping":
			err = t.addMapping(r.Properties, names)
		case "AWS::ApiGatewayV2::Route":
			err = t.addRoute(r.Properties, raw.Resources, names)
		case "AWS::ApiGatewayV2::Stage":
			err = t.addStage(r.Properties)
		case "AWS::Events::Rule":
			err = t.addRule(id, r.Properties, names)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	if len(t.Functions) == 0 {
		errs = append(errs, fmt.Errorf("no function tagged %s", FunctionTag))
	}
	return t, errors.Join(errs...)
}

func (t *Template) addFunction(id string, props json.RawMessage, assetPath string, names map[string]string) error {
	var p struct {
		MemorySize                   int `json:"MemorySize"`
		Timeout                      int `json:"Timeout"`
		ReservedConcurrentExecutions int `json:"ReservedConcurrentExecutions"`
		Environment                  struct {
			Variables map[string]json.RawMessage `json:"Variables"`
		} `json:"Environment"`
		Tags []struct{ Key, Value string } `json:"Tags"`
		Role json.RawMessage               `json:"Role"`
		Code struct {
			S3Key string `json:"S3Key"`
		} `json:"Code"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	name := ""
	for _, tag := range p.Tags {
		if tag.Key == FunctionTag {
			name = tag.Value
		}
	}
	if name == "" {
		return nil // a function of CDK's own (custom resources)
	}
	role, ok := getAttTarget(p.Role, "Arn")
	if !ok {
		return fmt.Errorf("function %s: its Role is %s, not the Arn of a role of the template", name, p.Role)
	}
	names[id] = name
	if assetPath == "" && strings.HasSuffix(p.Code.S3Key, ".zip") {
		// Without the CLI's asset metadata: staged as asset.<hash>.
		assetPath = "asset." + strings.TrimSuffix(p.Code.S3Key, ".zip")
	}
	t.Functions[name] = Function{Name: name, LogicalID: id, MemoryMB: p.MemorySize, TimeoutSeconds: p.Timeout,
		ReservedConcurrency: p.ReservedConcurrentExecutions, Environment: p.Environment.Variables, Role: role, assetPath: assetPath}
	return nil
}

func (t *Template) addRole(id string, props json.RawMessage) error {
	var p struct {
		Policies []struct {
			PolicyName     string          `json:"PolicyName"`
			PolicyDocument json.RawMessage `json:"PolicyDocument"`
		} `json:"Policies"`
		ManagedPolicyArns []json.RawMessage `json:"ManagedPolicyArns"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	if _, ok := t.Roles[id]; !ok {
		t.Roles[id] = nil
	}
	for _, in := range p.Policies {
		t.Roles[id] = append(t.Roles[id], Policy{Name: id + "/" + in.PolicyName, Document: in.PolicyDocument})
	}
	if len(p.ManagedPolicyArns) > 0 {
		// AWS managed policies are not in the template, so the local
		// stack cannot know what they allow; it refuses to guess.
		return fmt.Errorf("role %s attaches managed policies %s, which the local stack cannot evaluate", id, p.ManagedPolicyArns)
	}
	return nil
}

func (t *Template) addPolicy(id string, props json.RawMessage) error {
	var p struct {
		PolicyDocument json.RawMessage   `json:"PolicyDocument"`
		Roles          []json.RawMessage `json:"Roles"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	for _, r := range p.Roles {
		var ref struct{ Ref string }
		if json.Unmarshal(r, &ref) != nil || ref.Ref == "" {
			return fmt.Errorf("policy attached to %s, not a Ref to a role of the template", r)
		}
		t.Roles[ref.Ref] = append(t.Roles[ref.Ref], Policy{Name: id, Document: p.PolicyDocument})
	}
	return nil
}

func (t *Template) addPipe(id string, props json.RawMessage) error {
	var p struct {
		RoleArn          json.RawMessage `json:"RoleArn"`
		Source           json.RawMessage `json:"Source"`
		Target           json.RawMessage `json:"Target"`
		SourceParameters struct {
			DynamoDBStreamParameters *struct {
				BatchSize            int `json:"BatchSize"`
				MaximumRetryAttempts int `json:"MaximumRetryAttempts"`
				DeadLetterConfig     struct {
					Arn json.RawMessage `json:"Arn"`
				} `json:"DeadLetterConfig"`
				StartingPosition string `json:"StartingPosition"`
			} `json:"DynamoDBStreamParameters"`
			FilterCriteria struct {
				Filters []struct{ Pattern string } `json:"Filters"`
			} `json:"FilterCriteria"`
		} `json:"SourceParameters"`
		TargetParameters struct {
			InputTemplate                 string `json:"InputTemplate"`
			EventBridgeEventBusParameters *struct {
				DetailType string `json:"DetailType"`
				Source     string `json:"Source"`
			} `json:"EventBridgeEventBusParameters"`
		} `json:"TargetParameters"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	stream := p.SourceParameters.DynamoDBStreamParameters
	if stream == nil {
		return errors.New("the local stack runs Pipes from DynamoDB streams only")
	}
	role, ok := getAttTarget(p.RoleArn, "Arn")
	if !ok {
		return fmt.Errorf("pipe role %s is not the Arn of a role of the template", p.RoleArn)
	}
	pipe := PipeDef{LogicalID: id, Role: role, Source: p.Source, Target: p.Target, InputTemplate: p.TargetParameters.InputTemplate,
		BatchSize: stream.BatchSize, MaximumRetryAttempts: stream.MaximumRetryAttempts, DeadLetter: stream.DeadLetterConfig.Arn,
		StartingPosition: stream.StartingPosition}
	if pipe.BatchSize == 0 {
		pipe.BatchSize = 100 // the Pipes default for DynamoDB streams
	}
	if !strings.Contains(string(props), `"MaximumRetryAttempts"`) {
		pipe.MaximumRetryAttempts = -1 // the Pipes default: retry until the record expires
	}
	for _, f := range p.SourceParameters.FilterCriteria.Filters {
		pipe.Filters = append(pipe.Filters, f.Pattern)
	}
	if eb := p.TargetParameters.EventBridgeEventBusParameters; eb != nil {
		pipe.DetailType, pipe.EventSource = eb.DetailType, eb.Source
	}
	t.Pipes = append(t.Pipes, pipe)
	return nil
}

func (t *Template) addQueue(id string, props json.RawMessage) error {
	var p struct {
		VisibilityTimeout      int `json:"VisibilityTimeout"`
		MessageRetentionPeriod int `json:"MessageRetentionPeriod"`
		RedrivePolicy          *struct {
			DeadLetterTargetArn json.RawMessage `json:"deadLetterTargetArn"`
			MaxReceiveCount     int             `json:"maxReceiveCount"`
		} `json:"RedrivePolicy"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	q := Queue{LogicalID: id, VisibilitySeconds: p.VisibilityTimeout, RetentionSeconds: p.MessageRetentionPeriod}
	if q.VisibilitySeconds == 0 {
		q.VisibilitySeconds = 30 // SQS's default
	}
	if p.RedrivePolicy != nil {
		q.DeadLetter, q.MaxReceives = p.RedrivePolicy.DeadLetterTargetArn, p.RedrivePolicy.MaxReceiveCount
	}
	t.Queues[id] = q
	return nil
}

func (t *Template) addMapping(props json.RawMessage, names map[string]string) error {
	var p struct {
		EventSourceArn                 json.RawMessage `json:"EventSourceArn"`
		FunctionName                   struct{ Ref string }
		BatchSize                      int      `json:"BatchSize"`
		MaximumBatchingWindowInSeconds int      `json:"MaximumBatchingWindowInSeconds"`
		FunctionResponseTypes          []string `json:"FunctionResponseTypes"`
		ScalingConfig                  struct {
			MaximumConcurrency int `json:"MaximumConcurrency"`
		} `json:"ScalingConfig"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	name, ok := names[p.FunctionName.Ref]
	if !ok {
		return fmt.Errorf("event source mapping for %q, not a function of the template", p.FunctionName.Ref)
	}
	m := EventSourceMapping{Function: name, Source: p.EventSourceArn, BatchSize: p.BatchSize,
		WindowSeconds: p.MaximumBatchingWindowInSeconds, ReportBatchItemFailures: slices.Contains(p.FunctionResponseTypes, "ReportBatchItemFailures"),
		MaximumConcurrency: p.ScalingConfig.MaximumConcurrency}
	if m.BatchSize == 0 {
		m.BatchSize = 10 // Lambda's default for SQS
	}
	t.Mappings = append(t.Mappings, m)
	return nil
}

// addRule reads an enabled rule of the default bus whose targets are the
// template's functions; rules of other buses (or with other targets) are
// not the local stack's to run.
func (t *Template) addRule(id string, props json.RawMessage, names map[string]string) error {
	var p struct {
		EventPattern json.RawMessage `json:"EventPattern"`
		EventBusName json.RawMessage `json:"EventBusName"`
		State        string          `json:"State"`
		Targets      []struct {
			Arn json.RawMessage `json:"Arn"`
		} `json:"Targets"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	if len(p.EventBusName) > 0 && string(p.EventBusName) != `"default"` || p.State == "DISABLED" || len(p.EventPattern) == 0 {
		return nil
	}
	r := Rule{LogicalID: id, Pattern: p.EventPattern}
	for _, target := range p.Targets {
		if fn, ok := getAttTarget(target.Arn, "Arn"); ok && names[fn] != "" {
			r.Functions = append(r.Functions, names[fn])
		}
	}
	if len(r.Functions) > 0 {
		t.Rules = append(t.Rules, r)
	}
	return nil
}

// Clone copies t, so that a test can change the copy (its maps and lists;
// the raw JSON values are replaced, not edited, by whoever changes them).
func (t Template) Clone() Template {
	c := t
	c.Functions = maps.Clone(t.Functions)
	for name, f := range c.Functions {
		f.Environment = maps.Clone(f.Environment)
		c.Functions[name] = f
	}
	c.Types, c.Properties, c.Queues = maps.Clone(t.Types), maps.Clone(t.Properties), maps.Clone(t.Queues)
	c.Roles = map[string][]Policy{}
	for role, ps := range t.Roles {
		c.Roles[role] = slices.Clone(ps)
	}
	c.Pipes, c.Mappings, c.Rules = slices.Clone(t.Pipes), slices.Clone(t.Mappings), slices.Clone(t.Rules)
	for i := range c.Pipes {
		c.Pipes[i].Filters = slices.Clone(c.Pipes[i].Filters)
	}
	return c
}

func (t *Template) addRoute(props json.RawMessage, all map[string]cfnResource, names map[string]string) error {
	var p struct {
		RouteKey          string
		AuthorizationType string
		Target            struct {
			Join []json.RawMessage `json:"Fn::Join"`
		}
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	method, path, ok := strings.Cut(p.RouteKey, " ")
	if !ok {
		return fmt.Errorf("route key %q: the local gateway serves METHOD /path routes", p.RouteKey)
	}
	// Target is "integrations/" joined with a Ref to the integration.
	var integration struct{ Ref string }
	if len(p.Target.Join) != 2 || !strings.Contains(string(p.Target.Join[1]), `"integrations/"`) {
		return fmt.Errorf("route %s: target is not an integration of the template", p.RouteKey)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(p.Target.Join[1], &parts); err != nil || len(parts) != 2 || json.Unmarshal(parts[1], &integration) != nil {
		return fmt.Errorf("route %s: target is not an integration of the template", p.RouteKey)
	}
	var in struct {
		IntegrationType      string
		IntegrationUri       json.RawMessage
		PayloadFormatVersion string
	}
	if err := json.Unmarshal(all[integration.Ref].Properties, &in); err != nil {
		return fmt.Errorf("route %s: integration %s: %w", p.RouteKey, integration.Ref, err)
	}
	fn, _ := getAttTarget(in.IntegrationUri, "Arn")
	name, ok := names[fn]
	if in.IntegrationType != "AWS_PROXY" || in.PayloadFormatVersion != "2.0" || !ok {
		return fmt.Errorf("route %s: the local gateway serves Lambda proxy integrations (payload 2.0) of the template's functions", p.RouteKey)
	}
	switch p.AuthorizationType {
	case "", "NONE", "AWS_IAM":
	default:
		return fmt.Errorf("route %s: authorization %s, which the local gateway does not enforce", p.RouteKey, p.AuthorizationType)
	}
	t.Routes = append(t.Routes, APIRoute{Method: method, Path: path, Function: name, IAM: p.AuthorizationType == "AWS_IAM"})
	return nil
}

func (t *Template) addAPI(props json.RawMessage) error {
	var p struct {
		CorsConfiguration *struct {
			AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
			AllowCredentials                                        bool
			MaxAge                                                  int
		}
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	if c := p.CorsConfiguration; c != nil {
		if !c.AllowCredentials {
			return errors.New("a CORS configuration without credentials, which the local gateway does not answer")
		}
		t.CORS = &httpapi.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
			ExposeHeaders: c.ExposeHeaders, MaxAge: time.Duration(c.MaxAge) * time.Second}
	}
	return nil
}

func (t *Template) addStage(props json.RawMessage) error {
	type settings struct {
		ThrottlingRateLimit  *float64
		ThrottlingBurstLimit *int
	}
	var p struct {
		DefaultRouteSettings settings
		RouteSettings        map[string]settings
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	throttle := func(s settings) *Throttle {
		if s.ThrottlingRateLimit == nil || s.ThrottlingBurstLimit == nil {
			return nil
		}
		return &Throttle{Rate: *s.ThrottlingRateLimit, Burst: *s.ThrottlingBurstLimit}
	}
	t.DefaultThrottle = throttle(p.DefaultRouteSettings)
	t.RouteThrottles = map[string]Throttle{}
	for key, s := range p.RouteSettings {
		if th := throttle(s); th != nil {
			t.RouteThrottles[key] = *th
		}
	}
	return nil
}

// getAttTarget returns the logical id of {"Fn::GetAtt": [id, attr]}.
func getAttTarget(raw json.RawMessage, attr string) (string, bool) {
	var g struct {
		GetAtt []string `json:"Fn::GetAtt"`
	}
	if json.Unmarshal(raw, &g) != nil || len(g.GetAtt) != 2 || g.GetAtt[1] != attr {
		return "", false
	}
	return g.GetAtt[0], true
}

// Mapping returns the event source mapping of a function.
func (t Template) Mapping(function string) (EventSourceMapping, bool) {
	for _, m := range t.Mappings {
		if m.Function == function {
			return m, true
		}
	}
	return EventSourceMapping{}, false
}

// OfType returns the logical ids of the resources of a type, sorted.
func (t Template) OfType(typ string) []string {
	var ids []string
	for id, ty := range t.Types {
		if ty == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Locals are the local values of the template's resources: for each
// logical id, its Ref and its attributes (Arn, StreamArn, QueueName, …), as
// the local stack created them (Provision).
type Locals map[string]map[string]string

// pseudo are the pseudo parameters' local values.
var pseudo = map[string]string{
	"AWS::Partition": LocalPartition, "AWS::Region": LocalRegion, "AWS::AccountId": LocalAccount,
	"AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "CustomerRegistration", "AWS::NoValue": "",
}

// Resolve returns a template value with every intrinsic function (Ref,
// Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select) replaced by its local value,
// as a JSON value (string, number, bool, []any, map[string]any). A
// reference to a resource the local stack did not create, or an intrinsic
// it does not know, is an error naming it: nothing is resolved to a guess.
func (l Locals) Resolve(raw json.RawMessage) (any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return l.resolve(v)
}

// String resolves a template value that must be a string.
func (l Locals) String(raw json.RawMessage) (string, error) {
	v, err := l.Resolve(raw)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", raw)
	}
	return s, nil
}

func (l Locals) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := l.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return l.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := l.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (l Locals) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return l.attr(name, "Ref")
	case "Fn::GetAtt":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt %v: want [logicalId, attribute]", arg)
		}
		id, _ := parts[0].(string)
		at, _ := parts[1].(string)
		return l.attr(id, at)
	case "Fn::Join":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::Join %v: want [separator, list]", arg)
		}
		sep, _ := parts[0].(string)
		list, err := l.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join of %v, not a list", list)
		}
		strs := make([]string, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("Fn::Join of %v, not a string", it)
			}
			strs[i] = s
		}
		return strings.Join(strs, sep), nil
	case "Fn::Select":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::Select %v: want [index, list]", arg)
		}
		list, err := l.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		idx, err := l.resolve(parts[0])
		if err != nil {
			return nil, err
		}
		var i int
		switch n := idx.(type) {
		case float64:
			i = int(n)
		case string:
			if _, err := fmt.Sscan(n, &i); err != nil {
				return nil, fmt.Errorf("Fn::Select index %q", n)
			}
		}
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d of %d", i, len(items))
		}
		return items[i], nil
	case "Fn::Sub":
		return l.sub(arg)
	}
	return nil, fmt.Errorf("%s: an intrinsic the local stack does not resolve", fn)
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

func (l Locals) sub(arg any) (any, error) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub %v: want a string or [string, variables]", arg)
		}
		text, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			r, err := l.resolve(v)
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("Fn::Sub %v", arg)
	}
	var err error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			s, _ := v.(string)
			return s
		}
		id, at, dotted := strings.Cut(name, ".")
		if !dotted {
			at = "Ref"
		}
		v, e := l.attr(id, at)
		if e != nil {
			err = e
		}
		return v
	})
	// ${!Literal} writes ${Literal}.
	return strings.ReplaceAll(out, "${!", "${"), err
}

func (l Locals) attr(id, at string) (string, error) {
	if at == "Ref" {
		if v, ok := pseudo[id]; ok {
			return v, nil
		}
	}
	attrs, ok := l[id]
	if !ok {
		return "", fmt.Errorf("%s: a resource the local stack did not create", id)
	}
	v, ok := attrs[at]
	if !ok {
		return "", fmt.Errorf("%s has no local %s", id, at)
	}
	return v, nil
}

// Resolve returns f's environment with every reference resolved to the
// local resources. A reference it cannot resolve is an error naming the
// variable: a function must not start locally with a variable it would not
// have in AWS.
func (t Template) Resolve(f Function, l Locals) (map[string]string, error) {
	env := map[string]string{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(f.Environment)) {
		v, err := l.String(f.Environment[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", f.Name, name, err))
			continue
		}
		env[name] = v
	}
	return env, errors.Join(errs...)
}
