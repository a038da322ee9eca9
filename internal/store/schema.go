package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// The back office's index of customers by store and status (see
// statusindex.go): its key attributes and the attributes it copies.
const (
	IndexByStatus  = "byStatus"
	AttrStatusKey  = "statusKey"
	AttrStatusSort = "statusSort"
)

// StatusIndexAttributes are the customer attributes the index copies: what
// a back-office list shows.
var StatusIndexAttributes = []string{"id", "storeId", "email", "username", "status", "createdAt", "emailVerifiedAt", "profile"}

// The back office's sparse index of the customers whose mail stopped (a
// bounce or complaint): only they carry its key, a store's id, so it costs
// nothing per registration. Sorted like the status index (statusSort).
const (
	IndexUndeliverable   = "byUndeliverable"
	AttrUndeliverableKey = "undeliverableKey"
)

// UndeliverableIndexAttributes are what the sparse index copies: a list's
// attributes and the mail status.
var UndeliverableIndexAttributes = append(StatusIndexAttributes[:len(StatusIndexAttributes):len(StatusIndexAttributes)], "emailStatus")

// CreateTable creates the table with the layout this package expects and
// waits until it is active. The CDK stack declares the same layout for AWS;
// this is for the local stack and the tests.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrStatusKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrStatusSort), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrUndeliverableKey), AttributeType: types.ScalarAttributeTypeS},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexByStatus),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrStatusKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(AttrStatusSort), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: StatusIndexAttributes},
		}, {
			IndexName: aws.String(IndexUndeliverable),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrUndeliverableKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(AttrStatusSort), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: UndeliverableIndexAttributes},
		}},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		// New images feed the outbox's Pipe; see outbox.go.
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	})
	if err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("create table %s: %w", name, err)
		}
	}
	w := dynamodb.NewTableExistsWaiter(db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true)},
	}); err != nil {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" { // TTL already enabled
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}
