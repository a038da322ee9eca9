// Command infra is the CDK app: `cdk deploy` (see cdk.json) runs it to
// synthesize the stack. It reads the operator's choices from CDK context,
// validates the registration settings before anything is deployed, and
// checks the result with cdk-nag's AwsSolutions rules.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/openreg/registration/infra/stack"
)

func main() {

	app := awscdk.NewApp(nil)
	props, err := stack.PropsFromContext(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot synthesize:", err)
		os.Exit(1)
	}
	stack.New(app, props.StackName, props.Props)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
