package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/ruledoc"
	"github.com/palisade-dev/palisade/internal/rules"
)

func newRulesCommand(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all := rules.All()
			switch format {
			case "table":
				return ruledoc.Table(e.stdout, all)
			case "markdown":
				return ruledoc.Markdown(e.stdout, all)
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(catalogJSON(all))
			}
			return usageError{fmt.Errorf("unknown format %q (want table, json or markdown)", format)}
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "`FORMAT`: table, json or markdown")
	cmd.AddCommand(&cobra.Command{
		Use:   "explain ID",
		Short: "Explain one rule in full",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := rules.ByID(args[0])
			if r == nil {
				return usageError{fmt.Errorf("no rule %q (see `palisade rules`)", args[0])}
			}
			return ruledoc.Explain(e.stdout, r)
		},
	})
	return cmd
}

type ruleJSON struct {
	ID          string          `json:"id"`
	Aliases     []string        `json:"aliases,omitempty"`
	Title       string          `json:"title"`
	Severity    rule.Severity   `json:"severity"`
	Category    rule.Category   `json:"category"`
	Fixable     bool            `json:"fixable"`
	DefaultOff  bool            `json:"defaultOff"`
	Doc         string          `json:"doc"`
	Remediation string          `json:"remediation"`
	References  []framework.Ref `json:"references"`
	Params      []rule.Param    `json:"params,omitempty"`
}

func catalogJSON(all []*rule.Rule) []ruleJSON {
	out := make([]ruleJSON, 0, len(all))
	for _, r := range all {
		out = append(out, ruleJSON{ID: r.ID, Aliases: r.Aliases, Title: r.Title, Severity: r.Severity, Category: r.Category,
			Fixable: r.Fixable, DefaultOff: r.DefaultOff, Doc: r.Doc, Remediation: r.Remediation, References: r.References, Params: r.Params})
	}
	return out
}
