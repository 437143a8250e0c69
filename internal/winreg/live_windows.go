package winreg

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/windows/registry"
)

var liveRoots = map[string]registry.Key{
	"HKEY_LOCAL_MACHINE":  registry.LOCAL_MACHINE,
	"HKEY_CURRENT_USER":   registry.CURRENT_USER,
	"HKEY_USERS":          registry.USERS,
	"HKEY_CLASSES_ROOT":   registry.CLASSES_ROOT,
	"HKEY_CURRENT_CONFIG": registry.CURRENT_CONFIG,
}

// readLive copies the key at path and its subtree into r. It only opens,
// enumerates and reads: everything else is the shared model's.
func readLive(r *Registry, path string) error {
	parts, err := SplitPath(path)
	if err != nil {
		return err
	}
	root := liveRoots[parts[0]]
	sub := strings.Join(parts[1:], `\`)
	k, err := registry.OpenKey(root, sub, registry.READ)
	if err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return nil // not there on this machine: nothing to read
		}
		return fmt.Errorf("winreg: open %s: %v", path, err)
	}
	defer k.Close()
	return copyKey(r, k, strings.Join(parts, `\`), len(parts))
}

func copyKey(r *Registry, k registry.Key, path string, depth int) error {
	mk, err := r.CreateKey(path)
	if err != nil {
		return err
	}
	names, err := k.ReadValueNames(-1)
	if err != nil {
		return fmt.Errorf("winreg: list the values of %s: %v", path, err)
	}
	for _, name := range names {
		data, typ, err := liveValue(k, name, r.limits.MaxValueSize)
		if err != nil {
			return fmt.Errorf("winreg: read %s\\%s: %v", path, name, err)
		}
		if err := r.SetValue(mk, Value{Name: name, Type: Type(typ), Data: data}); err != nil {
			return err
		}
	}
	if depth >= maxDepth {
		return nil
	}
	subs, err := k.ReadSubKeyNames(-1)
	if err != nil {
		return fmt.Errorf("winreg: list the subkeys of %s: %v", path, err)
	}
	for _, s := range subs {
		sk, err := registry.OpenKey(k, s, registry.READ)
		if err != nil {
			continue // access denied to one subkey: read the rest
		}
		err = copyKey(r, sk, path+`\`+s, depth+1)
		sk.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// liveValue reads a value's raw bytes, asking its size first.
func liveValue(k registry.Key, name string, max int) ([]byte, uint32, error) {
	for range 3 {
		n, typ, err := k.GetValue(name, nil)
		if err != nil {
			return nil, 0, err
		}
		if n > max {
			return nil, 0, fmt.Errorf("%d bytes, more than %d", n, max)
		}
		if n == 0 {
			return []byte{}, typ, nil
		}
		buf := make([]byte, n)
		n, typ, err = k.GetValue(name, buf)
		if errors.Is(err, syscall.ERROR_MORE_DATA) {
			continue // it grew in between
		}
		if err != nil {
			return nil, 0, err
		}
		return buf[:n], typ, nil
	}
	return nil, 0, errors.New("the value keeps changing size")
}
