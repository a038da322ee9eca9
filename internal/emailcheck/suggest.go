package emailcheck

import "strings"

// popular are mail domains many shoppers have: a typo close to one of them
// is most likely meant as it. The list is ours (facts, kept short: a
// suggestion must be right far more often than it is wrong).
var popular = []string{
	"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com",
	"hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com", "outlook.de", "live.com", "live.de",
	"msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de",
	"t-online.de", "freenet.de", "posteo.de", "mailbox.org", "proton.me", "protonmail.com", "orange.fr", "free.fr",
	"laposte.net", "wanadoo.fr", "sfr.fr", "libero.it", "virgilio.it", "btinternet.com", "sky.com", "comcast.net",
	"verizon.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net", "shaw.ca", "rogers.com",
	"qq.com", "163.com", "yandex.ru", "mail.ru", "bluewin.ch", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
}

// tlds are the endings people mean when they type one of typos' keys.
var tlds = []string{"com", "net", "org", "de", "fr", "co.uk", "uk", "it", "es", "nl", "at", "ch", "be", "pl", "ru", "ca",
	"com.au", "io", "info", "me", "eu", "us", "biz", "se", "dk", "no", "fi", "cz", "pt", "ie"}

// Suggest is the domain a typed domain (ASCII, lower case) most likely
// meant, "" when it looks as meant: a popular domain one or two edits away
// (gmial.com, hotmial.com), or, for any other domain, its ending one edit
// from a common top-level domain (yahoo.con, shop.cm). A domain that is
// itself popular or has a known ending is never "corrected".
func Suggest(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" || contains(popular, domain) {
		return ""
	}
	best, bestDist := "", 3
	for _, p := range popular {
		// Two edits for longer names, one for short ones, where two would
		// reach too many real domains.
		limit := 2
		if len(p) < 8 {
			limit = 1
		}
		if d := distance(domain, p); d <= limit && d < bestDist {
			best, bestDist = p, d
		}
	}
	if best != "" {
		return best
	}
	name, tld, ok := splitTLD(domain)
	if !ok || contains(tlds, tld) {
		return ""
	}
	for _, t := range tlds {
		if distance(tld, t) == 1 {
			return name + "." + t
		}
	}
	return ""
}

// splitTLD splits a domain at its ending: the last label, or the last two
// when they are a known two-label ending (co.uk).
func splitTLD(domain string) (name, tld string, ok bool) {
	i := strings.LastIndexByte(domain, '.')
	if i <= 0 {
		return "", "", false
	}
	name, tld = domain[:i], domain[i+1:]
	if j := strings.LastIndexByte(name, '.'); j > 0 && contains(tlds, name[j+1:]+"."+tld) {
		return name[:j], name[j+1:] + "." + tld, true
	}
	return name, tld, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// distance is the optimal string alignment distance of a and b (edits:
// insert, delete, substitute, swap two neighbours), bytes apart (domains
// here are ASCII).
func distance(a, b string) int {
	if a == b {
		return 0
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
