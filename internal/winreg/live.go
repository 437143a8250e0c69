package winreg

import "errors"

// ErrNoLiveRegistry is ReadLive's answer on systems other than Windows.
var ErrNoLiveRegistry = errors.New("winreg: there is no live registry to read on this system: give registry export files (.reg) instead")

// ReadLive reads the keys at paths, with their subtrees, from this machine's
// registry into a new model bounded by lim: the same model [Registry.Parse]
// fills from export files. Keys missing on this machine are skipped, as are
// subkeys this user may not open. On systems other than Windows it returns
// [ErrNoLiveRegistry].
func ReadLive(lim Limits, paths ...string) (*Registry, error) {
	r := New(lim)
	for _, p := range paths {
		if err := readLive(r, p); err != nil {
			return r, err
		}
	}
	return r, nil
}
