package fix

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces the file name with data atomically: it writes a
// temporary file in the same directory, with the original's permissions,
// syncs it to disk and renames it over the original, so that a reader (or
// a crash) sees the old file or the new one, never a half-written one. A
// symbolic link is followed and its target replaced. If the file changed
// since before was read, WriteFile leaves it alone and fails.
func WriteFile(name string, before, data []byte) (err error) {
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	current, err := os.ReadFile(target) //nolint:gosec // the path is the user's own input file
	if err != nil {
		return err
	}
	if string(current) != string(before) {
		return fmt.Errorf("%s changed while it was being fixed; run palisade fix again", name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".palisade-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	// Make the rename itself durable where the platform allows it.
	// (some file systems cannot sync a directory; the data is safe anyway).
	if dir, err := os.Open(filepath.Dir(target)); err == nil {
		_ = dir.Sync()
		_ = dir.Close()
	}
	return nil
}
