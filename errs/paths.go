package errs

import (
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// PathMark replaces a node's file paths in texts sent to clients and peers.
const PathMark = "[path on the node]"

// WithoutPaths returns text (an error message derived from err) with the node's file system
// paths replaced by PathMark: a client or a peer learns that a file failed, not how the
// node's disks are laid out. It replaces the paths of every *fs.PathError and *os.LinkError in
// err's chain exactly, and then any other absolute path of two or more elements, for errors
// that were flattened into a message with %v. Paths that are not on disk are kept: the API's
// routes (/v1/…, /pid/…, /ipfs/…), multiaddrs (/ip4/…, /dns4/…, /p2p/…) and protocol IDs
// (/meridian/…). err may be nil.
func WithoutPaths(text string, err error) string {
	for _, p := range chainPaths(err) {
		if len(p) > 1 {
			text = strings.ReplaceAll(text, p, PathMark)
		}
	}
	return absPath.ReplaceAllStringFunc(text, func(m string) string {
		i := strings.IndexByte(m, '/')
		first, _, _ := strings.Cut(m[i+1:], "/")
		if notDisk[first] {
			return m
		}
		return m[:i] + PathMark
	})
}

// chainPaths lists the file paths named by errors in err's chain, longest first (so a path
// is replaced before a prefix of it could be).
func chainPaths(err error) []string {
	var ps []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *fs.PathError:
			ps = append(ps, x.Path)
		case *os.LinkError:
			ps = append(ps, x.Old, x.New)
		}
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && len(ps[j]) > len(ps[j-1]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	return ps
}

// absPath matches an absolute path of at least two elements at the start of the text or
// after a space, a colon or an opening quote or bracket.
var absPath = regexp.MustCompile(`(?:^|[\s:=("'\[])/[^\s/:"'()\[\],;]+(?:/[^\s/:"'()\[\],;]*)+`)

// notDisk are first path elements of texts that are not file paths.
var notDisk = map[string]bool{
	"v1": true, "pid": true, "ipfs": true, "ipns": true, "console": true, "metrics": true,
	"ip4": true, "ip6": true, "dns": true, "dns4": true, "dns6": true, "dnsaddr": true,
	"tcp": true, "udp": true, "p2p": true, "quic": true, "quic-v1": true, "ws": true, "wss": true,
	"tls": true, "noise": true, "yamux": true, "p2p-circuit": true, "webtransport": true,
	"meridian": true, "libp2p": true,
}
