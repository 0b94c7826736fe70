package main

import (
	"io"
	"os"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws a transfer's progress (bytes, rate, ETA) on a terminal. The bar is made
// on the first report, when the total is known (-1: a spinner).
type progressBar struct {
	w    io.Writer
	desc string
	bar  *progressbar.ProgressBar
}

// newProgress returns a progress bar drawn on w, or nil when w is not a terminal (scripts,
// pipes, CI logs get no bar).
func newProgress(w io.Writer, desc string) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return &progressBar{w: w, desc: desc}
}

// report is an api.Progress.
func (p *progressBar) report(done, total int64) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.desc),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(), // the bytes done and the total, beside the rate
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseIECUnits(true),
		)
	}
	_ = p.bar.Set64(done)
}

// options returns the client option that reports to p (none for a nil p).
func (p *progressBar) options() []api.Option {
	if p == nil {
		return nil
	}
	return []api.Option{api.WithProgress(p.report)}
}

// done removes the bar from the terminal.
func (p *progressBar) done() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}
