// Package testkit is what golive's tests share: one wait helper for
// conditions that a test can only poll, a writer that hands each line of
// output to the test waiting for it, and the small programs that the
// process tests run (the test binary itself, in a helper mode). Tests
// only; no product package imports it.
package testkit
