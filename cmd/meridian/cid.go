package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/spf13/cobra"
)

func newCIDCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cid FILE",
		Short: "Print a file's content CID and sha256, as `ipfs add -n` would (no node needed)",
		Long: `Print the content CID of FILE ("-" for standard input): the UnixFS CID that
ipfs add --only-hash --cid-version=1 --chunker=size-1048576 --max-file-links=1024
prints for the same bytes, plus the sha256 of the whole content and its size.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := contentIDOf(args[0])
			if err != nil {
				return err
			}
			return printContentID(cmd.OutOrStdout(), args[0], id, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object {cid, sha256, size, name}")
	return cmd
}

func contentIDOf(name string) (chunker.ContentID, error) {
	const op = "cid"
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := openFile(op, name)
		if err != nil {
			return chunker.ContentID{}, err
		}
		defer f.Close()
		r = f
	}
	return chunker.ComputeContentID(r)
}

type contentIDJSON struct {
	CID    string `json:"cid"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Name   string `json:"name"`
}

func printContentID(w io.Writer, name string, id chunker.ContentID, asJSON bool) error {
	sum := hex.EncodeToString(id.SHA256[:])
	if asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(contentIDJSON{CID: id.CID.String(), SHA256: sum, Size: id.Size, Name: name})
	}
	_, err := fmt.Fprintf(w, "%s %s\nsha256 %s\nsize   %d\n", id.CID, name, sum, id.Size)
	return err
}
