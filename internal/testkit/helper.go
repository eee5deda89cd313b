package testkit

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// HelperEnv names the helper program a test binary is to be: a test
// starts os.Args[0] with HelperEnv=MODE, and its TestMain calls
// RunHelper first. The modes are in helper below; GOLIVE_ADDR is the
// address a listening mode binds, GOLIVE_PIDFILE where a mode that
// starts a grandchild writes its pid.
const HelperEnv = "GOLIVE_HELPER"

// RunHelper becomes the helper program HelperEnv names and exits, if it
// names one; otherwise it returns at once.
func RunHelper() {
	if mode := os.Getenv(HelperEnv); mode != "" {
		helper(mode)
		os.Exit(0)
	}
}

func helper(mode string) {
	switch mode {
	case "serve": // graceful: exits 0 on SIGTERM
		ln := listen()
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
		fmt.Println("ready")
		<-sigs
		ln.Close()
		os.Exit(0)
	case "stubborn": // ignores SIGTERM and SIGINT
		signal.Ignore(syscall.SIGTERM, os.Interrupt)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "spawn": // listens and leaves a grandchild behind that ignores SIGTERM
		ln := listen()
		defer ln.Close()
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			panic(err)
		}
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "spawn-setsid": // listens and leaves a grandchild that calls setsid, holds the listening socket and ignores SIGTERM
		ln := listen()
		defer ln.Close()
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			panic(err)
		}
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		child.Stdout = os.Stdout
		child.ExtraFiles = []*os.File{f}
		child.SysProcAttr = sessionAttr()
		if err := child.Start(); err != nil {
			panic(err)
		}
		f.Close()
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "handover": // listens; the first one also leaves a setsid grandchild that holds the port a while after it died
		ln := listen()
		if f, err := os.OpenFile(os.Getenv("GOLIVE_ONCE"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			f.Close()
			lnf, err := ln.(*net.TCPListener).File()
			if err != nil {
				panic(err)
			}
			r, w, err := os.Pipe() // EOF on r: this process is gone
			if err != nil {
				panic(err)
			}
			gc := exec.Command(os.Args[0])
			gc.Env = append(os.Environ(), "GOLIVE_HELPER=linger")
			gc.ExtraFiles = []*os.File{lnf, r}
			gc.SysProcAttr = sessionAttr()
			if err := gc.Start(); err != nil {
				panic(err)
			}
			lnf.Close()
			r.Close()
			defer w.Close()
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("ready", os.Getpid())
		<-sigs
		os.Exit(0)
	case "linger": // fd 3 a listening socket, fd 4 a pipe: holds the socket until 300ms after the pipe's EOF
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(os.Getpid())), 0o644)
		io.Copy(io.Discard, os.NewFile(4, "parent"))
		time.Sleep(300 * time.Millisecond)
		os.Exit(0)
	case "escape": // a middle process starts a setsid grandchild and exits
		mid := exec.Command(os.Args[0])
		mid.Env = append(os.Environ(), "GOLIVE_HELPER=setsid-and-exit")
		mid.Stdout = os.Stdout
		if err := mid.Run(); err != nil {
			panic(err)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "escape-on-term": // on SIGTERM starts a setsid grandchild with the default signal actions, then exits
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("ready")
		<-term
		gc := exec.Command(os.Args[0])
		gc.Env = append(os.Environ(), "GOLIVE_HELPER=plain")
		gc.SysProcAttr = sessionAttr()
		if err := gc.Start(); err != nil {
			panic(err)
		}
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(gc.Process.Pid)), 0o644)
		time.Sleep(100 * time.Millisecond) // the keeper's first walk is long done
		os.Exit(0)
	case "setsid-and-exit":
		gc := exec.Command(os.Args[0])
		gc.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		gc.Stdout = os.Stdout
		gc.SysProcAttr = sessionAttr()
		if err := gc.Start(); err != nil {
			panic(err)
		}
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(gc.Process.Pid)), 0o644)
		os.Exit(0)
	case "fds": // lists the descriptors it inherited beyond stdio
		entries, _ := os.ReadDir("/proc/self/fd")
		var fds []string
		for _, e := range entries {
			if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
				if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); !strings.HasPrefix(target, "/proc/") {
					fds = append(fds, e.Name()+"->"+target)
				}
			}
		}
		fmt.Printf("fds [%s]\n", strings.Join(fds, " "))
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "count-terms": // counts the SIGTERMs that come within 300ms of the first, then exits
		terms := make(chan os.Signal, 4)
		signal.Notify(terms, syscall.SIGTERM)
		fmt.Println("ready")
		<-terms
		fmt.Println("first SIGTERM")
		n, end := 1, time.After(300*time.Millisecond)
		for {
			select {
			case <-terms:
				n++
			case <-end:
				fmt.Println("terms", n)
				os.Exit(0)
			}
		}
	case "plain": // no signal handling: default actions apply
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "exit3":
		fmt.Println("ready")
		os.Exit(3)
	}
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", os.Getenv("GOLIVE_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(4)
	}
	return ln
}

// ReadPid waits for a helper to write a pid into path.
func ReadPid(t testing.TB, path string) int {
	t.Helper()
	pid := 0
	Until(t, 0, "a pid in "+path, func() bool {
		data, err := os.ReadFile(path)
		n, perr := strconv.Atoi(string(data))
		pid = n
		return err == nil && perr == nil
	})
	return pid
}
