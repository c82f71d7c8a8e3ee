// Command lamina runs Hugging Face causal language models and lamina's other
// tools from the command line. Each subcommand lives in its own file and
// registers itself from an init function:
//
//	func init() { register("svg", "layered SVG tools", runSVG) }
//
// Results are JSON (or streamed text) on stdout; errors go to stderr with
// exit status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// command is one registered subcommand.
type command struct {
	name, summary string
	run           func(args []string) error
}

var commands = map[string]command{}

// stdout is where commands write results; tests swap it for a buffer.
var stdout io.Writer = os.Stdout

// register adds a subcommand. run receives the arguments after the
// subcommand name. Registering a name twice is a programming error.
func register(name, summary string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("lamina: subcommand " + name + " registered twice")
	}
	commands[name] = command{name: name, summary: summary, run: run}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lamina <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'lamina <command> -h' for a command's flags.")
}

func main() {
	// Results go to the real stdout through the stdout variable; os.Stdout itself points at
	// stderr, so a library that prints diagnostics with fmt.Println (tdewolff/canvas's path
	// booleans print "WARNING: ..." lines) cannot corrupt the JSON a script reads.
	stdout = os.Stdout
	os.Stdout = os.Stderr
	os.Exit(runMain(os.Args[1:], os.Stderr))
}

// runMain dispatches args to a subcommand and returns the exit status.
func runMain(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lamina: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "lamina %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// runMain controls the exit status.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lamina "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

// parseIDs parses a comma-separated token id list such as "1,2,3".
func parseIDs(s string) ([]int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty id list")
	}
	parts := strings.Split(s, ",")
	ids := make([]int32, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad token id %q in --ids", p)
		}
		ids[i] = int32(v)
	}
	return ids, nil
}
