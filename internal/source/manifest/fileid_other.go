//go:build !unix

package manifest

import "io/fs"

const openFlags = 0

// idOf reports no identity where the platform gives none: symlink loops
// are then caught by the operating system's own limit (ELOOP) only.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }
