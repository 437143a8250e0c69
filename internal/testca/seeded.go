package testca

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
)

// seededStream is a deterministic byte stream: SHA-256 of the seed and a
// counter, block after block. It is for reproducible demo and golden-test
// fixtures only, never for keys that protect anything.
type seededStream struct {
	seed string
	n    uint64
	buf  []byte
}

func (s *seededStream) Read(p []byte) (int, error) {
	for i := range p {
		if len(s.buf) == 0 {
			var ctr [8]byte
			binary.BigEndian.PutUint64(ctr[:], s.n)
			s.n++
			sum := sha256.Sum256(append([]byte(s.seed+"\x00"), ctr[:]...))
			s.buf = sum[:]
		}
		p[i], s.buf = s.buf[0], s.buf[1:]
	}
	return len(p), nil
}

// seededRSAKey derives an RSA key of bits bits from seed, the same on every
// run. crypto/rsa.GenerateKey ignores its reader since Go 1.26, so the primes
// are searched here with math/big.
func seededRSAKey(seed string, bits int) *rsa.PrivateKey {
	r := &seededStream{seed: "rsa-key " + seed}
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		b := make([]byte, bits/16)
		for {
			r.Read(b)
			b[0] |= 0xC0 // two top bits: the product has exactly bits bits
			b[len(b)-1] |= 1
			p := new(big.Int).SetBytes(b)
			for range 4096 {
				if p.ProbablyPrime(20) && new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(p, one)).Cmp(one) == 0 {
					return p
				}
				p.Add(p, big.NewInt(2))
			}
		}
	}
	for {
		p, q := prime(), prime()
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(e, phi)
		if d == nil || n.BitLen() != bits {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if err := k.Validate(); err != nil {
			panic(err)
		}
		return k
	}
}

// seededSerial derives a positive 127-bit serial number from seed.
func seededSerial(seed string) *big.Int {
	var b [16]byte
	(&seededStream{seed: "serial " + seed}).Read(b[:])
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b[:])
}
