// Command gen turns a list of common passwords, one a line, into the
// compact set package password embeds (internal/password/common/set.bin):
// the first 4 bytes of the SHA-256 of each password, and of its lower-case
// form, sorted and without repeats, big-endian. make common-passwords runs
// it; see internal/password/common/README.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/openreg/registration/internal/password"
)

func main() {
	in := flag.String("in", "", "the list, one password a line")
	out := flag.String("out", "internal/password/common/set.bin", "the set to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var list []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			list = append(list, line)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	set := password.BuildCommonSet(list)
	if err := os.WriteFile(out, set, 0o644); err != nil {
		return err
	}
	fmt.Printf("%d passwords, %d entries in %s (%d bytes)\n", len(list), len(set)/4, out, len(set))
	return nil
}
