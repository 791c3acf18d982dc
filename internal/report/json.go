package report

import (
	"encoding/json"
	"io"
)

// JSON writes the report as one indented JSON object (schema modseal/report/v1).
type JSON struct{}

func (JSON) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
