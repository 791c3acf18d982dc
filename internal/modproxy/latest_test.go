package modproxy

import "testing"

func TestLatestVersion(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0-rc.1"}, "v1.10.0"},
		{[]string{"v2.0.0-rc.1", "v2.0.0-beta.1"}, "v2.0.0-rc.1"},
		{[]string{"junk", "v0.1.0"}, "v0.1.0"},
	} {
		if got := LatestVersion(tt.in); got != tt.want {
			t.Errorf("LatestVersion(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
