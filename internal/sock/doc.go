// Package sock is golive's own small socket layer on Unix: a TCP connect
// with a timeout for the readiness check, and a Unix-socket listener for
// plugin delivery. It exists so that golive does not link package net,
// whose cgo resolver makes the binary dynamically linked against libc,
// whose pages cost about 1.5 MB of golive's resident memory.
//
// Every socket is non-blocking and wrapped in an *os.File, which
// registers it with the runtime's poller: reads, writes and waits park
// the goroutine rather than a thread, deadlines work, and closing the
// file wakes whoever waits on it. Nothing here may call (*os.File).Fd,
// which would put the socket back in blocking mode.
//
// On Windows the package is empty: golive uses package net there, which
// needs no cgo.
package sock
