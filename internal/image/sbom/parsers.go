package sbom

import (
	"archive/zip"
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime/debug"
	"strings"
)

// paragraphs splits RFC 822-style databases (dpkg, apk) into stanzas of
// fields; continuation lines are appended to the previous field.
func paragraphs(b []byte, sep byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, last = map[string]string{}, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cur[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, string(sep))
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if sep == ':' && len(k) == 1 {
			// apk: repeated single-letter keys (R:) accumulate.
			if old, dup := cur[k]; dup {
				cur[k] = old + "\n" + strings.TrimSpace(v)
				continue
			}
		}
		cur[k], last = strings.TrimSpace(v), k
	}
	flush()
	return out
}

func parseDpkg(b []byte) []Package {
	var out []Package
	for _, p := range paragraphs(b, ':') {
		name, version := p["Package"], p["Version"]
		if name == "" || version == "" {
			continue
		}
		// status.d files of distroless images have no Status field.
		if st, ok := p["Status"]; ok && !strings.HasSuffix(st, " installed") {
			continue
		}
		pkg := Package{Name: name, Version: version, Type: "deb", Arch: p["Architecture"], Source: name, SourceVersion: version}
		if src := p["Source"]; src != "" {
			// "Source: name (version)" when the source version differs.
			n, v, _ := strings.Cut(src, " ")
			pkg.Source = n
			if v = strings.Trim(v, "() "); v != "" {
				pkg.SourceVersion = v
			}
		}
		out = append(out, pkg)
	}
	return out
}

func parseApk(b []byte) ([]Package, []string) {
	var out []Package
	var owned []string
	for _, p := range paragraphs(b, ':') {
		name, version := p["P"], p["V"]
		if name == "" || version == "" {
			continue
		}
		pkg := Package{Name: name, Version: version, Type: "apk", Arch: p["A"], Source: name, SourceVersion: version}
		if o := p["o"]; o != "" {
			pkg.Source = o
		}
		if l := p["L"]; l != "" {
			pkg.Licenses = []string{l}
		}
		out = append(out, pkg)
		// F: is a directory, the R: lines that follow are its files.
		dir := ""
		for _, line := range strings.Split(p["F"]+"\n", "\n") {
			_ = line
		}
		_ = dir
	}
	// Ownership needs the order of F: and R: lines, which the map loses:
	// read it in a second, line-by-line pass.
	dir := ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "F:"):
			dir = "/" + strings.TrimPrefix(line, "F:")
		case strings.HasPrefix(line, "R:"):
			owned = append(owned, path.Join(dir, strings.TrimPrefix(line, "R:")))
		case line == "":
			dir = "/"
		}
	}
	return out, owned
}

func parseNpm(b []byte) []Package {
	var pj struct {
		Name    string          `json:"name"`
		Version string          `json:"version"`
		License json.RawMessage `json:"license"`
		Private bool            `json:"private"`
	}
	if json.Unmarshal(b, &pj) != nil || pj.Name == "" || pj.Version == "" {
		return nil
	}
	pkg := Package{Name: pj.Name, Version: pj.Version, Type: "npm", Ecosystem: "npm"}
	var lic string
	if json.Unmarshal(pj.License, &lic) == nil && lic != "" {
		pkg.Licenses = []string{lic}
	} else {
		var obj struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(pj.License, &obj) == nil && obj.Type != "" {
			pkg.Licenses = []string{obj.Type}
		}
	}
	return []Package{pkg}
}

func parsePython(b []byte) []Package {
	var name, version, license string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line == "\r" {
			break // the headers end at the first blank line
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			name = v
		case "Version":
			version = v
		case "License-Expression":
			license = v
		case "License":
			if license == "" && v != "UNKNOWN" && len(v) < 80 {
				license = v
			}
		}
	}
	if name == "" || version == "" {
		return nil
	}
	pkg := Package{Name: name, Version: version, Type: "pypi", Ecosystem: "PyPI"}
	if license != "" {
		pkg.Licenses = []string{license}
	}
	return []Package{pkg}
}

// maxNestedJar bounds the size of an archive read from inside another.
const maxNestedJar = 64 << 20

func parseJava(p string, b []byte) ([]Package, error) {
	return parseJar(p, b, 0)
}

func parseJar(p string, b []byte, depth int) ([]Package, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var out []Package
	var manifest *zip.File
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			props, err := readZip(f, 1<<20)
			if err != nil {
				continue
			}
			kv := properties(props)
			if kv["artifactId"] != "" && kv["version"] != "" {
				out = append(out, Package{Name: kv["artifactId"], Namespace: kv["groupId"], Version: kv["version"], Type: "maven", Ecosystem: "Maven"})
			}
		case name == "META-INF/MANIFEST.MF":
			manifest = f
		case depth == 0 && (strings.HasSuffix(name, ".jar") || strings.HasSuffix(name, ".war")) && f.UncompressedSize64 <= maxNestedJar:
			nb, err := readZip(f, maxNestedJar)
			if err != nil {
				continue
			}
			nested, _ := parseJar(p+"!/"+name, nb, depth+1)
			out = append(out, nested...)
		}
	}
	if len(out) == 0 && manifest != nil {
		mb, err := readZip(manifest, 1<<20)
		if err == nil {
			kv := manifestFields(mb)
			name := firstOf(kv["Implementation-Title"], kv["Bundle-SymbolicName"], strings.TrimSuffix(path.Base(p), path.Ext(p)))
			version := firstOf(kv["Implementation-Version"], kv["Bundle-Version"], kv["Specification-Version"])
			if version != "" {
				out = append(out, Package{Name: name, Namespace: firstOf(kv["Implementation-Vendor-Id"], kv["Automatic-Module-Name"]), Version: version, Type: "maven", Ecosystem: "Maven"})
			}
		}
	}
	return out, nil
}

func readZip(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("archive member too large")
	}
	return b, nil
}

func properties(b []byte) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return kv
}

func manifestFields(b []byte) map[string]string {
	kv := map[string]string{}
	last := ""
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if line == "" {
			break // the main section ends at the first blank line
		}
		if line[0] == ' ' && last != "" {
			kv[last] += line[1:]
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			last = strings.TrimSpace(k)
			kv[last] = strings.TrimSpace(v)
		}
	}
	// Bundle-SymbolicName may carry directives: "a.b;singleton:=true".
	if s, _, ok := strings.Cut(kv["Bundle-SymbolicName"], ";"); ok {
		kv["Bundle-SymbolicName"] = s
	}
	return kv
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// parseGoBinary reads the build information of a Go binary.
func parseGoBinary(b []byte) []Package {
	bi, err := buildinfo.Read(bytes.NewReader(b))
	if err != nil {
		return nil // not a Go binary
	}
	return goPackages(bi)
}

// goPackages lists the main module, its dependencies (replacements
// applied) and the standard library, as OSV's Go ecosystem names it.
func goPackages(bi *debug.BuildInfo) []Package {
	var out []Package
	add := func(m *debug.Module) {
		if m == nil || m.Path == "" {
			return
		}
		if m.Replace != nil && m.Replace.Version != "" && m.Replace.Version != "(devel)" {
			m = m.Replace // a local replacement has no version: keep the original's
		}
		if m.Version == "" || m.Version == "(devel)" {
			return
		}
		out = append(out, Package{Name: m.Path, Version: m.Version, Type: "golang", Ecosystem: "Go"})
	}
	add(&bi.Main)
	for _, d := range bi.Deps {
		add(d)
	}
	if v := strings.TrimPrefix(bi.GoVersion, "go"); v != "" && bi.GoVersion != v {
		// "go1.22.3 X:boringcrypto" has experiments after a space.
		v, _, _ = strings.Cut(v, " ")
		out = append(out, Package{Name: "stdlib", Version: "v" + v, Type: "golang", Ecosystem: "Go"})
	}
	return out
}
