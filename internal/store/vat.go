package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
	"github.com/openreg/registration/internal/vat"
)

// RecordVat stores what VIES said of the customer's VAT number, in one
// conditional update of the customer item; see vat.Store.
func (s *Store) RecordVat(ctx context.Context, read customer.Customer, check customer.VatCheck, at time.Time) error {
	v, err := attributevalue.Marshal(check)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(customerPK(read.ID), keys.SKProfile),
		UpdateExpression:    aws.String("SET vat = :vat, updatedAt = :at"),
		ConditionExpression: aws.String("updatedAt = :prev AND profile.VatNumber = :number"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":vat": v, ":at": str(formatTime(at)), ":prev": str(formatTime(read.UpdatedAt)), ":number": str(check.Number),
		},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return vat.ErrConflict
	case err != nil:
		return unavailable("UpdateItem", err)
	}
	return nil
}
