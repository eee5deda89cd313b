// Package greeter is the part of the example that golive swaps into the
// running server. Its function's type uses no type of its own, so every
// build of it can take the place of the last.
package greeter

// Greeting is what the server says.
func Greeting() string {
	return "Hello from a plugin!"
}
