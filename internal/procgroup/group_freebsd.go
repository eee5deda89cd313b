package procgroup

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FreeBSD's struct kinfo_proc (<sys/user.h>) on 64-bit systems:
// KINFO_PROC_SIZE, and the offset of ki_stat, the process state.
const (
	kinfoProcSize64 = 1088
	kinfoStat64     = 388
	sZomb           = 5 // SZOMB of <sys/proc.h>
)

// osGroup needs no state on FreeBSD: the process table lists a group.
type osGroup struct{}

// prepare puts cmd in a group of its own. FreeBSD has no parent-death
// signal golive uses: a golive that is SIGKILLed leaves its program
// running (docs/supervision.md says so).
func prepare(cmd *exec.Cmd) {
	setpgid(cmd)
}

func (osGroup) init(*os.Process) error { return nil }

// signal sends sig to p's group; a stop reaches the group only.
func (osGroup) signal(p *os.Process, sig os.Signal) error {
	return signalPgid(p, sig)
}

// gone reports whether no live process of p's group is left. It reads the
// group's entries of the process table (sysctl kern.proc.pgrp.PGID, one
// struct kinfo_proc each). Where the layout is known, zombies count as
// gone; elsewhere every entry counts as alive. Without the table it falls
// back to asking the group.
func (osGroup) gone(p *os.Process) bool {
	var buf []byte
	var err error
	for range 3 { // ENOMEM: the group grew between the two sysctl calls
		if buf, err = unix.SysctlRaw("kern.proc.pgrp", p.Pid); !errors.Is(err, syscall.ENOMEM) {
			break
		}
	}
	if err != nil {
		return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
	}
	for len(buf) >= 4 {
		size := int(binary.NativeEndian.Uint32(buf))
		if size <= 0 || size > len(buf) {
			return false // not a layout golive knows: someone is there
		}
		entry := buf[:size]
		buf = buf[size:]
		if unsafe.Sizeof(uintptr(0)) == 8 && size == kinfoProcSize64 && entry[kinfoStat64] == sZomb {
			continue
		}
		return false
	}
	return true
}

func (osGroup) release() {}

// BecomeSubreaper does nothing: golive uses child subreapers on Linux only.
func BecomeSubreaper() error { return nil }
