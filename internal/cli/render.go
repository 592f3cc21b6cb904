package cli

import (
	"fmt"
	"io"

	"github.com/palisade-dev/palisade/internal/report"
	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
	"github.com/palisade-dev/palisade/internal/report/junit"
	"github.com/palisade-dev/palisade/internal/report/sarif"
	"github.com/palisade-dev/palisade/internal/report/text"
)

type renderOptions struct {
	color, verbose, showSuppressed bool
}

func render(w io.Writer, format string, rep *report.Report, o renderOptions) error {
	switch format {
	case "text":
		return text.Write(w, rep, text.Options{Color: o.color, Verbose: o.verbose, ShowSuppressed: o.showSuppressed})
	case "json":
		return jsonreport.Write(w, rep)
	case "sarif":
		return sarif.Write(w, rep)
	case "junit":
		return junit.Write(w, rep)
	}
	return fmt.Errorf("output format %q is not available", format)
}
