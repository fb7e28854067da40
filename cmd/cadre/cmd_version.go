package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/messaging"
)

// version is set with -ldflags "-X main.version=..." by make build.
var version = "dev"

// NewCmdVersion prints the version of cadre and of its wire format.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print cadre's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						rev = " (" + s.Value[:12] + ")"
					}
				}
			}
			fmt.Fprintf(f.IO.Out, "cadre %s%s, wire format %d, %s %s/%s\n", f.Version, rev, messaging.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
