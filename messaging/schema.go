package messaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrInvalid is wrapped by every validation failure, so callers can tell a
// bad value sent by a model from an internal error with errors.Is.
var ErrInvalid = errors.New("invalid")

// Schema is a compiled JSON Schema together with its source text. The source
// is what a model is shown as a tool's parameters; the compiled form checks
// what the model sends back, so both always agree.
type Schema struct {
	name     string
	raw      json.RawMessage
	compiled *jsonschema.Schema
}

// CompileSchema compiles a JSON Schema document. name is used in errors.
func CompileSchema(name string, raw []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema %s: parse: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	url := "mem://cadre/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: compile: %w", name, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return &Schema{name: name, raw: compact.Bytes(), compiled: s}, nil
}

// MustCompileSchema is CompileSchema for schemas embedded in the binary.
func MustCompileSchema(name string, raw []byte) *Schema {
	s, err := CompileSchema(name, raw)
	if err != nil {
		panic(err)
	}
	return s
}

// Name is the name the schema was compiled with.
func (s *Schema) Name() string { return s.name }

// Raw is the compact JSON text of the schema.
func (s *Schema) Raw() json.RawMessage { return s.raw }

// Validate checks a JSON document against the schema. The error names every
// offending location in words a model can act on, and wraps ErrInvalid.
func (s *Schema) Validate(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: %s: empty arguments, expected a JSON object", ErrInvalid, s.name)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: %s: arguments are not valid JSON: %v", ErrInvalid, s.name, err)
	}
	if err := s.compiled.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w: %s: %s", ErrInvalid, s.name, describe(ve))
		}
		return fmt.Errorf("%w: %s: %v", ErrInvalid, s.name, err)
	}
	return nil
}

var printer = message.NewPrinter(language.English)

// describe flattens a validation error tree into "at /path: reason" clauses.
func describe(ve *jsonschema.ValidationError) string {
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(parts, "; ")
}
