package cost_test

import (
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/cost"
)

// near reports whether got is want to within rounding error.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// figure is a computed amount and what it should come to.
type figure struct {
	name string
	got  float64
	want float64
}

// checkFigures runs a subtest per figure that fails unless same(got, want).
func checkFigures(t *testing.T, figures []figure, same func(got, want float64) bool) {
	t.Helper()
	for _, tt := range figures {
		t.Run(tt.name, func(t *testing.T) {
			if !same(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestDynamoCallUnits(t *testing.T) {
	const kb = 1024
	tests := []struct {
		name string
		call cost.DynamoCall
		want cost.Units
	}{
		{"a 1 KB transactional write of three items is 6 WRU",
			cost.DynamoCall{Op: cost.TransactWriteItems, Sizes: []int{kb, kb, kb}}, cost.Units{Write: 6}},
		{"a transaction rounds each item up on its own",
			cost.DynamoCall{Op: cost.TransactWriteItems, Sizes: []int{100, kb + 1}}, cost.Units{Write: 2 * (1 + 2)}},
		{"a put of exactly 1 KB is 1 WRU",
			cost.DynamoCall{Op: cost.PutItem, Sizes: []int{kb}}, cost.Units{Write: 1}},
		{"a put of 1 KB and one byte is 2 WRU",
			cost.DynamoCall{Op: cost.PutItem, Sizes: []int{kb + 1}}, cost.Units{Write: 2}},
		{"an update is priced on the size passed, 3.5 KB making 4 WRU",
			cost.DynamoCall{Op: cost.UpdateItem, Sizes: []int{3*kb + kb/2}}, cost.Units{Write: 4}},
		{"a delete of a missing item still costs 1 WRU",
			cost.DynamoCall{Op: cost.DeleteItem, Sizes: []int{0}}, cost.Units{Write: 1}},
		{"a batch write rounds each item on its own",
			cost.DynamoCall{Op: cost.BatchWriteItem, Sizes: []int{10, 10, 2*kb + 1}}, cost.Units{Write: 1 + 1 + 3}},
		{"a strongly consistent get of exactly 4 KB is 1 RRU",
			cost.DynamoCall{Op: cost.GetItem, Sizes: []int{4 * kb}}, cost.Units{Read: 1}},
		{"a strongly consistent get of 4 KB and one byte is 2 RRU",
			cost.DynamoCall{Op: cost.GetItem, Sizes: []int{4*kb + 1}}, cost.Units{Read: 2}},
		{"an eventually consistent get of 4 KB and one byte is 1 RRU",
			cost.DynamoCall{Op: cost.GetItem, Sizes: []int{4*kb + 1}, Eventual: true}, cost.Units{Read: 1}},
		{"an eventually consistent get of a small item is half an RRU",
			cost.DynamoCall{Op: cost.GetItem, Sizes: []int{100}, Eventual: true}, cost.Units{Read: 0.5}},
		{"a query sums the items before rounding: three 2,000-byte items are 2 RRU",
			cost.DynamoCall{Op: cost.Query, Sizes: []int{2000, 2000, 2000}}, cost.Units{Read: 2}},
		{"an eventually consistent query of three 2,000-byte items is 1 RRU",
			cost.DynamoCall{Op: cost.Query, Sizes: []int{2000, 2000, 2000}, Eventual: true}, cost.Units{Read: 1}},
		{"a query that finds nothing still costs 1 RRU",
			cost.DynamoCall{Op: cost.Query}, cost.Units{Read: 1}},
		{"a batch get rounds each item on its own",
			cost.DynamoCall{Op: cost.BatchGetItem, Sizes: []int{100, 5000}}, cost.Units{Read: 1 + 2}},
		{"a transactional get is 2 RRU per 4 KB",
			cost.DynamoCall{Op: cost.TransactGetItems, Sizes: []int{100, 4*kb + 1}}, cost.Units{Read: 2 * (1 + 2)}},
		{"Count multiplies the call",
			cost.DynamoCall{Op: cost.PutItem, Sizes: []int{kb + 1}, Count: 3}, cost.Units{Write: 6}},
		{"measured units are taken as they are",
			cost.DynamoCall{Op: cost.Consumed, WriteUnits: 8, ReadUnits: 1.5, Count: 2}, cost.Units{Write: 16, Read: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call.Units()
			if err != nil {
				t.Fatalf("Units() error: %v", err)
			}
			if !near(got.Write, tt.want.Write) || !near(got.Read, tt.want.Read) {
				t.Errorf("Units() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDynamoCallUnitsRejectsMalformedCalls(t *testing.T) {
	hundredOne := make([]int, 101)
	tests := []struct {
		name string
		call cost.DynamoCall
		want string
	}{
		{"rejects a call without an op", cost.DynamoCall{Sizes: []int{1}}, "without an Op"},
		{"rejects an unknown op", cost.DynamoCall{Op: "PutItems", Sizes: []int{1}}, "unknown"},
		{"rejects a put of two items", cost.DynamoCall{Op: cost.PutItem, Sizes: []int{1, 2}}, "one item"},
		{"rejects a get without an item", cost.DynamoCall{Op: cost.GetItem}, "one item"},
		{"rejects a transaction of 101 items", cost.DynamoCall{Op: cost.TransactWriteItems, Sizes: hundredOne}, "1 to 100"},
		{"rejects a batch write of no items", cost.DynamoCall{Op: cost.BatchWriteItem}, "1 to 25"},
		{"rejects a negative size", cost.DynamoCall{Op: cost.PutItem, Sizes: []int{-1}}, "negative item size"},
		{"rejects a negative count", cost.DynamoCall{Op: cost.PutItem, Sizes: []int{1}, Count: -1}, "negative count"},
		{"rejects negative measured units", cost.DynamoCall{Op: cost.Consumed, WriteUnits: -1}, "negative units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call.Units()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Units() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestItemSize(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"a string counts its name and its UTF-8 bytes", map[string]types.AttributeValue{"pk": s("abc")}, 2 + 3},
		{"a non-ASCII string counts bytes, not characters", map[string]types.AttributeValue{"n": s("é€")}, 1 + 2 + 3},
		{"a number is one byte per two significant digits plus one", map[string]types.AttributeValue{"n": n("123")}, 1 + 2 + 1},
		{"a number's leading and trailing zeroes do not count", map[string]types.AttributeValue{"n": n("-00120.500")}, 1 + 2 + 1},
		{"zero is a one-digit number", map[string]types.AttributeValue{"n": n("0")}, 1 + 1 + 1},
		{"a binary counts its raw bytes", map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: make([]byte, 32)}}, 1 + 32},
		{"a Boolean is one byte", map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{"a null is one byte", map[string]types.AttributeValue{"x": &types.AttributeValueMemberNULL{Value: true}}, 1 + 1},
		{"an empty list is three bytes", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{}}, 1 + 3},
		{"a list adds one byte per element",
			map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), s("bc")}}}, 1 + 3 + (1 + 1) + (1 + 2)},
		{"a map adds one byte per element and counts the element names",
			map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": s("yz")}}}, 1 + 3 + (1 + 1 + 2)},
		{"a string set is the sum of its strings", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bcd"}}}, 2 + 4},
		{"an item sums its attributes", map[string]types.AttributeValue{"pk": s("CUSTOMER#1"), "sk": s("PROFILE"), "v": n("7")}, (2 + 10) + (2 + 7) + (1 + 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cost.ItemSize(tt.item); got != tt.want {
				t.Errorf("ItemSize() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUnitHelpersRoundAtTheBoundaries(t *testing.T) {
	checkFigures(t, []figure{
		{"a 1,024-byte write is one unit", cost.WriteUnits(1024), 1},
		{"a 1,025-byte write is two units", cost.WriteUnits(1025), 2},
		{"an empty write is one unit", cost.WriteUnits(0), 1},
		{"a 4,096-byte read is one unit", cost.ReadUnits(4096), 1},
		{"a 4,097-byte read is two units", cost.ReadUnits(4097), 2},
	}, func(got, want float64) bool { return got == want })
}
