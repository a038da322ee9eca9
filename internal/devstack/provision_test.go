package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/device"
)

// fakeSecrets is Secrets Manager as far as Provision and a key ring's
// reader use it: DescribeSecret, CreateSecret, GetSecretValue.
type fakeSecrets struct {
	mu      sync.Mutex
	secrets map[string]string // ARN -> document
}

func (f *fakeSecrets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var in struct{ Name, SecretId, SecretString string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	find := func(id string) (string, bool) {
		for arn := range f.secrets {
			if arn == id || strings.HasSuffix(strings.TrimSuffix(arn, arn[len(arn)-7:]), ":"+id) {
				return arn, true
			}
		}
		return "", false
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	answer := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager."); op {
	case "CreateSecret":
		arn := fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-AbCdEf", LocalPartition, LocalRegion, LocalAccount, in.Name)
		f.secrets[arn] = in.SecretString
		answer(map[string]string{"ARN": arn, "Name": in.Name})
	case "DescribeSecret", "GetSecretValue":
		arn, ok := find(in.SecretId)
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			answer(map[string]string{"__type": "ResourceNotFoundException", "message": "no such secret"})
			return
		}
		answer(map[string]string{"ARN": arn, "SecretString": f.secrets[arn]})
	default:
		w.WriteHeader(http.StatusBadRequest)
		answer(map[string]string{"__type": "InvalidRequestException", "message": "not faked: " + op})
	}
}

// keyRingTemplate has the stack's two generated key rings, named and
// granted as the stack names and grants them: the device keys to sign-in,
// the code keys to the mailer and sign-in; the cart reads neither.
const keyRingTemplate = `{"Resources":{
	"CodeKeys4E5F6A7B":{"Type":"AWS::SecretsManager::Secret","Properties":{}},
	"DeviceKeys0A1B2C3D":{"Type":"AWS::SecretsManager::Secret","Properties":{}},
	"MailerRole":{"Type":"AWS::IAM::Role","Properties":{}},
	"SignInRole":{"Type":"AWS::IAM::Role","Properties":{}},
	"CartRole":{"Type":"AWS::IAM::Role","Properties":{}},
	"MailerPolicy":{"Type":"AWS::IAM::Policy","Properties":{"PolicyName":"m","Roles":[{"Ref":"MailerRole"}],"PolicyDocument":{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"CodeKeys4E5F6A7B"}}]}}},
	"SignInPolicy":{"Type":"AWS::IAM::Policy","Properties":{"PolicyName":"s","Roles":[{"Ref":"SignInRole"}],"PolicyDocument":{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"DeviceKeys0A1B2C3D"}},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"CodeKeys4E5F6A7B"}}]}}},
	"Mailer":{"Type":"AWS::Lambda::Function","Properties":{"Role":{"Fn::GetAtt":["MailerRole","Arn"]},"Tags":[{"Key":"openreg:function","Value":"mailer"}],
		"Environment":{"Variables":{"CODE_KEYS_SECRET":{"Fn::Join":["",["secretsmanager:",{"Ref":"CodeKeys4E5F6A7B"}]]}}}}},
	"SignIn":{"Type":"AWS::Lambda::Function","Properties":{"Role":{"Fn::GetAtt":["SignInRole","Arn"]},"Tags":[{"Key":"openreg:function","Value":"sign-in"}],
		"Environment":{"Variables":{"DEVICE_KEYS_SECRET":{"Fn::Join":["",["secretsmanager:",{"Ref":"DeviceKeys0A1B2C3D"}]]},
			"CODE_KEYS_SECRET":{"Fn::Join":["",["secretsmanager:",{"Ref":"CodeKeys4E5F6A7B"}]]}}}}},
	"Cart":{"Type":"AWS::Lambda::Function","Properties":{"Role":{"Fn::GetAtt":["CartRole","Arn"]},"Tags":[{"Key":"openreg:function","Value":"cart"}]}}}}`

// TestProvisionKeyRings: each generated secret is created as a key ring,
// Resources name the device keys and the code keys by their logical ids
// (whatever the order), each function's environment resolves the secret
// the template names to it, and the enforcing layer lets only the roles
// granted a key ring read it.
func TestProvisionKeyRings(t *testing.T) {
	tpl, err := ParseTemplate([]byte(keyRingTemplate))
	if err != nil {
		t.Fatal(err)
	}
	sm := &fakeSecrets{secrets: map[string]string{}}
	srv := httptest.NewServer(sm)
	defer srv.Close()
	admin := ClientsAs("ADMIN", "x", srv.URL)
	res, err := Provision(context.Background(), admin, tpl, ProvisionOptions{Prefix: "kr"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.DeviceKeys, ":secret:kr-DeviceKeys-") || !strings.Contains(res.CodeKeys, ":secret:kr-CodeKeys-") {
		t.Fatalf("DeviceKeys = %q, CodeKeys = %q", res.DeviceKeys, res.CodeKeys)
	}
	for _, arn := range []string{res.DeviceKeys, res.CodeKeys} {
		if _, err := device.ParseKeys(sm.secrets[arn]); err != nil || !strings.Contains(sm.secrets[arn], `"current":"k1"`) {
			t.Errorf("%s holds %q, not a key ring: %v", arn, sm.secrets[arn], err)
		}
	}
	if sm.secrets[res.DeviceKeys] == sm.secrets[res.CodeKeys] {
		t.Error("the two key rings hold the same key")
	}
	t.Run("provisioning again keeps the key rings", func(t *testing.T) {
		again, err := Provision(context.Background(), admin, tpl, ProvisionOptions{Prefix: "kr"})
		if err != nil || again.DeviceKeys != res.DeviceKeys || again.CodeKeys != res.CodeKeys || len(sm.secrets) != 2 {
			t.Errorf("again: %q %q (%d secrets), %v", again.DeviceKeys, again.CodeKeys, len(sm.secrets), err)
		}
	})
	t.Run("each function's environment names the key rings the template gives it", func(t *testing.T) {
		want := map[string]map[string]string{
			"mailer":  {config.EnvCodeKeys: "secretsmanager:" + res.CodeKeys},
			"sign-in": {config.EnvCodeKeys: "secretsmanager:" + res.CodeKeys, config.EnvDeviceKeys: "secretsmanager:" + res.DeviceKeys},
			"cart":    {},
		}
		for fn, w := range want {
			env, err := tpl.Resolve(tpl.Functions[fn], res.Locals)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{config.EnvCodeKeys, config.EnvDeviceKeys} {
				if env[k] != w[k] {
					t.Errorf("%s: %s = %q, want %q", fn, k, env[k], w[k])
				}
			}
		}
	})
	t.Run("only the granted functions read a key ring through the enforcing layer", func(t *testing.T) {
		enf, err := NewEnforcer(tpl, res.Locals, srv.URL, srv.URL, slog.New(slog.NewTextHandler(io.Discard, nil)), "ADMIN")
		if err != nil {
			t.Fatal(err)
		}
		enf.ResolveSecretsWith(admin.Secrets)
		layer := httptest.NewServer(enf)
		defer layer.Close()
		for _, c := range []struct {
			fn, secret string
			allowed    bool
		}{
			{"mailer", res.CodeKeys, true}, {"sign-in", res.CodeKeys, true}, {"cart", res.CodeKeys, false},
			{"sign-in", res.DeviceKeys, true}, {"mailer", res.DeviceKeys, false}, {"cart", res.DeviceKeys, false},
		} {
			_, err := As(KindFunction, c.fn, layer.URL).Secrets.GetSecretValue(context.Background(),
				&secretsmanager.GetSecretValueInput{SecretId: aws.String(c.secret)})
			var api smithy.APIError
			denied := errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"
			if c.allowed && err != nil || !c.allowed && !denied {
				t.Errorf("%s reads %s: %v, want allowed %v", c.fn, c.secret, err, c.allowed)
			}
		}
	})
}
