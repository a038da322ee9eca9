package cost

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Op is the kind of DynamoDB call; it decides how item sizes become units.
type Op string

// DynamoDB operations. Writes round each item up to 1 KB, reads to 4 KB;
// every item costs at least one unit, found or not.
const (
	PutItem            Op = "PutItem"            // 1 WRU per KB of the item (the larger of old and new)
	UpdateItem         Op = "UpdateItem"         // 1 WRU per KB of the larger of the item before and after
	DeleteItem         Op = "DeleteItem"         // 1 WRU per KB of the deleted item
	BatchWriteItem     Op = "BatchWriteItem"     // 1 WRU per KB, each item rounded on its own
	TransactWriteItems Op = "TransactWriteItems" // 2 WRU per KB, each item rounded on its own
	GetItem            Op = "GetItem"            // 1 RRU per 4 KB (0.5 if Eventual)
	BatchGetItem       Op = "BatchGetItem"       // 1 RRU per 4 KB, each item rounded on its own
	TransactGetItems   Op = "TransactGetItems"   // 2 RRU per 4 KB, each item rounded on its own
	Query              Op = "Query"              // 1 RRU per 4 KB of the sum of the items read (0.5 if Eventual)
	Scan               Op = "Scan"               // as Query
	Consumed           Op = "Consumed"           // measured units: WriteUnits and ReadUnits as DynamoDB reported them
)

const (
	writeBlock = 1 << 10 // bytes per write request unit
	readBlock  = 4 << 10 // bytes per read request unit
)

// DynamoCall is one DynamoDB API call, Count times per pass through a step.
//
// Sizes holds the size in bytes of every item the call touches, as ItemSize
// computes it. Condition-check items in a transaction are priced like its
// writes, and a failed condition still consumes the units. A table with
// global secondary indexes pays again for each index an item is written to:
// add those writes as PutItem calls with the projected item sizes. For
// figures taken from ReturnConsumedCapacity, use Op Consumed.
type DynamoCall struct {
	Op       Op
	Sizes    []int
	Eventual bool // reads: eventually consistent instead of strongly consistent
	Count    int  // calls per pass; 0 means 1

	// Only with Op Consumed: the units one call consumed.
	WriteUnits, ReadUnits float64
}

// Units is an amount of DynamoDB request units.
type Units struct {
	Write float64 // write request units
	Read  float64 // read request units
}

// Units returns what the call consumes, Count included.
func (c DynamoCall) Units() (Units, error) {
	if c.Count < 0 {
		return Units{}, fmt.Errorf("cost: %s: negative count %d", c.Op, c.Count)
	}
	for _, s := range c.Sizes {
		if s < 0 {
			return Units{}, fmt.Errorf("cost: %s: negative item size %d", c.Op, s)
		}
	}
	one, err := c.unitsPerCall()
	if err != nil {
		return Units{}, err
	}
	n := float64(max(c.Count, 1))
	return Units{Write: one.Write * n, Read: one.Read * n}, nil
}

func (c DynamoCall) unitsPerCall() (Units, error) {
	readFactor := 1.0
	if c.Eventual {
		readFactor = 0.5
	}
	switch c.Op {
	case PutItem, UpdateItem, DeleteItem:
		if len(c.Sizes) != 1 {
			return Units{}, fmt.Errorf("cost: %s touches one item, got %d sizes", c.Op, len(c.Sizes))
		}
		return Units{Write: WriteUnits(c.Sizes[0])}, nil
	case BatchWriteItem:
		if err := c.itemCount(1, 25); err != nil {
			return Units{}, err
		}
		return Units{Write: sumUnits(c.Sizes, writeBlock)}, nil
	case TransactWriteItems:
		if err := c.itemCount(1, 100); err != nil {
			return Units{}, err
		}
		return Units{Write: 2 * sumUnits(c.Sizes, writeBlock)}, nil
	case GetItem:
		if len(c.Sizes) != 1 {
			return Units{}, fmt.Errorf("cost: GetItem reads one item, got %d sizes", len(c.Sizes))
		}
		return Units{Read: readFactor * blocks(c.Sizes[0], readBlock)}, nil
	case BatchGetItem:
		if err := c.itemCount(1, 100); err != nil {
			return Units{}, err
		}
		return Units{Read: readFactor * sumUnits(c.Sizes, readBlock)}, nil
	case TransactGetItems:
		if err := c.itemCount(1, 100); err != nil {
			return Units{}, err
		}
		return Units{Read: 2 * sumUnits(c.Sizes, readBlock)}, nil
	case Query, Scan:
		total := 0
		for _, s := range c.Sizes {
			total += s
		}
		return Units{Read: readFactor * blocks(total, readBlock)}, nil
	case Consumed:
		if c.WriteUnits < 0 || c.ReadUnits < 0 {
			return Units{}, fmt.Errorf("cost: Consumed: negative units %v/%v", c.WriteUnits, c.ReadUnits)
		}
		return Units{Write: c.WriteUnits, Read: c.ReadUnits}, nil
	case "":
		return Units{}, fmt.Errorf("cost: DynamoCall without an Op")
	default:
		return Units{}, fmt.Errorf("cost: unknown DynamoDB operation %q", c.Op)
	}
}

func (c DynamoCall) itemCount(lo, hi int) error {
	if n := len(c.Sizes); n < lo || n > hi {
		return fmt.Errorf("cost: %s takes %d to %d items, got %d", c.Op, lo, hi, n)
	}
	return nil
}

// WriteUnits is what a standard write of an item of size bytes consumes:
// one unit per started kilobyte, at least one.
func WriteUnits(size int) float64 { return blocks(size, writeBlock) }

// ReadUnits is what a strongly consistent read of an item of size bytes
// consumes: one unit per started 4 KB, at least one. Halve it for an
// eventually consistent read.
func ReadUnits(size int) float64 { return blocks(size, readBlock) }

func blocks(size, block int) float64 {
	return float64(max(1, (size+block-1)/block))
}

func sumUnits(sizes []int, block int) float64 {
	var u float64
	for _, s := range sizes {
		u += blocks(s, block)
	}
	return u
}

// ItemSize is an item's size in bytes by DynamoDB's documented rules: the
// sum over its attributes of the UTF-8 length of the name and the size of
// the value (see AttributeSize). It is what capacity units are computed
// from; storage adds 100 bytes per item on top (see StoragePerMonth).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += AttributeSize(name, v)
	}
	return n
}

// AttributeSize is the size of one attribute, its name included, following
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
// strings count their UTF-8 bytes, binaries their raw bytes, numbers about
// one byte per two significant digits plus one, null and Boolean one byte,
// lists and maps 3 bytes plus one byte per element plus the elements (and,
// in maps, the element names), sets the sum of their elements.
func AttributeSize(name string, v types.AttributeValue) int {
	return len(name) + valueSize(v)
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		return sumSizes(v.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return sumSizes(v.Value, numberSize)
	case *types.AttributeValueMemberBS:
		return sumSizes(v.Value, func(b []byte) int { return len(b) })
	case *types.AttributeValueMemberL:
		return 3 + sumSizes(v.Value, func(e types.AttributeValue) int { return 1 + valueSize(e) })
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	default:
		return 0
	}
}

// sumSizes is the sum of size over the elements of a set or list.
func sumSizes[E any](elems []E, size func(E) int) int {
	n := 0
	for _, e := range elems {
		n += size(e)
	}
	return n
}

// numberSize approximates a DynamoDB number's stored size: leading and
// trailing zeroes are trimmed, then one byte per two significant digits,
// plus one.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.Trim(strings.ReplaceAll(s, ".", ""), "0")
	sig := max(1, utf8.RuneCountInString(digits))
	return int(math.Ceil(float64(sig)/2)) + 1
}
