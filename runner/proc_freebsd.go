package runner

import (
	"encoding/binary"
	"errors"
	"os"
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

// groupGone reports whether no live process of p's group is left. It
// reads the group's entries of the process table (sysctl
// kern.proc.pgrp.PGID, one struct kinfo_proc each). Where the layout is
// known, zombies count as gone; elsewhere every entry counts as alive.
// Without the table it falls back to asking the group.
func groupGone(p *os.Process) bool {
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

// signalEscapers does nothing: on FreeBSD a stop reaches the program's
// group only.
func signalEscapers(int, syscall.Signal) {}
