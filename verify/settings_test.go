package verify

import (
	"strings"
	"testing"
)

func TestCheckSettings(t *testing.T) {
	for _, tt := range []struct {
		s    Settings
		want []string // a substring of each finding's message, in order
	}{
		{Settings{}, nil},
		{Settings{"GOSUMDB": "sum.golang.org", "GOPRIVATE": "github.com/mycorp,gitlab.mycorp.example", "GONOSUMDB": "corp.example.com/*"}, nil},
		{Settings{"GOPRIVATE": "github.com/myorg"}, nil},
		{Settings{"GONOSUMDB": "corp.example.com"}, nil},
		{Settings{"GOSUMDB": "off"}, []string{"GOSUMDB=off"}},
		{Settings{"GOSUMDB": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://sum.golang.org"}, nil},
		{Settings{"GONOSUMDB": "*"}, []string{"GONOSUMDB=* covers every module on github.com"}},
		{Settings{"GOPRIVATE": "github.com"}, []string{"GOPRIVATE=github.com"}},
		{Settings{"GOPRIVATE": "github.com/*"}, []string{"GOPRIVATE=github.com/*"}},
		{Settings{"GOPRIVATE": "*.com"}, []string{"GOPRIVATE=*.com"}},
		{Settings{"GOPRIVATE": "corp.example,golang.org"}, []string{"on golang.org"}},
		{Settings{"GOINSECURE": "corp.example"}, []string{"GOINSECURE=corp.example"}},
		{Settings{"GOINSECURE": ""}, nil},
		{Settings{"GOFLAGS": "-buildvcs=false -mod=mod"}, []string{"GOFLAGS has -mod=mod"}},
		{Settings{"GOFLAGS": "-insecure"}, []string{"GOFLAGS has -insecure"}},
		{Settings{"GOFLAGS": "-mod=readonly -mod=vendor"}, nil},
		{Settings{"GOFLAGS": "-modcacherw"}, nil},
		{Settings{"GOPROXY": "direct"}, []string{"GOPROXY=direct: every module is fetched from its origin version control repository"}},
		{Settings{"GOPROXY": " direct , off"}, []string{"GOPROXY= direct , off"}},
		{Settings{"GOPROXY": "direct|https://proxy.golang.org"}, []string{"GOPROXY=direct|"}},
		{Settings{"GOPROXY": "https://proxy.golang.org,direct"}, nil},
		{Settings{"GOPROXY": "off"}, nil},
		{Settings{"GOPROXY": "https://corp.example/proxy|direct"}, nil},
		{Settings{"GOPROXY": ""}, nil},
		{Settings{"GONOSUMCHECK": "1"}, []string{"GONOSUMCHECK does nothing: the go command has no such variable (the setting is GONOSUMDB)"}},
		{Settings{"GONOVERIFY": "github.com/corp"}, []string{"GONOVERIFY does nothing: the go command has no such variable (the setting is GONOSUMDB)"}},
		{Settings{"GOSUMDB_OFF": "1"}, []string{"GOSUMDB_OFF does nothing: the go command has no such variable (the setting is GOSUMDB)"}},
		{Settings{"GO_NOSUMDB": "corp.example"}, []string{"GO_NOSUMDB does nothing: the go command has no such variable (the setting is GONOSUMDB)"}},
		{Settings{"GOINSECURE_SKIP": "1"}, []string{"(the setting is GOINSECURE)"}},
		{Settings{"GO_PROXY": "https://corp.example"}, []string{"(the setting is GOPROXY)"}},
		{Settings{"GONO_PROXY": "corp.example"}, []string{"(the setting is GONOPROXY)"}},
		// Real settings, unrelated GO variables, a script's own variables
		// about a setting, and names that only contain the words.
		{Settings{"GONOPROXY": "*", "GOPATH": "/go", "GOWORK": "off", "GOVCS": "*:all", "GOTOOLCHAIN": "local", "GOAUTH": "off", "GOENV": "off"}, nil},
		{Settings{"GOPROXY_URL": "https://corp.example", "GOPROXY_TOKEN": "x", "GOSUMDB_KEY": "k"}, nil},
		// Other tools' variables that merely contain the words (gotestsum's,
		// seen in containerd's workflows), and real settings' neighbours.
		{Settings{"GOTESTSUM_JUNITFILE": "a.xml", "GOTESTSUM_JSONFILE": "a.json", "GOTESTSUM_FORMAT": "x", "GOPROXY_CACHE": "1", "GOINSECURE_HOSTS_FILE": "f", "GOPROXYURL": "u", "GOPATH": "/go", "GOFLAGS_EXTRA": "-v"}, nil},
		{Settings{"GOSUMBD": "off"}, []string{"(the setting is GOSUMDB)"}},
		{Settings{"GONOSUMDDB": "*"}, []string{"(the setting is GONOSUMDB)"}},
		{Settings{"GOPRIAVTE": "*"}, []string{"(the setting is GOPRIVATE)"}},
		{Settings{"CHECKSUM": "off", "NOVERIFY": "1", "HTTP_PROXY": "http://p", "MY_GOSUMDB": "off", "gosumdb": "off"}, nil},
		{Settings{"GOSUMDB": "off", "GONOSUMDB": "*", "GOPRIVATE": "*", "GOINSECURE": "*", "GOFLAGS": "-insecure -mod=mod", "GOPROXY": "direct", "GONOSUMCHECK": "1"},
			[]string{"GOSUMDB=off", "GONOSUMDB=*", "GOPRIVATE=*", "GOINSECURE=*", "-insecure", "-mod=mod", "GOPROXY=direct", "GONOSUMCHECK"}},
	} {
		got := CheckSettings(tt.s)
		if len(got) != len(tt.want) {
			t.Errorf("CheckSettings(%v): %d findings, want %d: %v", tt.s, len(got), len(tt.want), got)
			continue
		}
		for i, f := range got {
			if f.Rule != RuleInsecureSetting || f.Severity != SeverityWarning || f.File != "" || f.Line != 0 {
				t.Errorf("finding %+v", f)
			}
			if !strings.Contains(f.Message, tt.want[i]) {
				t.Errorf("CheckSettings(%v): finding %d is %q, want it to contain %q", tt.s, i, f.Message, tt.want[i])
			}
		}
	}
}
