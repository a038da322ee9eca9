// Command gen writes internal/geo/iso3166.txt from the ISO 3166 databases
// that pycountry ships (Debian's iso-codes data): one line per country, its
// alpha-2 code and its subdivisions' codes. make iso3166 downloads the
// pinned pycountry release and runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	dir := flag.String("databases", "", "pycountry's databases directory (iso3166-1.json, iso3166-2.json)")
	source := flag.String("source", "", "what the data is, for the file's header (e.g. pycountry 24.6.1)")
	date := flag.String("date", "", "the day it was taken, YYYY-MM-DD")
	out := flag.String("out", "iso3166.txt", "file to write")
	flag.Parse()
	if *dir == "" || *source == "" || *date == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -databases DIR -source TEXT -date YYYY-MM-DD [-out FILE]")
		os.Exit(2)
	}
	if err := run(*dir, *source, *date, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, source, date, out string) error {
	var countries struct {
		List []struct {
			Alpha2 string `json:"alpha_2"`
		} `json:"3166-1"`
	}
	var subdivisions struct {
		List []struct {
			Code string `json:"code"`
		} `json:"3166-2"`
	}
	for _, f := range []struct {
		name string
		into any
	}{{"iso3166-1.json", &countries}, {"iso3166-2.json", &subdivisions}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, f.into); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	subs := map[string][]string{}
	for _, s := range subdivisions.List {
		country, _, ok := strings.Cut(s.Code, "-")
		if !ok {
			return fmt.Errorf("subdivision %q has no country prefix", s.Code)
		}
		subs[country] = append(subs[country], s.Code)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# ISO 3166-1 alpha-2 country codes, each followed by its ISO 3166-2 subdivision codes.\n")
	fmt.Fprintf(&b, "# Source: %s (the iso-codes project's data, https://salsa.debian.org/iso-codes-team/iso-codes, LGPL-2.1; see LICENSE).\n", source)
	fmt.Fprintf(&b, "# Taken %s by make iso3166; do not edit by hand.\n", date)
	var codes []string
	for _, c := range countries.List {
		codes = append(codes, c.Alpha2)
	}
	slices.Sort(codes)
	for _, c := range codes {
		s := subs[c]
		slices.Sort(s)
		fmt.Fprintln(&b, strings.Join(append([]string{c}, s...), " "))
		delete(subs, c)
	}
	if len(subs) > 0 {
		return fmt.Errorf("subdivisions of unknown countries: %v", subs)
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
