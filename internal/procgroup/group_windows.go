package procgroup

// Windows has no process groups that a signal can reach, and no signals.
// What stands in for them:
//
//   - A console process group (CREATE_NEW_PROCESS_GROUP) is the target of
//     CTRL_BREAK_EVENT, the one console event that can be sent to a group
//     other than golive's own. Go programs receive it as os.Interrupt.
//   - A Job Object holds the program and everything it starts, so the
//     tree can be terminated and counted as one. It is created with
//     JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: when the last handle to the job
//     closes, every process in it is terminated. golive holds the only
//     handle, so if golive dies by any means, Windows closes its handles
//     and the program's tree dies with it, which is what the parent-death
//     signal does on Linux, but for the whole tree.
//
// The program is created suspended (prepare) and resumed only after it is
// in the job (init): a process that ran even briefly outside the job could
// start a child that escapes it. Start does both, so no caller can leave
// a process suspended.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// stillActive is STILL_ACTIVE (minwinbase.h), the exit code that
// GetExitCodeProcess reports for a process that has not ended
// (learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-getexitcodeprocess).
// x/sys/windows does not define it.
const stillActive = 259

// jobBasicAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION (winnt.h,
// learn.microsoft.com/windows/win32/api/winnt/ns-winnt-jobobject_basic_accounting_information),
// which x/sys/windows does not define. The LARGE_INTEGER times are int64.
type jobBasicAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

// osGroup is the Job Object of one started process, and a handle to that
// process, which keeps Windows from reusing its pid while golive may ask
// about it. The mutex is held while a handle is in use, so release cannot
// close a handle (whose value Windows may then hand out again) under a
// concurrent signal or gone.
type osGroup struct {
	mu   sync.Mutex
	job  windows.Handle
	proc windows.Handle
	ok   bool // init succeeded and release has not run
}

// prepare makes cmd the leader of a new console process group, so that
// CTRL_BREAK_EVENT reaches only the program's group (and the console's
// Ctrl-C reaches only golive: the new group starts with Ctrl-C disabled),
// and creates it suspended, so init can put it in its job before it runs.
func prepare(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_SUSPENDED
}

// init puts the suspended process p in a new kill-on-close Job Object,
// then lets it run. If init fails, p is still suspended or already
// terminated, never running outside a job.
func (g *osGroup) init(p *os.Process) error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return fmt.Errorf("create job object: %w", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("set kill-on-close on job object: %w", err)
	}
	// PROCESS_SET_QUOTA and PROCESS_TERMINATE are the rights
	// AssignProcessToJobObject requires; SYNCHRONIZE and
	// PROCESS_QUERY_LIMITED_INFORMATION let the handle be waited on and
	// its exit code read. Holding it keeps the pid from being reused.
	const access = windows.PROCESS_SET_QUOTA | windows.PROCESS_TERMINATE |
		windows.SYNCHRONIZE | windows.PROCESS_QUERY_LIMITED_INFORMATION
	proc, err := windows.OpenProcess(access, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("open process %d: %w", p.Pid, err)
	}
	fail := func(err error) error {
		// Closing the job terminates p if it was assigned to it.
		windows.CloseHandle(job)
		windows.CloseHandle(proc)
		return err
	}
	if err := windows.AssignProcessToJobObject(job, proc); err != nil {
		return fail(fmt.Errorf("assign process %d to a job object (golive may itself run in a job "+
			"that does not allow nested jobs or breakaway, as before Windows 8): %w", p.Pid, err))
	}
	if err := resumeProcess(p.Pid); err != nil {
		return fail(fmt.Errorf("resume process %d: %w", p.Pid, err))
	}
	g.mu.Lock()
	g.job, g.proc, g.ok = job, proc, true
	g.mu.Unlock()
	return nil
}

// release terminates whatever is still in the job (closing its last
// handle does) and closes the process handle.
func (g *osGroup) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ok {
		return
	}
	g.ok = false
	windows.CloseHandle(g.job)
	windows.CloseHandle(g.proc)
}

// withJob calls fn with the job under the lock, and reports whether there
// is one.
func (g *osGroup) withJob(fn func(job windows.Handle)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ok {
		fn(g.job)
	}
	return g.ok
}

// resumeProcess resumes the threads of the suspended process pid.
//
// os/exec closes the main thread's handle that CreateProcess returned, so
// the thread is found again by listing the system's threads with the Tool
// Help library and keeping those whose owner is pid. ntdll's
// NtResumeProcess would do it in one call, but it is undocumented and may
// change; Tool Help, OpenThread and ResumeThread are the documented route.
// A process created suspended has run no code, so it has exactly its main
// thread, with a suspend count of one, and cannot create more while the
// snapshot is read. A thread injected from outside (a debugger, an
// antivirus) is not suspended; ResumeThread leaves it as it is.
func resumeProcess(pid int) error {
	// th32ProcessID is ignored for TH32CS_SNAPTHREAD: the snapshot holds
	// every thread of the system.
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("snapshot threads: %w", err)
	}
	defer windows.CloseHandle(snap)
	var te windows.ThreadEntry32
	te.Size = uint32(unsafe.Sizeof(te)) // Thread32First fails unless dwSize is set
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != uint32(pid) {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("open thread %d: %w", te.ThreadID, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resume thread %d: %w", te.ThreadID, err)
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("list threads: %w", err)
	}
	if resumed == 0 {
		return errors.New("no thread found")
	}
	return nil
}

// signal asks p's group to stop with CTRL_BREAK_EVENT, whatever the
// configured signal (Windows has no other to send to a group), and
// terminates the job for a kill. CTRL_BREAK_EVENT reaches only processes
// attached to golive's console; one without (a GUI program, or any child
// when golive has no console) is killed after the stop timeout.
func (g *osGroup) signal(p *os.Process, sig os.Signal) error {
	if sig == os.Kill || sig == syscall.SIGKILL {
		return g.kill(p)
	}
	if g.gone(p) {
		// Nothing left to signal. The group id is not sent once no process
		// carries it: the console would not find the group.
		return nil
	}
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid)); err != nil {
		return fmt.Errorf("send CTRL_BREAK_EVENT to process group %d: %w", p.Pid, err)
	}
	return nil
}

// kill terminates every process in p's job, or p alone when it has no
// job.
func (g *osGroup) kill(p *os.Process) error {
	var err error
	if g.withJob(func(job windows.Handle) { err = windows.TerminateJobObject(job, 1) }) {
		if err != nil {
			return fmt.Errorf("terminate job of process %d: %w", p.Pid, err)
		}
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// gone reports whether no process of p's job is left. A process leaves
// the job's active count when it ends, whoever still holds a handle to
// it. Without a job, only p itself is known.
func (g *osGroup) gone(p *os.Process) bool {
	var info jobBasicAccounting
	var err error
	if !g.withJob(func(job windows.Handle) {
		err = windows.QueryInformationJobObject(job, windows.JobObjectBasicAccountingInformation,
			uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	}) || err != nil {
		return !Alive(p.Pid)
	}
	return info.ActiveProcesses == 0
}

// Alive reports whether process pid exists and has not ended. A
// process that exits with code 259 reads as alive (the documented caveat
// of GetExitCodeProcess); golive asks only about golive processes, which
// never exit so. A process golive may not open (another user's) exists.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true // it exists; its state is unknown
	}
	return code == stillActive
}

// BecomeSubreaper does nothing: the Job Object already keeps every
// descendant of the program within golive's reach.
func BecomeSubreaper() error { return nil }
