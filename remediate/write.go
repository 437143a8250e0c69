package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ExistsError is a bundle folder that exists and is not empty, without
// --force.
type ExistsError struct{ Dir string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("remediate: %s exists and is not empty", e.Dir)
}

// NotBundleError is a folder --force will not replace: it is not a trustgap
// bundle, or it holds something its manifest.json does not list.
type NotBundleError struct {
	Dir    string
	Reason string
}

func (e *NotBundleError) Error() string {
	return fmt.Sprintf("remediate: %s is not a trustgap bundle (%s): --force replaces only a bundle folder, so nothing of yours is deleted", e.Dir, e.Reason)
}

// maxManifest bounds the manifest.json read to check a folder.
const maxManifest = 16 << 20

// CheckReplace says whether a bundle may be written to dir: it may when dir
// does not exist or is empty; with force, also when dir holds a trustgap
// bundle and nothing else (every file in it is its manifest.json or listed
// there). Otherwise it returns [*ExistsError] or [*NotBundleError]. The
// first return is whether dir exists.
func CheckReplace(dir string, force bool) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remediate: %v", err)
	}
	if len(ents) == 0 {
		return true, nil
	}
	if !force {
		return true, &ExistsError{Dir: dir}
	}
	f, err := os.Open(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return true, &NotBundleError{Dir: dir, Reason: "it has no manifest.json"}
	}
	defer f.Close()
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(f, maxManifest)).Decode(&m); err != nil || m.Tool != "trustgap" {
		return true, &NotBundleError{Dir: dir, Reason: "its manifest.json is not a trustgap manifest"}
	}
	listed := map[string]bool{"manifest.json": true}
	sums := map[string]ManifestFile{}
	for _, mf := range m.Files {
		listed[mf.Name] = true
		sums[mf.Name] = mf
		for d := path.Dir(mf.Name); d != "."; d = path.Dir(d) {
			listed[d+"/"] = true
		}
	}
	var reason string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case d.IsDir() && listed[rel+"/"]:
			return nil
		case d.Type().IsRegular() && listed[rel]:
			// A file of the bundle the user edited is theirs now.
			if mf, ok := sums[rel]; ok && !sameContent(p, mf) {
				reason = fmt.Sprintf("its %s no longer matches the SHA-256 its manifest.json records: it was changed since trustgap wrote it", rel)
				return fs.SkipAll
			}
			return nil
		}
		reason = fmt.Sprintf("it holds %s, which its manifest.json does not list", rel)
		return fs.SkipAll
	})
	if err != nil {
		return true, fmt.Errorf("remediate: %v", err)
	}
	if reason != "" {
		return true, &NotBundleError{Dir: dir, Reason: reason}
	}
	return true, nil
}

// maxCheckedFile bounds a bundle file read to compare with its manifest
// entry; trustgap writes none this large.
const maxCheckedFile = 64 << 20

// sameContent reports whether the file at p has the size and SHA-256 its
// manifest entry records.
func sameContent(p string, mf ManifestFile) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.Size() != int64(mf.Size) || mf.Size > maxCheckedFile {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxCheckedFile+1)); err != nil {
		return false
	}
	return strings.EqualFold(hex.EncodeToString(h.Sum(nil)), mf.SHA256)
}

// Write writes files into dir atomically: everything goes to a temporary
// sibling folder first, which is then renamed into place. If dir exists and
// is not empty, Write fails with [*ExistsError] unless force is set; with
// force it replaces only a trustgap bundle ([CheckReplace]), and only once
// the new one is complete. A failure leaves no partial dir and any old dir
// untouched.
func Write(dir string, files []File, force bool) (err error) {
	dir = filepath.Clean(dir)
	exists, err := CheckReplace(dir, force)
	if err != nil {
		return err
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
