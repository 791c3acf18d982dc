package verify

import "testing"

func TestCheckSettings(t *testing.T) {
	for _, tt := range []struct {
		s    Settings
		want int
	}{
		{Settings{}, 0},
		{Settings{GOSUMDB: "sum.golang.org", GOPRIVATE: "github.com/mycorp,gitlab.mycorp.example", GONOSUMDB: "corp.example.com/*"}, 0},
		{Settings{GOSUMDB: "off"}, 1},
		{Settings{GONOSUMDB: "*"}, 1},
		{Settings{GOPRIVATE: "github.com"}, 1},
		{Settings{GOPRIVATE: "github.com/*"}, 1},
		{Settings{GOPRIVATE: "*.com"}, 1},
		{Settings{GOPRIVATE: "corp.example,golang.org"}, 1},
		{Settings{GOINSECURE: "corp.example"}, 1},
		{Settings{GOFLAGS: "-buildvcs=false -mod=mod"}, 1},
		{Settings{GOFLAGS: "-insecure"}, 1},
		{Settings{GOFLAGS: "-mod=readonly -mod=vendor"}, 0},
		{Settings{GOSUMDB: "off", GONOSUMDB: "*", GOPRIVATE: "*", GOINSECURE: "*", GOFLAGS: "-insecure -mod=mod"}, 6},
	} {
		got := CheckSettings(tt.s)
		if len(got) != tt.want {
			t.Errorf("CheckSettings(%+v): %d findings, want %d: %v", tt.s, len(got), tt.want, got)
		}
		for _, f := range got {
			if f.Rule != RuleInsecureSetting || f.Severity != SeverityWarning {
				t.Errorf("finding %+v", f)
			}
		}
	}
}
