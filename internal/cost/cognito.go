package cost

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// CognitoPlan is a Cognito user pool feature plan priced per monthly active
// user (MAU).
type CognitoPlan struct {
	Name    string
	FreeMAU int64     // MAUs a month that cost nothing
	Tiers   []MAUTier // in ascending order, starting after the free MAUs
}

// MAUTier prices the MAUs of a month up to UpTo (0: all the rest).
type MAUTier struct {
	UpTo   int64
	PerMAU float64 // dollars per MAU
}

// Monthly is what mau monthly active users cost in one month.
func (c CognitoPlan) Monthly(mau int64) float64 {
	var dollars float64
	lower := c.FreeMAU
	for _, t := range c.Tiers {
		upper := mau
		if t.UpTo > 0 {
			upper = min(mau, t.UpTo)
		}
		if upper > lower {
			dollars += float64(upper-lower) * t.PerMAU
		}
		if t.UpTo == 0 || t.UpTo >= mau {
			break
		}
		lower = max(lower, t.UpTo)
	}
	return dollars
}

// CognitoPerMillionRegistrations is what a million registrations in one
// month cost on plan: a sign-up makes the user a monthly active user in its
// month, so this is the plan's price of a million MAUs, free tier included.
// Like Breakdown.BeforeMail it leaves out mail.
func CognitoPerMillionRegistrations(plan CognitoPlan) float64 {
	return plan.Monthly(1_000_000)
}

// Compare writes, for the README, what a million registrations cost
// through our flow before mail and on each Cognito plan in p.
func Compare(w io.Writer, b Breakdown, p Prices) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "1,000,000 registrations in a month, before mail\t$ a month")
	fmt.Fprintf(tw, "our flow\t%s\n", dollars(b.BeforeMail()))
	for _, plan := range []CognitoPlan{p.CognitoLite, p.CognitoEssentials, p.CognitoPlus} {
		fmt.Fprintf(tw, "%s (1,000,000 MAU)\t%s\n", plan.Name, dollars(CognitoPerMillionRegistrations(plan)))
	}
	return tw.Flush()
}
