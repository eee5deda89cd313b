// Package proctest holds what the process tests of several packages
// share: running a test alone in a process of its own, a scan of /proc,
// and cancelling a go build once it is under way. It is for tests only,
// and works on Linux only.
package proctest
