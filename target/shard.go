package target

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of N deterministic slices of a target list: --shard K/N.
// Target i (its position in the list, duplicates removed) belongs to shard
// i mod N, so the slices are disjoint, cover the list, and each holds every
// N-th target (a list sorted by domain or subnet spreads its slow parts over
// every shard).
type Shard struct {
	K, N int // 0 <= K < N
}

// MaxShards bounds N.
const MaxShards = 1_000_000

// ShardError is a --shard value that does not parse.
type ShardError struct {
	Value string
	Why   string
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("bad --shard %q: %s", e.Value, e.Why)
}

// ParseShard parses "K/N" (0 <= K < N), or "N" alone, when K comes from
// index, the value of JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's
// completion index; "" when it is not set).
func ParseShard(s, index string) (Shard, error) {
	bad := func(why string) (Shard, error) { return Shard{}, &ShardError{Value: s, Why: why} }
	ks, ns, slash := strings.Cut(s, "/")
	if !slash {
		ks, ns = "", s
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 || n > MaxShards {
		return bad(fmt.Sprintf("want K/N with N from 1 to %d (for example 0/4), or N with K from JOB_COMPLETION_INDEX", MaxShards))
	}
	if !slash {
		if index == "" {
			return bad("K is not given and JOB_COMPLETION_INDEX is not set: give --shard K/" + ns)
		}
		ks = index
	}
	k, err := strconv.Atoi(ks)
	if err != nil || k < 0 || k >= n {
		from := ""
		if !slash {
			from = " (from JOB_COMPLETION_INDEX)"
		}
		return bad(fmt.Sprintf("K%s must be a number from 0 to %d", from, n-1))
	}
	return Shard{K: k, N: n}, nil
}

// Contains reports whether the target at position i of the list belongs to
// the shard.
func (s Shard) Contains(i int) bool { return i%s.N == s.K }

// String is "K/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }
