package audit

import (
	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// settingsFindings reports the insecure settings of the go command's
// environment env, for the audit of dir run with environ.
func settingsFindings(env *graph.Env, dir string, environ []string) []verify.Finding {
	return verify.CheckSettings(verify.Settings{
		GOSUMDB: env.GOSUMDB, GONOSUMDB: env.GONOSUMDB, GOPRIVATE: env.GOPRIVATE,
		GOINSECURE: env.GOINSECURE, GOFLAGS: env.GOFLAGS,
	})
}
