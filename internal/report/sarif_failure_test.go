package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// A run that failed (exit 2) still gets a SARIF log: valid, with
// executionSuccessful false and the error as a notification, so code
// scanning never takes it for a clean run.
func TestSARIFFailure(t *testing.T) {
	r := emptyReport()
	r.Skipped = append(r.Skipped, sampleReport().Skipped...)
	var buf bytes.Buffer
	if err := (SARIF{Failure: errors.New("go: go.mod:3: unknown directive: frobnicate")}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, compileSARIFSchema(t), buf.Bytes())
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	inv := log.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful {
		t.Error("executionSuccessful is true")
	}
	n := inv.ToolExecutionNotifications
	if len(n) == 0 {
		t.Fatal("no notification")
	}
	last := n[len(n)-1]
	if last.Level != "error" || last.Message.Text != "go: go.mod:3: unknown directive: frobnicate" || last.Properties != nil {
		t.Errorf("the failure notification is %+v", last)
	}
	for _, s := range n[:len(n)-1] {
		if s.Properties == nil || s.Properties.Check == "" {
			t.Errorf("a skipped check's notification has no check: %+v", s)
		}
	}

	// Without Failure: successful, as before.
	ok := renderSARIF(t, emptyReport())
	if err := json.Unmarshal(ok, &log); err != nil {
		t.Fatal(err)
	}
	if !log.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("a run without Failure is not successful")
	}
}
