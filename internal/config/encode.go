package config

import (
	"fmt"
	"reflect"

	"github.com/pelletier/go-toml/v2"
)

// Encode writes c as a TOML document that Load reads back to the same
// Config: the effective settings `golive config` prints. Every key is
// written, empty lists as [] and empty tables as {}, and durations as
// strings ("5s"), so the output doubles as a complete config file.
func Encode(c Config) ([]byte, error) {
	fill(reflect.ValueOf(&c).Elem()) // c is a copy: the caller's maps stay nil
	b, err := toml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return b, nil
}

// fill is normalize's inverse: go-toml leaves a nil map out of its output,
// and a key missing from `golive config` would hide that it exists.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}
