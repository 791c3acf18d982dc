// A module with the mistakes modseal catches; see README.md.
module example.com/broken

go 1.21

require (
	golang.org/x/text v0.14
	github.com/pkg/errors v2.0.0
	gopkg.in/yaml.v3 v3.0.1
)

replace gopkg.in/yaml.v3 => ../yaml
