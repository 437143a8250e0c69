package remediate_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEDeploysRegistryPolSafely: the README must not advise copying
// the bundle's Registry.pol into a GPO's Machine folder (it replaces the
// GPO's registry settings, and clients ignore it without the version and
// extension bumps); it recommends Deploy-Gpo.ps1 or the GPMC import, keeps
// Registry.pol for LGPO.exe /m, and says what a SYSVOL copy needs.
func TestREADMEDeploysRegistryPolSafely(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	if m := regexp.MustCompile("(?i)or copy `?Registry\\.pol`? into a GPO").FindString(text); m != "" {
		t.Errorf("README still advises %q", m)
	}
	for _, want := range []string{
		"`LGPO.exe /m Registry.pol`",
		"Do not copy it into a GPO's `Machine` folder in SYSVOL: it replaces every registry setting that GPO already has",
		"`Version=` in the GPO's `gpt.ini`",
		"`versionNumber` attribute",
		"`gPCMachineExtensionNames`",
		"[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{53D6AB1D-2488-11D1-A28C-00C04FB94F17}]",
		"`Deploy-Gpo.ps1` and the GPMC import do all of it",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
