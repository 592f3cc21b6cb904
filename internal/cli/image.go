package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/imgreport"
	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/image/scan"
	"github.com/palisade-dev/palisade/internal/image/source"
	"github.com/palisade-dev/palisade/internal/image/vuln"
	"github.com/palisade-dev/palisade/internal/image/walk"
	"github.com/palisade-dev/palisade/internal/profiling"
	"github.com/palisade-dev/palisade/internal/rule"
)

type imageFlags struct {
	input, ociLayout, platform, tag string
	db, cacheDir                    string
	outputs, disable                []string
	failOn, minSeverity, color      string
	maxFileMiB, maxLayerGiB         int64
	workers                         int
	cpuProfile                      string
}

var imageFormats = []string{"text", "json", "sarif", "cyclonedx", "spdx"}

func newImageCommand(e *env) *cobra.Command {
	var f imageFlags
	cmd := &cobra.Command{
		Use:   "image REF | --input FILE | --oci-layout DIR",
		Short: "Scan a container image for misconfiguration, secrets, malware and vulnerable packages",
		Long: `Scan a container image offline: its configuration, every file of every layer (including files
that later layers delete), the packages installed in it, and, with a vulnerability database,
known-vulnerable and known-malicious packages.

The image is a registry reference (credentials from the Docker configuration; the only case
that uses the network), a docker save tarball (--input) or an OCI layout directory
(--oci-layout). Multi-platform images pick --platform (default linux/amd64).

Vulnerabilities come from OSV data given with --db (a directory of OSV JSON files or
all.zip archives) or imported with 'palisade db import'.

Outputs (-o, repeatable): text, json, sarif, cyclonedx (1.5), spdx (2.3); write one to a
file with FORMAT=FILE.

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, an image or layer that could not be read completely, or an unreadable database`,
		Example: `  palisade image ghcr.io/acme/shop:1.4.0
  palisade image --input shop.tar -o text -o sarif=shop.sarif -o cyclonedx=shop.cdx.json
  palisade image --oci-layout ./oci --platform linux/arm64 --db ./osv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			return runImage(cmd.Context(), e, f, ref)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "a docker save `TARBALL`")
	fl.StringVar(&f.ociLayout, "oci-layout", "", "an OCI image layout `DIR`")
	fl.StringVar(&f.platform, "platform", source.DefaultPlatform, "`OS/ARCH[/VARIANT]` to pick from multi-platform images")
	fl.StringVar(&f.tag, "tag", "", "the image to pick from a tarball holding several, by `TAG`")
	fl.StringVar(&f.db, "db", "", "OSV vulnerability database `DIR` (default: the one 'palisade db import' fills, when present)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "cache layer results in `DIR`, keyed by layer DiffID")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "output `FORMAT[=FILE]`: text, json, sarif, cyclonedx, spdx (repeatable; default text)")
	fl.StringVar(&f.failOn, "fail-on", "high", "lowest `SEVERITY` that fails the scan: critical, high, medium, low, info")
	fl.StringVar(&f.minSeverity, "min-severity", "info", "report only findings at or above `SEVERITY`")
	fl.StringSliceVar(&f.disable, "disable", nil, "disable image checks by `ID`")
	fl.StringVar(&f.color, "color", "auto", "colour text output: auto, always, never")
	fl.Int64Var(&f.maxFileMiB, "max-file-size", scan.DefaultMaxFileBytes>>20, "read files up to `MiB` whole; larger ones are searched in pieces for malware strings and Go build information only")
	fl.Int64Var(&f.maxLayerGiB, "max-layer-size", walk.DefaultMaxLayerBytes>>30, "stop reading a layer that decompresses to more than `GiB` (a decompression bomb)")
	fl.IntVar(&f.workers, "workers", 0, "layers read at once (default: the number of CPUs, at most 4)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` (for performance reports)")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

func runImage(ctx context.Context, e *env, f imageFlags, ref string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.cpuProfile != "" {
		stop, err := profiling.StartCPU(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	outs, err := parseOutputs(f.outputs, imageFormats)
	if err != nil {
		return usageError{err}
	}
	failOn, err := rule.ParseSeverity(f.failOn)
	if err != nil {
		return usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	minSev, err := rule.ParseSeverity(f.minSeverity)
	if err != nil {
		return usageError{fmt.Errorf("--min-severity: %w", err)}
	}
	switch f.color {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Errorf("--color must be auto, always or never, not %q", f.color)}
	}
	for _, id := range f.disable {
		if _, ok := check.ByID(id); !ok {
			return usageError{fmt.Errorf("no image check %q (see palisade image --help)", id)}
		}
	}
	if f.maxFileMiB <= 0 || f.maxLayerGiB <= 0 {
		return usageError{fmt.Errorf("--max-file-size and --max-layer-size must be positive")}
	}
	n := 0
	for _, s := range []string{ref, f.input, f.ociLayout} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usageError{fmt.Errorf("give exactly one of an image reference, --input FILE or --oci-layout DIR")}
	}

	var notices []string
	opts := scan.Options{
		MaxFileBytes: f.maxFileMiB << 20,
		Walk:         walk.Options{Workers: f.workers, MaxLayerBytes: f.maxLayerGiB << 30},
	}
	found, err := setUpImageScan(&opts, f.cacheDir, f.db)
	if err != nil {
		return err
	}
	if !found {
		notices = append(notices, "no vulnerability database: packages were listed but not matched against advisories (give --db DIR or run palisade db import)")
	}

	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(scan.MemoryLimit))
	}
	img, err := source.Open(ctx, source.Options{Ref: ref, Input: f.input, OCILayout: f.ociLayout, Platform: f.platform, Tag: f.tag})
	if err != nil {
		_, _ = fmt.Fprintf(e.stderr, "palisade: %v\n", err)
		return exitError{2}
	}
	s, err := scan.New(opts)
	if err != nil {
		return err
	}
	res, err := s.Scan(ctx, img)
	if err != nil {
		return err
	}
	res.Notices = append(res.Notices, notices...)
	kept := res.Findings[:0]
	for _, fd := range res.Findings {
		if fd.Severity >= minSev && !slices.Contains(f.disable, fd.RuleID) {
			kept = append(kept, fd)
		}
	}
	res.Findings = kept
	rep := &imgreport.Report{
		Tool:   imgreport.Tool{Name: "palisade", Version: Version(), InformationURI: "https://github.com/palisade-dev/palisade"},
		Result: res, FailOn: failOn,
	}
	for _, msg := range rep.AllErrors() {
		_, _ = fmt.Fprintf(e.stderr, "palisade: %s\n", msg)
	}
	for _, o := range outs {
		if err := writeImageOutput(e, o, rep, f.color); err != nil {
			return err
		}
	}
	if code := rep.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

func writeImageOutput(e *env, o output, rep *imgreport.Report, color string) (err error) {
	w := e.stdout
	if o.file != "" {
		file, err := os.Create(filepath.Clean(o.file))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}()
		w = file
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	res := rep.Result
	sub := sbom.Subject{Name: res.Image.Name, Digest: res.Image.Digest, Platform: res.Image.Platform, OS: res.OS}
	tool := sbom.Tool{Name: "palisade", Version: Version()}
	switch o.format {
	case "text":
		useColor := color == "always" || (color == "auto" && o.file == "" && isTerminal(e.stdout))
		err = imgreport.WriteText(bw, rep, imgreport.TextOptions{Color: useColor})
	case "json":
		err = imgreport.WriteJSON(bw, rep)
	case "sarif":
		err = imgreport.WriteSARIF(bw, rep)
	case "cyclonedx":
		var vulns []sbom.Vulnerability
		for _, f := range res.Findings {
			if f.Package != nil && f.Advisory != nil {
				vulns = append(vulns, sbom.Vulnerability{ID: f.Advisory.ID, Severity: f.Severity.String(), Summary: f.Advisory.Summary, Fixed: f.Advisory.Fixed, PURL: f.Package.PURL, Path: f.Path})
			}
		}
		err = sbom.WriteCycloneDX(bw, sub, res.Packages, vulns, tool, now())
	case "spdx":
		err = sbom.WriteSPDX(bw, sub, res.Packages, tool, now())
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func newDBCommand(e *env) *cobra.Command {
	db := &cobra.Command{Use: "db", Short: "Manage the offline vulnerability database"}
	var dir string
	imp := &cobra.Command{
		Use:   "import SOURCE...",
		Short: "Import OSV advisories (all.zip archives, JSON files or directories of them)",
		Long: `Import OSV advisories into the database 'palisade image' reads, after checking that every record
parses. SOURCE is an OSV all.zip (one per ecosystem, as OSV publishes them), an OSV JSON file
or a directory of them. Nothing is downloaded.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				dir = vuln.DefaultDir()
			}
			if dir == "" {
				return usageError{fmt.Errorf("no cache directory: give --db DIR")}
			}
			total := 0
			for _, src := range args {
				n, err := vuln.Import(src, dir)
				if err != nil {
					_, _ = fmt.Fprintf(e.stderr, "palisade: %v\n", err)
					return exitError{2}
				}
				total += n
			}
			_, _ = fmt.Fprintf(e.stdout, "imported %d advisories into %s\n", total, dir)
			return nil
		},
	}
	imp.Flags().StringVar(&dir, "db", "", "database `DIR` (default: "+vuln.DefaultDir()+")")
	db.AddCommand(imp)
	return db
}

// setUpImageScan gives opts a layer cache (in dir, or in memory so that
// images sharing layers read each once) and the vulnerability database in
// db, or the one `palisade db import` fills when db is empty. It reports
// whether a database was found; one that does not open is a usage error.
func setUpImageScan(opts *scan.Options, cacheDir, db string) (bool, error) {
	if cacheDir != "" {
		opts.Walk.Cache = walk.DirCache{Dir: cacheDir}
	} else {
		opts.Walk.Cache = walk.NewMemCache()
	}
	if db == "" {
		if d := vuln.DefaultDir(); d != "" {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				db = d
			}
		}
	}
	if db == "" {
		return false, nil
	}
	vdb, err := vuln.Open(db)
	if err != nil {
		return false, usageError{err}
	}
	opts.DB = vdb
	return true, nil
}
