package coldstart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUControllerV1 is where a cgroup v1 cpu controller is usually mounted.
const CPUControllerV1 = "/sys/fs/cgroup/cpu"

// CPUCgroup is a child group of a cgroup v1 cpu controller whose CFS quota
// emulates the CPU share of a Lambda memory size.
type CPUCgroup struct {
	root, dir string
}

// NewCPUCgroup creates root/name. It fails (with the kernel's error) where
// cgroups cannot be written: not root, cgroup v2 only, a read-only mount.
func NewCPUCgroup(root, name string) (*CPUCgroup, error) {
	for _, f := range []string{"cpu.cfs_quota_us", "cpu.cfs_period_us", "cgroup.procs"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return nil, fmt.Errorf("coldstart: no cgroup v1 cpu controller at %s: %w", root, err)
		}
	}
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("coldstart: create cgroup: %w", err)
	}
	return &CPUCgroup{root: root, dir: dir}, nil
}

// Dir is the group's directory.
func (c *CPUCgroup) Dir() string { return c.dir }

// SetQuota lets the group's processes run quota of CPU time per period.
func (c *CPUCgroup) SetQuota(quota, period time.Duration) error {
	// Lift the quota first: the kernel refuses a period that, with the
	// current quota, would exceed the parent's bandwidth.
	if err := c.write("cpu.cfs_quota_us", "-1"); err != nil {
		return err
	}
	if err := c.write("cpu.cfs_period_us", strconv.FormatInt(period.Microseconds(), 10)); err != nil {
		return err
	}
	return c.write("cpu.cfs_quota_us", strconv.FormatInt(quota.Microseconds(), 10))
}

// Quota reads back the quota and period in force.
func (c *CPUCgroup) Quota() (quota, period time.Duration, err error) {
	q, err := c.readInt("cpu.cfs_quota_us")
	if err != nil {
		return 0, 0, err
	}
	p, err := c.readInt("cpu.cfs_period_us")
	if err != nil {
		return 0, 0, err
	}
	return time.Duration(q) * time.Microsecond, time.Duration(p) * time.Microsecond, nil
}

// Add moves a process, all its threads, into the group.
func (c *CPUCgroup) Add(pid int) error {
	return c.write("cgroup.procs", strconv.Itoa(pid))
}

// Contains reports whether pid is in the group.
func (c *CPUCgroup) Contains(pid int) (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return false, err
	}
	for _, f := range strings.Fields(string(b)) {
		if f == strconv.Itoa(pid) {
			return true, nil
		}
	}
	return false, nil
}

// Remove moves any processes left back to the root group and deletes the
// group.
func (c *CPUCgroup) Remove() error {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, pid := range strings.Fields(string(b)) {
		// A process may exit meanwhile (ESRCH); rmdir tells if any is left.
		_ = os.WriteFile(filepath.Join(c.root, "cgroup.procs"), []byte(pid), 0)
	}
	if err := os.Remove(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("coldstart: remove cgroup: %w", err)
	}
	return nil
}

func (c *CPUCgroup) write(file, value string) error {
	if err := os.WriteFile(filepath.Join(c.dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("coldstart: write %q to %s: %w", value, filepath.Join(c.dir, file), err)
	}
	return nil
}

func (c *CPUCgroup) readInt(file string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
