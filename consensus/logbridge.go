package consensus

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogBridge sends raft's hclog output to a *slog.Logger with matching levels.
type hclogBridge struct {
	l    *slog.Logger
	name string
	args []any
}

func newHCLog(l *slog.Logger, name string) hclog.Logger {
	return &hclogBridge{l: l.With("component", name), name: name}
}

func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (b *hclogBridge) Log(level hclog.Level, msg string, args ...any) {
	if quietMessages[msg] {
		level = hclog.Debug
	}
	b.l.Log(context.Background(), slogLevel(level), msg, args...)
}

// quietMessages are raft errors that only say a peer's stream ended (a peer restarting or a
// connection closing); at Error level they would flood operators' logs on every restart.
var quietMessages = map[string]bool{
	"failed to decode incoming command": true,
	"failed to flush response":          true,
}

func (b *hclogBridge) Trace(msg string, args ...any) { b.Log(hclog.Trace, msg, args...) }
func (b *hclogBridge) Debug(msg string, args ...any) { b.Log(hclog.Debug, msg, args...) }
func (b *hclogBridge) Info(msg string, args ...any)  { b.Log(hclog.Info, msg, args...) }
func (b *hclogBridge) Warn(msg string, args ...any)  { b.Log(hclog.Warn, msg, args...) }
func (b *hclogBridge) Error(msg string, args ...any) { b.Log(hclog.Error, msg, args...) }

func (b *hclogBridge) enabled(level hclog.Level) bool {
	return b.l.Enabled(context.Background(), slogLevel(level))
}
func (b *hclogBridge) IsTrace() bool { return b.enabled(hclog.Trace) }
func (b *hclogBridge) IsDebug() bool { return b.enabled(hclog.Debug) }
func (b *hclogBridge) IsInfo() bool  { return b.enabled(hclog.Info) }
func (b *hclogBridge) IsWarn() bool  { return b.enabled(hclog.Warn) }
func (b *hclogBridge) IsError() bool { return b.enabled(hclog.Error) }

func (b *hclogBridge) ImpliedArgs() []any { return b.args }
func (b *hclogBridge) With(args ...any) hclog.Logger {
	return &hclogBridge{l: b.l.With(args...), name: b.name, args: append(append([]any{}, b.args...), args...)}
}
func (b *hclogBridge) Name() string { return b.name }
func (b *hclogBridge) Named(name string) hclog.Logger {
	return &hclogBridge{l: b.l.With("sub", name), name: b.name + "." + name, args: b.args}
}
func (b *hclogBridge) ResetNamed(name string) hclog.Logger {
	return &hclogBridge{l: b.l.With("sub", name), name: name, args: b.args}
}

// SetLevel is a no-op: the slog handler decides what is shown.
func (b *hclogBridge) SetLevel(hclog.Level) {}
func (b *hclogBridge) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn} {
		if b.enabled(l) {
			return l
		}
	}
	return hclog.Error
}
func (b *hclogBridge) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(b.l.Handler(), slog.LevelInfo)
}
func (b *hclogBridge) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return b.StandardLogger(opts).Writer()
}
