package target

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct{ in, index, want, err string }{
		{"0/4", "", "0/4", ""},
		{"3/4", "9", "3/4", ""},
		{"1/1", "", "", "K must be a number from 0 to 0"},
		{"4", "2", "2/4", ""},
		{"4", "", "", "JOB_COMPLETION_INDEX is not set: give --shard K/4"},
		{"4", "4", "", "K (from JOB_COMPLETION_INDEX) must be a number from 0 to 3"},
		{"4/4", "", "", "K must be a number from 0 to 3"},
		{"-1/4", "", "", "K must be"},
		{"0/0", "", "", "want K/N"},
		{"a/b", "", "", "want K/N"},
		{"", "1", "", "want K/N"},
		{"0/1000001", "", "", "want K/N"},
	} {
		s, err := ParseShard(tc.in, tc.index)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q (index %q): got %v %v, want error %q", tc.in, tc.index, s, err, tc.err)
			}
		case err != nil || s.String() != tc.want:
			t.Errorf("%q (index %q): got %v %v, want %s", tc.in, tc.index, s, err, tc.want)
		}
	}
}

// TestShardsPartition: the N shards of a list are disjoint and cover it,
// for every N up to the list's length and beyond.
func TestShardsPartition(t *testing.T) {
	const n = 100
	for N := 1; N <= n+3; N++ {
		owner := make([]int, n)
		for i := range owner {
			owner[i] = -1
		}
		for k := 0; k < N; k++ {
			s := Shard{K: k, N: N}
			for i := 0; i < n; i++ {
				if !s.Contains(i) {
					continue
				}
				if owner[i] >= 0 {
					t.Fatalf("N=%d: target %d is in shards %d and %d", N, i, owner[i], k)
				}
				owner[i] = k
			}
		}
		for i, o := range owner {
			if o < 0 {
				t.Fatalf("N=%d: target %d is in no shard", N, i)
			}
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "4", "3/4", "x", "/", "1/", "/1", "99999999999999999999/1"} {
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, s, index string) {
		sh, err := ParseShard(s, index)
		if err != nil {
			return
		}
		if sh.N < 1 || sh.N > MaxShards || sh.K < 0 || sh.K >= sh.N {
			t.Fatalf("%q gave %+v", s, sh)
		}
		if !sh.Contains(sh.K) {
			t.Fatalf("%+v does not contain %d", sh, sh.K)
		}
	})
}
