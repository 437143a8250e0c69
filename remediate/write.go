package remediate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ExistsError is a bundle folder that exists and is not empty, without
// --force.
type ExistsError struct{ Dir string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("remediate: %s exists and is not empty", e.Dir)
}

// Write writes files into dir atomically: everything goes to a temporary
// sibling folder first, which is then renamed into place. If dir exists and
// is not empty, Write fails with [*ExistsError] unless force is set; with
// force the old folder is replaced only once the new one is complete. A
// failure leaves no partial dir and any old dir untouched.
func Write(dir string, files []File, force bool) (err error) {
	dir = filepath.Clean(dir)
	exists := false
	if ents, rerr := os.ReadDir(dir); rerr == nil {
		exists = true
		if len(ents) > 0 && !force {
			return &ExistsError{Dir: dir}
		}
	} else if !errors.Is(rerr, os.ErrNotExist) {
		return fmt.Errorf("remediate: %v", rerr)
	}
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("remediate: cannot create a folder next to %s: %v", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("remediate: %v", err)
	}
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("remediate: %v", err)
		}
		if err := writeSync(p, f.Data); err != nil {
			return fmt.Errorf("remediate: writing %s: %v", f.Name, err)
		}
	}
	if !exists {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("remediate: %v", err)
		}
		return nil
	}
	// Move the old folder aside, move the new one in, then drop the old.
	old, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".old-")
	if err != nil {
		return fmt.Errorf("remediate: %v", err)
	}
	os.Remove(old) // only the unique name is wanted
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("remediate: cannot move the old %s aside: %v", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("remediate: %v; the old bundle is at %s", err, old)
		}
		return fmt.Errorf("remediate: %v", err)
	}
	os.RemoveAll(old)
	return nil
}

func writeSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
