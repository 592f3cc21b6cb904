// Package cli is Palisade's command line: one file per subcommand. It parses
// flags, wires sources, the engine and report writers together, and returns
// the documented exit code; it holds no scanning logic of its own.
package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

// version is set at build time with -ldflags "-X ...cli.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// Version returns the program version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

// exitError carries an exit code decided by a subcommand.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// env is what a command may touch of the process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	for _, r := range rules.All() {
		if err := rule.Validate(r); err != nil {
			_, _ = fmt.Fprintf(stderr, "palisade: internal error: invalid rule catalog: %v\n", err)
			return report.ExitError
		}
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "palisade",
		Short:         "Find and fix security problems in Kubernetes manifests",
		Long:          "Palisade scans Kubernetes manifests for misconfigurations, Pod Security Standards violations,\nrisky RBAC and exposed services, and explains why each finding matters and how to fix it.",
		Version:       Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newScanCommand(e), newRulesCommand(e), newFixCommand(e), newImageCommand(e), newDBCommand(e), newWhoCanCommand(e), newRBACCommand(e), newWebhookCommand(e), newVAPCommand(e))
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return report.ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		_, _ = fmt.Fprintf(stderr, "palisade: %v\n", err)
		return report.ExitError
	}
}
