package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of a zero [Config].
const (
	DefaultWindow          = 15 * time.Minute
	DefaultMaxUnauthorized = 10
	DefaultMaxForbidden    = 5
	DefaultMaxAddresses    = 10_000
	DefaultMaxClientAlerts = 10
)

// MaxThreshold bounds MaxUnauthorized and MaxForbidden: the monitor keeps
// up to a threshold plus one events per client, so the thresholds bound
// its memory together with MaxAddresses.
const MaxThreshold = 10_000

// ErrConfig is wrapped by the errors [New] returns for an unusable Config.
var ErrConfig = errors.New("monitor: invalid configuration")

// Config configures a [Monitor]. Every zero field has the default its
// comment names.
type Config struct {
	// Window is the span the events are counted over, a sliding window:
	// an event counts until it is Window old. It is also the quiet period
	// after an alert. Default: DefaultWindow (15 minutes).
	Window time.Duration
	// MaxUnauthorized is the number of 401 answers a scope may get within
	// Window: one more raises an [Unauthorized] alert. Between 1 and
	// MaxThreshold. Default: DefaultMaxUnauthorized (10).
	MaxUnauthorized int
	// MaxForbidden is the number of 403 answers a scope may get within
	// Window: one more raises a [Forbidden] alert. Between 1 and
	// MaxThreshold. Default: DefaultMaxForbidden (5).
	MaxForbidden int
	// OverallMaxUnauthorized and OverallMaxForbidden are the thresholds
	// of the overall scope, all clients together. A public API gets
	// scattered 401s from many honest clients (expired tokens, a missing
	// header), so set them well above the per-client ones there. Between
	// 1 and MaxThreshold. Default: MaxUnauthorized and MaxForbidden.
	OverallMaxUnauthorized, OverallMaxForbidden int
	// MaxClientAlerts is the number of alerts about single clients
	// delivered within one Window, across all clients: an attacker
	// spreading refusals over thousands of addresses raises that many
	// and no more (the overall alert still fires). The next overall alert
	// counts the ones held back (Alert.SuppressedClients). At least 1.
	// Default: DefaultMaxClientAlerts (10).
	MaxClientAlerts int
	// MaxAddresses is the number of client scopes (an IPv4 address, an
	// IPv6 /64) the monitor tracks at once, at least 1. When an event
	// comes from a new one and the table is full, the monitor first
	// forgets the clients whose events and alert quiet period are all
	// older than Window, and then, if it is still full, the client refused
	// least recently (its counts, and the memory of its last alert, are
	// lost; the overall scope counts every event regardless). Each
	// tracked client holds up to MaxUnauthorized+MaxForbidden+2 events of
	// 24 bytes plus about 300 bytes of bookkeeping. Default:
	// DefaultMaxAddresses (10,000).
	MaxAddresses int
	// OnAlert, when set, receives every alert. It runs on the goroutine
	// of the request whose refusal raised the alert, with that request's
	// context (done when the request ends), after the monitor has released
	// its lock, and so should return quickly: hand slow work (mail, a
	// pager call) to a goroutine of its own, without the context. Optional.
	OnAlert func(context.Context, Alert)
	// Logger receives one record per alert, at Warn, with the message
	// "gatehouse monitor alert" (see [Alert.LogAttrs] for its
	// attributes). Default: slog.Default(). Give it
	// slog.New(slog.DiscardHandler) to rely on OnAlert alone.
	Logger *slog.Logger
	// Now is the clock the window is measured on; nil means time.Now. The
	// monitor reads it once per 401 or 403 and never for other events.
	Now func() time.Time
}

// withDefaults returns cfg with its zero fields set to their defaults, or
// an error wrapping ErrConfig naming every problem.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxUnauthorized == 0 {
		cfg.MaxUnauthorized = DefaultMaxUnauthorized
	}
	if cfg.MaxForbidden == 0 {
		cfg.MaxForbidden = DefaultMaxForbidden
	}
	if cfg.OverallMaxUnauthorized == 0 {
		cfg.OverallMaxUnauthorized = cfg.MaxUnauthorized
	}
	if cfg.OverallMaxForbidden == 0 {
		cfg.OverallMaxForbidden = cfg.MaxForbidden
	}
	if cfg.MaxClientAlerts == 0 {
		cfg.MaxClientAlerts = DefaultMaxClientAlerts
	}
	if cfg.MaxAddresses == 0 {
		cfg.MaxAddresses = DefaultMaxAddresses
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var problems []error
	if cfg.Window < 0 {
		problems = append(problems, fmt.Errorf("negative Window %v", cfg.Window))
	}
	for _, t := range []struct {
		name string
		v    int
	}{
		{"MaxUnauthorized", cfg.MaxUnauthorized}, {"MaxForbidden", cfg.MaxForbidden},
		{"OverallMaxUnauthorized", cfg.OverallMaxUnauthorized}, {"OverallMaxForbidden", cfg.OverallMaxForbidden},
	} {
		if t.v < 0 || t.v > MaxThreshold {
			problems = append(problems, fmt.Errorf("%s %d is outside 1..%d", t.name, t.v, MaxThreshold))
		}
	}
	if cfg.MaxClientAlerts < 0 {
		problems = append(problems, fmt.Errorf("negative MaxClientAlerts %d", cfg.MaxClientAlerts))
	}
	if cfg.MaxAddresses < 0 {
		problems = append(problems, fmt.Errorf("negative MaxAddresses %d", cfg.MaxAddresses))
	}
	if len(problems) > 0 {
		return cfg, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	return cfg, nil
}
