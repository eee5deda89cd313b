package config

import (
	"reflect"
	"strings"
)

// suggest finds the key a user probably meant by an unknown name in table
// type t: a sibling within a couple of typos ("debounse"), or failing that
// the same name in another table ("debounce" written under [run]). It
// returns "" when nothing is close enough to be worth saying.
func suggest(t reflect.Type, path, name string) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	best, bestDist := "", max(1, len(name)/3)+1
	for i := range t.NumField() {
		field := tomlName(t.Field(i))
		if d := distance(strings.ToLower(name), field); d < bestDist {
			best, bestDist = joinKey(path, field), d
		}
	}
	if best != "" {
		return best
	}
	for _, key := range leafKeys(configType, "") {
		if last := key[strings.LastIndexByte(key, '.')+1:]; strings.EqualFold(last, name) {
			return key
		}
	}
	return ""
}

// leafKeys returns the dotted key of every setting under t, in the order
// of the struct ("watch.include", ..., "log.color" for Config).
func leafKeys(t reflect.Type, path string) []string {
	if t.Kind() != reflect.Struct {
		return []string{path}
	}
	var keys []string
	for i := range t.NumField() {
		keys = append(keys, leafKeys(t.Field(i).Type, joinKey(path, tomlName(t.Field(i))))...)
	}
	return keys
}

// distance is the Levenshtein edit distance between a and b, over bytes:
// keys are ASCII.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
