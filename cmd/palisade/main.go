// Command palisade finds security problems in Kubernetes manifests. All the
// work happens in internal/cli; this file only hands over the arguments and
// exits with the code it returns.
package main

import (
	"os"

	"github.com/palisade-dev/palisade/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
