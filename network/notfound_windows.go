package network

import (
	"context"
	"errors"

	"golang.org/x/sys/windows"
)

// classifyNotFound tells NXDOMAIN from "no record of that type" after the
// system resolver said only "not found" (Go reports both as "no such
// host"): it asks Windows' DNS client (DnsQuery) the same question and
// reads its status, DNS_ERROR_RCODE_NAME_ERROR or DNS_INFO_NO_RECORDS. It
// returns NotFound when that cannot be told.
func classifyNotFound(ctx context.Context, name string, qtype uint16) DNSErrorKind {
	done := make(chan DNSErrorKind, 1)
	go func() {
		var rec *windows.DNSRecord
		err := windows.DnsQuery(name, qtype, 0, nil, &rec, nil)
		if rec != nil {
			windows.DnsRecordListFree(rec, 1)
		}
		switch {
		case err == nil:
			done <- NotFound // Windows has it: the resolvers disagree
		case errors.Is(err, windows.DNS_ERROR_RCODE_NAME_ERROR):
			done <- NXDomain
		case errors.Is(err, windows.DNS_INFO_NO_RECORDS):
			done <- NoAnswer
		default:
			done <- NotFound
		}
	}()
	select {
	case k := <-done:
		return k
	case <-ctx.Done():
		return NotFound
	}
}
