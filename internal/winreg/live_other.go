//go:build !windows

package winreg

func readLive(r *Registry, path string) error { return ErrNoLiveRegistry }
