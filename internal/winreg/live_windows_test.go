package winreg

import (
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"
)

// TestReadLiveWindows writes a scratch key under HKCU\Software, reads it
// back with ReadLive and checks that the model holds what the registry
// does, byte for byte; the same model Parse fills from an export.
func TestReadLiveWindows(t *testing.T) {
	sub := fmt.Sprintf(`Software\trustgap-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
	k, _, err := registry.CreateKey(registry.CURRENT_USER, sub+`\Profiles\Outlook`, registry.ALL_ACCESS)
	if err != nil {
		t.Skipf("cannot write HKCU here: %v", err)
	}
	defer func() {
		registry.DeleteKey(registry.CURRENT_USER, sub+`\Profiles\Outlook`)
		registry.DeleteKey(registry.CURRENT_USER, sub+`\Profiles`)
		registry.DeleteKey(registry.CURRENT_USER, sub)
	}()
	k.SetStringValue("DefaultProfile", "Outlook")
	k.SetDWordValue("Flags", 9)
	k.SetBinaryValue("Account Name", EncodeUTF16("alice@contoso.com"))
	k.SetStringsValue("List", []string{"a", "b"})
	k.Close()

	r, err := ReadLive(Limits{}, `HKCU\`+sub, `HKCU\Software\trustgap-missing-key`)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Key(`HKEY_CURRENT_USER\` + sub + `\Profiles\Outlook`)
	if m == nil {
		t.Fatal("the key was not read")
	}
	if s, _ := m.Value("DefaultProfile").String(); s != "Outlook" {
		t.Errorf("DefaultProfile = %q", s)
	}
	if n, _ := m.Value("flags").Uint32(); n != 9 {
		t.Errorf("Flags = %d", n)
	}
	if v := m.Value("Account Name"); v.Type != Binary || UTF16(v.Data) != "alice@contoso.com" {
		t.Errorf("Account Name = %s %q", v.Type, UTF16(v.Data))
	}
	if l, _ := m.Value("List").Strings(); len(l) != 2 || l[1] != "b" {
		t.Errorf("List = %q", l)
	}
}
