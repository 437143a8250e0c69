package report

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/trustgap/trustgap/finding"
)

// Trust classes of the topology's nodes: how clients see a certificate or
// a server.
const (
	TrustStore       = "store"       // trusted through the client store
	TrustLync        = "lync"        // trusted only by the Lync assumption
	TrustUntrusted   = "untrusted"   // not trusted
	TrustUnreachable = "unreachable" // no server answered
	// TrustFail is a server whose chain clients trust but which fails
	// (a name mismatch, an expired or revoked certificate, ...): never
	// drawn as trusted.
	TrustFail = "fail"
)

// trustStyle is how a trust class is drawn: colours, a dash pattern and a
// word, so the graph reads without colour too.
type trustStyle struct {
	Fill, Stroke, Dash, Word string
}

var trustStyles = map[string]trustStyle{
	TrustStore:       {Fill: "#dafbe1", Stroke: "#1a7f37", Dash: "", Word: "trusted"},
	TrustLync:        {Fill: "#fff8c5", Stroke: "#9a6700", Dash: "8 4", Word: "Lync only"},
	TrustUntrusted:   {Fill: "#ffebe9", Stroke: "#cf222e", Dash: "2 3", Word: "untrusted"},
	TrustUnreachable: {Fill: "#eaeef2", Stroke: "#57606a", Dash: "1 5", Word: "unreachable"},
	TrustFail:        {Fill: "#ffcecb", Stroke: "#a40e26", Dash: "", Word: "fails"},
}

// Kinds of topology nodes.
const (
	nodeRoot    = "root"
	nodeCA      = "intermediate"
	nodeMissing = "missing" // the issuer of an incomplete chain, found nowhere
	nodeServer  = "server"
)

// Layout of the topology, in SVG user units.
const (
	graphNodeW   = 264
	graphNodeH   = 40
	graphRowH    = 52
	graphColW    = 312
	graphMarginX = 12
	graphTop     = 40
	graphTextX   = 8 // a line's left margin inside its box
	// graphLabelPx and graphSubPx are the font sizes of a box's two
	// lines (report.css: .graph text, text.sub).
	graphLabelPx, graphSubPx = 12, 11
	// MaxGraphServers bounds the server nodes the topology draws (one per
	// target, and one per address that presents another chain); the
	// table lists every target.
	MaxGraphServers = 300
)

// graphNode is one box of the topology.
type graphNode struct {
	Key   string
	Kind  string
	Trust string
	// Label and Sub are the box's two lines; Title its full text (a
	// tooltip, and what a screen reader says).
	Label, Sub, Title string
	SHA1              string // a certificate's SHA-1
	Target            string // a server's target anchor ("t3")
	Col, X, Y         int
	Style             trustStyle
	order             int   // first appearance, for rows
	servers           []int // the rows of the servers below it
	// selfSignedLeaf: a root that is a server's own certificate.
	selfSignedLeaf bool
}

// graphEdge links an issuer to what it issued.
type graphEdge struct {
	D        string // the SVG path
	From, To string
}

// graphCol heads a column.
type graphCol struct {
	X     int
	Title string
}

// Graph is the CA topology of a report: roots, intermediates and servers,
// laid out left to right, for the HTML page's SVG.
type Graph struct {
	W, H    int
	Cols    []graphCol
	Nodes   []*graphNode
	Edges   []graphEdge
	Omitted int // servers past MaxGraphServers
	// MaxServers is MaxGraphServers, for the page to say.
	MaxServers int
	Roots      []*graphNode
	// NodeW and NodeH are a box's size (it clips what it holds), RectW
	// and RectH its frame's, inside it.
	NodeW, NodeH, RectW, RectH int
}

// serverPath is one server and the CAs above it, root first.
type serverPath struct {
	node *graphNode
	cas  []*graphNode
}

// runeEm estimates the width of r in a sans-serif font, in ems, erring
// wide: a line cut by it fits its box in any of the page's fonts.
func runeEm(r rune) float64 {
	switch {
	case strings.ContainsRune("ijl.,:;'|!` ", r):
		return 0.34
	case strings.ContainsRune("ftrI()[]{}\"-/*", r):
		return 0.45
	case strings.ContainsRune("mwMW@%", r):
		return 1.0
	case r >= 'A' && r <= 'Z', r == '&', r == '#':
		return 0.75
	case r < 0x80:
		return 0.6
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul),
		r >= 0xFF00 && r <= 0xFFEF, r >= 0x1F000:
		return 1.2 // wide: CJK, full-width forms, emoji
	}
	return 0.8
}

// fit cuts s with an ellipsis so that it fits width units at a font of px
// units: a box's line never runs out of the box (the box clips it too).
func fit(s string, width, px float64) string {
	total := 0.0
	for _, r := range s {
		total += runeEm(r) * px
	}
	if total <= width {
		return s
	}
	budget := width - runeEm('…')*px - px*0.6
	w := 0.0
	for i, r := range s {
		if w+runeEm(r)*px > budget {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		w += runeEm(r) * px
	}
	return s
}

// lineWidth is the room for a line of text in a box.
const lineWidth = graphNodeW - 2*graphTextX

// label and sub fit a box's first and second lines.
func label(s string) string { return fit(s, lineWidth, graphLabelPx) }
func sub(s string) string   { return fit(s, lineWidth, graphSubPx) }

// rootTrust is the trust class of a target's root.
func rootTrust(tr *Target) string {
	switch {
	case tr.Root == nil:
		return TrustUntrusted
	case tr.Root.InStore:
		return TrustStore
	case tr.LyncRoot():
		return TrustLync
	}
	return TrustUntrusted
}

// serverTrust is the trust class of a target's server.
func serverTrust(tr *Target) string {
	switch {
	case !tr.Reached():
		return TrustUnreachable
	case !tr.Trusted:
		return TrustUntrusted
	case tr.LyncRoot():
		return TrustLync
	}
	return TrustStore
}

// buildGraph lays out the topology of targets: a column of roots (and of
// issuers found nowhere), columns of intermediates by their distance from
// the root, and a column of servers, one per target (plus one per address
// that presents another chain). Servers are ordered by the CAs above
// them, so each CA sits beside the servers it issued for.
func buildGraph(targets []*Target, ids []string) *Graph {
	g := &Graph{}
	cas := map[string]*graphNode{}
	order := 0
	ca := func(key, kind, trust, label, title, sha1 string, depth int) *graphNode {
		if n := cas[key]; n != nil {
			if rankTrust(trust) > rankTrust(n.Trust) && kind != nodeRoot {
				n.Trust = trust // an intermediate shown as badly as its worst chain
			}
			return n
		}
		order++
		n := &graphNode{Key: key, Kind: kind, Trust: trust, Label: label, Title: title, SHA1: sha1, Col: depth, order: order}
		cas[key] = n
		return n
	}
	var paths []serverPath
	var unreachable []*graphNode
	servers := 0
	addServer := func(tr *Target, id, label string, trust string, chain []*Cert, complete bool, rtrust string) {
		if servers == MaxGraphServers {
			g.Omitted++
			return
		}
		servers++
		verdict := strings.ToUpper(string(tr.Verdict))
		n := &graphNode{Key: "server:" + id + ":" + label, Kind: nodeServer, Trust: trust, Label: label,
			Sub: verdict + " · " + trustStyles[trust].Word, Title: fmt.Sprintf("%s: %s, %s", label, verdict, trustStyles[trust].Word), Target: id}
		if tr.Verdict == "fail" && (trust == TrustStore || trust == TrustLync) {
			// The chain is trusted, the server fails all the same (a name
			// mismatch, an expired or revoked certificate): never drawn
			// as trusted.
			codes := errorCodes(tr.Findings)
			n.Trust = TrustFail
			n.Sub = verdict + " · " + strings.Join(codes, ", ")
			n.Title = fmt.Sprintf("%s: %s (%s); the chain is %s", label, verdict, strings.Join(codes, ", "), trustStyles[trust].Word)
		}
		if trust == TrustUnreachable || len(chain) == 0 {
			if len(chain) == 0 && trust != TrustUnreachable {
				n.Sub = verdict + " · no chain"
			}
			unreachable = append(unreachable, n)
			return
		}
		var up []*graphNode // root first
		if complete {
			root := chain[len(chain)-1]
			rn := ca("cert:"+root.SHA1, nodeRoot, rtrust, root.Subject, root.Subject+" (SHA-1 "+strings.ToUpper(root.SHA1)+")", root.SHA1, 0)
			if len(chain) == 1 {
				rn.selfSignedLeaf = true
			}
			up = append(up, rn)
			for j := len(chain) - 2; j >= 1; j-- {
				c := chain[j]
				up = append(up, ca("cert:"+c.SHA1, nodeCA, rtrust, c.Subject, c.Subject+" (SHA-1 "+strings.ToUpper(c.SHA1)+")", c.SHA1, len(up)))
			}
		} else {
			issuer := chain[len(chain)-1].Issuer
			up = append(up, ca("missing:"+issuer, nodeMissing, TrustUntrusted, issuer, "issuer not found: "+issuer, "", 0))
			for j := len(chain) - 1; j >= 1; j-- {
				c := chain[j]
				up = append(up, ca("cert:"+c.SHA1, nodeCA, TrustUntrusted, c.Subject, c.Subject+" (SHA-1 "+strings.ToUpper(c.SHA1)+")", c.SHA1, len(up)))
			}
		}
		paths = append(paths, serverPath{node: n, cas: up})
	}
	for i, tr := range targets {
		id := ids[i]
		label := string(tr.Role) + " " + tr.Host
		if !tr.Reached() {
			addServer(tr, id, label, TrustUnreachable, nil, false, "")
			continue
		}
		chain := make([]*Cert, len(tr.Chain))
		for j := range tr.Chain {
			chain[j] = &tr.Chain[j]
		}
		addServer(tr, id, label, serverTrust(tr), chain, tr.Root != nil, rootTrust(tr))
		// An address that presents another chain gets its own server.
		primary := make([]string, len(tr.Chain))
		for j, c := range tr.Chain {
			primary[j] = c.SHA1
		}
		for _, a := range tr.Addresses {
			if len(a.Chain) == 0 || slices.Equal(a.Chain, primary) {
				continue
			}
			var ac []*Cert
			for _, s := range a.Chain {
				if c := tr.Cert(s); c != nil {
					ac = append(ac, c)
				}
			}
			if len(ac) != len(a.Chain) {
				continue // a report that lacks other_certs
			}
			last := ac[len(ac)-1]
			complete := last.SelfSigned || tr.Root != nil && last.SHA1 == tr.Root.SHA1
			rt := TrustUntrusted
			switch {
			case tr.Root != nil && last.SHA1 == tr.Root.SHA1:
				rt = rootTrust(tr)
			case hasCode(a.Findings, "untrusted-root") || hasCode(a.Findings, "self-signed"):
			case hasCode(a.Findings, "lync-root-assumed"):
				rt = TrustLync
			case complete:
				rt = TrustStore
			}
			st := TrustUntrusted
			if a.Trusted {
				st = TrustStore
				if hasCode(a.Findings, "lync-root-assumed") {
					st = TrustLync
				}
			}
			at := *tr
			at.Verdict, at.Findings = a.Verdict, a.Findings
			addServer(&at, id, label+" ("+a.Address+")", st, ac, complete, rt)
		}
	}
	// Rows: servers sorted by the order of the CAs above them.
	slices.SortStableFunc(paths, func(a, b serverPath) int {
		for k := 0; k < len(a.cas) && k < len(b.cas); k++ {
			if d := a.cas[k].order - b.cas[k].order; d != 0 {
				return d
			}
		}
		return len(a.cas) - len(b.cas)
	})
	maxDepth := 0
	for _, n := range cas {
		maxDepth = max(maxDepth, n.Col)
	}
	serverCol := maxDepth + 1
	row := 0
	var edges = map[string]bool{}
	link := func(from, to *graphNode) {
		k := from.Key + "\x00" + to.Key
		if edges[k] {
			return
		}
		edges[k] = true
		x1, y1 := from.X+graphNodeW, from.Y+graphNodeH/2
		x2, y2 := to.X, to.Y+graphNodeH/2
		mx := (x1 + x2) / 2
		g.Edges = append(g.Edges, graphEdge{D: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mx, y1, mx, y2, x2, y2), From: from.Key, To: to.Key})
	}
	for _, p := range paths {
		p.node.Col, p.node.Y = serverCol, graphTop+row*graphRowH
		for _, c := range p.cas {
			c.servers = append(c.servers, p.node.Y)
		}
		row++
	}
	for _, n := range unreachable {
		n.Col, n.Y = serverCol, graphTop+row*graphRowH
		row++
	}
	// Each CA beside the first of its servers (laid out from the top, so
	// that a CA above many servers is seen first, not in the middle of a
	// long column), then pushed apart.
	var caNodes []*graphNode
	for _, n := range cas {
		n.Y = graphTop
		if len(n.servers) > 0 {
			n.Y = slices.Min(n.servers)
		}
		caNodes = append(caNodes, n)
	}
	slices.SortFunc(caNodes, func(a, b *graphNode) int {
		if a.Col != b.Col {
			return a.Col - b.Col
		}
		if a.Y != b.Y {
			return a.Y - b.Y
		}
		return a.order - b.order
	})
	for i := 1; i < len(caNodes); i++ {
		if prev := caNodes[i-1]; prev.Col == caNodes[i].Col && caNodes[i].Y < prev.Y+graphRowH {
			caNodes[i].Y = prev.Y + graphRowH
		}
	}
	bottom := graphTop + max(row, 1)*graphRowH
	for _, n := range caNodes {
		bottom = max(bottom, n.Y+graphRowH)
	}
	for _, n := range caNodes {
		n.X = graphMarginX + n.Col*graphColW
		n.Style = trustStyles[n.Trust]
		switch {
		case n.Kind == nodeMissing:
			n.Sub = "issuer not found"
		case n.selfSignedLeaf:
			n.Sub = "self-signed server · " + n.Style.Word
		default:
			n.Sub = n.Kind + " · " + n.Style.Word
		}
		n.Label, n.Sub = label(n.Label), sub(n.Sub)
		g.Nodes = append(g.Nodes, n)
		if n.Kind == nodeRoot || n.Kind == nodeMissing {
			g.Roots = append(g.Roots, n)
		}
	}
	for _, p := range paths {
		p.node.X = graphMarginX + serverCol*graphColW
		p.node.Style = trustStyles[p.node.Trust]
		p.node.Label, p.node.Sub = label(p.node.Label), sub(p.node.Sub)
		g.Nodes = append(g.Nodes, p.node)
	}
	for _, n := range unreachable {
		n.X = graphMarginX + serverCol*graphColW
		n.Style = trustStyles[n.Trust]
		n.Label, n.Sub = label(n.Label), sub(n.Sub)
		g.Nodes = append(g.Nodes, n)
	}
	for _, p := range paths {
		for k := 1; k < len(p.cas); k++ {
			link(p.cas[k-1], p.cas[k])
		}
		link(p.cas[len(p.cas)-1], p.node)
	}
	g.Cols = append(g.Cols, graphCol{X: graphMarginX, Title: "Roots"})
	for c := 1; c <= maxDepth; c++ {
		g.Cols = append(g.Cols, graphCol{X: graphMarginX + c*graphColW, Title: "Intermediates"})
	}
	g.Cols = append(g.Cols, graphCol{X: graphMarginX + serverCol*graphColW, Title: "Servers"})
	g.W = graphMarginX*2 + serverCol*graphColW + graphNodeW
	g.H = bottom
	g.MaxServers, g.NodeW, g.NodeH, g.RectW, g.RectH = MaxGraphServers, graphNodeW, graphNodeH, graphNodeW-2, graphNodeH-2
	return g
}

// errorCodes are the distinct codes of the error-severity findings of fs,
// in order.
func errorCodes(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == finding.SevError && !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	if len(out) == 0 {
		out = []string{"fail"}
	}
	return out
}

// rankTrust orders trust classes from best to worst.
func rankTrust(t string) int {
	switch t {
	case TrustLync:
		return 1
	case TrustUntrusted:
		return 2
	case TrustUnreachable, TrustFail:
		return 3
	}
	return 0
}
