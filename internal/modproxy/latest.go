package modproxy

import "golang.org/x/mod/semver"

// LatestVersion picks, as the go command's "latest" query does before
// retractions are known, the version whose go.mod speaks for the module:
// the highest release in versions, else the highest pre-release. It returns
// "" if versions has neither.
func LatestVersion(versions []string) string {
	best, bestPre := "", ""
	for _, v := range versions {
		if !semver.IsValid(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			if best == "" || semver.Compare(v, best) > 0 {
				best = v
			}
		} else if bestPre == "" || semver.Compare(v, bestPre) > 0 {
			bestPre = v
		}
	}
	if best != "" {
		return best
	}
	return bestPre
}
