// Package winreg is trustgap's one model of the Windows registry: a tree of
// [Key]s holding typed [Value]s, exactly as the registry stores them (strings
// as UTF-16LE with their terminating NUL, DWORDs little-endian). Two sources
// fill it: registry export files (.reg, as regedit and "reg export" write
// them: UTF-16LE "Windows Registry Editor Version 5.00" or ANSI "REGEDIT4"),
// read by [Registry.Parse], and on Windows the live registry, read by
// [ReadLive]. Whatever reads the model (package client) cannot tell the two
// apart.
//
// Key paths are case-insensitive, as in Windows, and start with a root key,
// long or short: HKEY_LOCAL_MACHINE (HKLM), HKEY_CURRENT_USER (HKCU),
// HKEY_USERS (HKU), HKEY_CLASSES_ROOT (HKCR), HKEY_CURRENT_CONFIG (HKCC).
//
// Everything read is attacker-chosen (a .reg file a user sent): the parser is
// bounded ([Limits]), never panics, and names the file and line of what it
// rejects. It imports nothing of trustgap.
package winreg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Type is a registry value type (REG_*).
type Type uint32

// The registry value types.
const (
	None             Type = 0  // REG_NONE
	SZ               Type = 1  // REG_SZ
	ExpandSZ         Type = 2  // REG_EXPAND_SZ
	Binary           Type = 3  // REG_BINARY
	DWord            Type = 4  // REG_DWORD, little-endian
	DWordBigEndian   Type = 5  // REG_DWORD_BIG_ENDIAN
	Link             Type = 6  // REG_LINK
	MultiSZ          Type = 7  // REG_MULTI_SZ
	ResourceList     Type = 8  // REG_RESOURCE_LIST
	FullResourceDesc Type = 9  // REG_FULL_RESOURCE_DESCRIPTOR
	ResourceReqList  Type = 10 // REG_RESOURCE_REQUIREMENTS_LIST
	QWord            Type = 11 // REG_QWORD, little-endian
)

var typeNames = map[Type]string{
	None: "REG_NONE", SZ: "REG_SZ", ExpandSZ: "REG_EXPAND_SZ", Binary: "REG_BINARY",
	DWord: "REG_DWORD", DWordBigEndian: "REG_DWORD_BIG_ENDIAN", Link: "REG_LINK",
	MultiSZ: "REG_MULTI_SZ", ResourceList: "REG_RESOURCE_LIST",
	FullResourceDesc: "REG_FULL_RESOURCE_DESCRIPTOR", ResourceReqList: "REG_RESOURCE_REQUIREMENTS_LIST",
	QWord: "REG_QWORD",
}

// String returns the REG_* name of t, or "type 0x..." for others.
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type 0x%x", uint32(t))
}

// Limits bound what a registry model may hold, whatever fills it.
type Limits struct {
	// MaxKeys bounds the number of keys; zero means DefaultLimits.MaxKeys.
	MaxKeys int
	// MaxValueSize bounds one value's data in bytes; zero means
	// DefaultLimits.MaxValueSize.
	MaxValueSize int
	// MaxTotal bounds the sum of all values' data in bytes; zero means
	// DefaultLimits.MaxTotal.
	MaxTotal int64
}

// DefaultLimits are generous for the keys trustgap reads (a machine's
// SystemCertificates with its CTL is a few MiB) and small enough for a
// hostile file not to exhaust memory.
var DefaultLimits = Limits{MaxKeys: 200000, MaxValueSize: 8 << 20, MaxTotal: 256 << 20}

// maxDepth bounds the components of a key path (Windows allows 512 levels).
const maxDepth = 512

// maxNameLen bounds a key name component (Windows: 255) and a value name
// (Windows: 16383), in UTF-16 code units.
const (
	maxKeyName   = 255
	maxValueName = 16383
)

// Value is one named, typed registry value. Data is the raw bytes the
// registry holds.
type Value struct {
	Name string // "" is the key's default value (@ in .reg files)
	Type Type
	Data []byte
}

// Key is a registry key: subkeys and values. Names are case-insensitive.
type Key struct {
	name    string
	path    string
	subkeys map[string]*Key
	values  []*Value
	byName  map[string]int
}

// Name returns the key's own name (the last component of its path).
func (k *Key) Name() string { return k.name }

// Path returns the key's full path with the long root key name, as regedit
// writes it.
func (k *Key) Path() string { return k.path }

// Subkey returns the direct subkey called name, or nil.
func (k *Key) Subkey(name string) *Key {
	if k == nil {
		return nil
	}
	return k.subkeys[strings.ToLower(name)]
}

// Subkeys returns the direct subkeys, sorted by name without regard to case
// (the order regedit exports them in).
func (k *Key) Subkeys() []*Key {
	if k == nil {
		return nil
	}
	out := make([]*Key, 0, len(k.subkeys))
	for _, s := range k.subkeys {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Key) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return out
}

// Values returns the key's values in the order they were set.
func (k *Key) Values() []*Value {
	if k == nil {
		return nil
	}
	return k.values
}

// Value returns the value called name ("" for the default value), or nil.
func (k *Key) Value(name string) *Value {
	if k == nil {
		return nil
	}
	i, ok := k.byName[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return k.values[i]
}

// Registry is a registry model: the root keys and everything under them.
// The zero value is not usable; call [New].
type Registry struct {
	root   *Key
	limits Limits
	keys   int
	total  int64
}

// New returns an empty registry bounded by lim (zero fields take
// [DefaultLimits]).
func New(lim Limits) *Registry {
	if lim.MaxKeys <= 0 {
		lim.MaxKeys = DefaultLimits.MaxKeys
	}
	if lim.MaxValueSize <= 0 {
		lim.MaxValueSize = DefaultLimits.MaxValueSize
	}
	if lim.MaxTotal <= 0 {
		lim.MaxTotal = DefaultLimits.MaxTotal
	}
	return &Registry{root: newKey("", ""), limits: lim}
}

func newKey(name, path string) *Key {
	return &Key{name: name, path: path, subkeys: map[string]*Key{}, byName: map[string]int{}}
}

// rootKeys maps every accepted spelling of a root key to its long name.
var rootKeys = map[string]string{
	"hkey_local_machine": "HKEY_LOCAL_MACHINE", "hklm": "HKEY_LOCAL_MACHINE",
	"hkey_current_user": "HKEY_CURRENT_USER", "hkcu": "HKEY_CURRENT_USER",
	"hkey_users": "HKEY_USERS", "hku": "HKEY_USERS",
	"hkey_classes_root": "HKEY_CLASSES_ROOT", "hkcr": "HKEY_CLASSES_ROOT",
	"hkey_current_config": "HKEY_CURRENT_CONFIG", "hkcc": "HKEY_CURRENT_CONFIG",
}

// ErrBadPath is a key path that does not start with a root key or breaks a
// registry limit.
var ErrBadPath = errors.New("bad key path")

// SplitPath returns the components of a key path, the root key in its long
// form. Empty components (a doubled or trailing backslash) are dropped.
func SplitPath(path string) ([]string, error) {
	var parts []string
	for _, p := range strings.Split(path, `\`) {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadPath)
	}
	root, ok := rootKeys[strings.ToLower(parts[0])]
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a root key (want HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS, HKEY_CLASSES_ROOT or HKEY_CURRENT_CONFIG)", ErrBadPath, clip(parts[0]))
	}
	parts[0] = root
	if len(parts) > maxDepth {
		return nil, fmt.Errorf("%w: %d levels deep, more than %d", ErrBadPath, len(parts), maxDepth)
	}
	for _, p := range parts[1:] {
		if len(utf16.Encode([]rune(p))) > maxKeyName {
			return nil, fmt.Errorf("%w: key name %q is longer than %d characters", ErrBadPath, clip(p), maxKeyName)
		}
	}
	return parts, nil
}

// Key returns the key at path, or nil when it does not exist or path is not
// a key path.
func (r *Registry) Key(path string) *Key {
	parts, err := SplitPath(path)
	if err != nil {
		return nil
	}
	k := r.root
	for _, p := range parts {
		if k = k.Subkey(p); k == nil {
			return nil
		}
	}
	return k
}

// CreateKey returns the key at path, creating it and its parents as needed.
func (r *Registry) CreateKey(path string) (*Key, error) {
	parts, err := SplitPath(path)
	if err != nil {
		return nil, err
	}
	k := r.root
	for _, p := range parts {
		s := k.Subkey(p)
		if s == nil {
			if r.keys >= r.limits.MaxKeys {
				return nil, fmt.Errorf("winreg: more than %d keys", r.limits.MaxKeys)
			}
			r.keys++
			sp := p
			if k.path != "" {
				sp = k.path + `\` + p
			}
			s = newKey(p, sp)
			k.subkeys[strings.ToLower(p)] = s
		}
		k = s
	}
	return k, nil
}

// DeleteKey removes the key at path and everything under it, as a
// "[-path]" line in a .reg file does. A missing key is not an error.
func (r *Registry) DeleteKey(path string) {
	parts, err := SplitPath(path)
	if err != nil {
		return
	}
	k := r.root
	for _, p := range parts[:len(parts)-1] {
		if k = k.Subkey(p); k == nil {
			return
		}
	}
	last := strings.ToLower(parts[len(parts)-1])
	if s := k.subkeys[last]; s != nil {
		r.forget(s)
		delete(k.subkeys, last)
	}
}

func (r *Registry) forget(k *Key) {
	r.keys--
	for _, v := range k.values {
		r.total -= int64(len(v.Data))
	}
	for _, s := range k.subkeys {
		r.forget(s)
	}
}

// SetValue sets a value of k (replacing one of the same name), within the
// registry's limits. k must belong to r.
func (r *Registry) SetValue(k *Key, v Value) error {
	if len(utf16.Encode([]rune(v.Name))) > maxValueName {
		return fmt.Errorf("winreg: value name %q is longer than %d characters", clip(v.Name), maxValueName)
	}
	if len(v.Data) > r.limits.MaxValueSize {
		return fmt.Errorf("winreg: value %q of %s is %d bytes, more than %d", clip(v.Name), k.path, len(v.Data), r.limits.MaxValueSize)
	}
	ln := strings.ToLower(v.Name)
	old := int64(0)
	if i, ok := k.byName[ln]; ok {
		old = int64(len(k.values[i].Data))
	}
	if r.total-old+int64(len(v.Data)) > r.limits.MaxTotal {
		return fmt.Errorf("winreg: values add up to more than %d bytes", r.limits.MaxTotal)
	}
	r.total += int64(len(v.Data)) - old
	nv := v
	if i, ok := k.byName[ln]; ok {
		k.values[i] = &nv
		return nil
	}
	k.byName[ln] = len(k.values)
	k.values = append(k.values, &nv)
	return nil
}

// DeleteValue removes a value of k, as `"name"=-` in a .reg file does.
func (r *Registry) DeleteValue(k *Key, name string) {
	ln := strings.ToLower(name)
	i, ok := k.byName[ln]
	if !ok {
		return
	}
	r.total -= int64(len(k.values[i].Data))
	k.values = slices.Delete(k.values, i, i+1)
	delete(k.byName, ln)
	for j := i; j < len(k.values); j++ {
		k.byName[strings.ToLower(k.values[j].Name)] = j
	}
}

// Roots returns the root keys present, sorted.
func (r *Registry) Roots() []*Key { return r.root.Subkeys() }

// Keys returns the number of keys in the registry.
func (r *Registry) Keys() int { return r.keys }

// ValueError is a value whose data does not fit the type asked for.
type ValueError struct {
	Name string
	Type Type
	Want string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("winreg: value %q is %s, not %s", clip(e.Name), e.Type, e.Want)
}

// String returns a REG_SZ, REG_EXPAND_SZ or REG_LINK value's text, up to its
// first NUL. (Environment variables in REG_EXPAND_SZ are not expanded.)
func (v *Value) String() (string, error) {
	switch v.Type {
	case SZ, ExpandSZ, Link:
		return UTF16(v.Data), nil
	}
	return "", &ValueError{Name: v.Name, Type: v.Type, Want: "a string"}
}

// Strings returns a REG_MULTI_SZ value's strings (a REG_SZ gives one).
func (v *Value) Strings() ([]string, error) {
	switch v.Type {
	case SZ, ExpandSZ:
		return []string{UTF16(v.Data)}, nil
	case MultiSZ:
	default:
		return nil, &ValueError{Name: v.Name, Type: v.Type, Want: "a list of strings"}
	}
	u := utf16Units(v.Data)
	var out []string
	start := 0
	for i, c := range u {
		if c != 0 {
			continue
		}
		if i == start {
			break // the empty string ends the list
		}
		out = append(out, string(utf16.Decode(u[start:i])))
		start = i + 1
	}
	if start < len(u) && !slices.Contains(u[start:], 0) {
		out = append(out, string(utf16.Decode(u[start:])))
	}
	return out, nil
}

// Uint32 returns a REG_DWORD or REG_DWORD_BIG_ENDIAN value.
func (v *Value) Uint32() (uint32, error) {
	switch {
	case v.Type == DWord && len(v.Data) == 4:
		return binary.LittleEndian.Uint32(v.Data), nil
	case v.Type == DWordBigEndian && len(v.Data) == 4:
		return binary.BigEndian.Uint32(v.Data), nil
	}
	return 0, &ValueError{Name: v.Name, Type: v.Type, Want: "a 4-byte REG_DWORD"}
}

// Uint64 returns a REG_QWORD value (or a REG_DWORD widened).
func (v *Value) Uint64() (uint64, error) {
	if v.Type == QWord && len(v.Data) == 8 {
		return binary.LittleEndian.Uint64(v.Data), nil
	}
	n, err := v.Uint32()
	if err != nil {
		return 0, &ValueError{Name: v.Name, Type: v.Type, Want: "an 8-byte REG_QWORD"}
	}
	return uint64(n), nil
}

func utf16Units(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

// UTF16 decodes UTF-16LE bytes up to the first NUL (an odd last byte is
// ignored; unpaired surrogates become U+FFFD).
func UTF16(b []byte) string {
	u := utf16Units(b)
	if i := slices.Index(u, 0); i >= 0 {
		u = u[:i]
	}
	return string(utf16.Decode(u))
}

// EncodeUTF16 returns s as UTF-16LE with a terminating NUL, as the registry
// stores a REG_SZ.
func EncodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// cp1252 maps the bytes 0x80..0x9F of Windows-1252 (the ANSI code page of
// western Windows) to Unicode; 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined
// and map to themselves, as Windows does.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// ANSI decodes Windows-1252 bytes up to the first NUL: MAPI's PT_STRING8
// properties (value names starting 001e) and REGEDIT4 files.
func ANSI(b []byte) string {
	if i := slices.Index(b, 0); i >= 0 {
		b = b[:i]
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(ansiRune(c))
	}
	return sb.String()
}

func ansiRune(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252[c-0x80]
	}
	return rune(c)
}

// encodeANSI returns s in Windows-1252; characters it lacks become '?'.
func encodeANSI(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x80 || r >= 0xA0 && r < 0x100:
			out = append(out, byte(r))
		default:
			c := byte('?')
			for i, m := range cp1252 {
				if m == r {
					c = byte(0x80 + i)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// clip shortens attacker-chosen text quoted in an error message.
func clip(s string) string {
	const n = 64
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}
