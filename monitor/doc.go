// Package monitor watches gatehouse's audit stream for bursts of refusals
// and raises an [Alert] when a client, or all clients together, are
// refused too often: more than Config.MaxUnauthorized 401 answers, or more
// than Config.MaxForbidden 403 answers, within a sliding Config.Window.
// The defaults, 10 failed authentications and 5 forbidden requests per
// 15 minutes, are the usual alerting thresholds for an API's integration
// logs.
//
// A [Monitor] is a [gatehouse.Auditor]: put it beside the audit logger with
// [gatehouse.Auditors] and give the result to every middleware's
// Config.Audit.
//
//	mon, err := monitor.New(monitor.Config{OnAlert: page})
//	...
//	audit := gatehouse.Auditors(gatehouse.SlogAuditor(logger), mon)
//
// An alert is delivered to Config.OnAlert and logged at Warn, once per
// window for each kind (unauthorized, forbidden) and scope (one client,
// or overall): a flood of refusals raises one alert per window, not one
// per request. An alert names the client address, counts, the threshold,
// the window, the times of the events and their most frequent reasons;
// audit events carry no token, key or password, so neither does an alert.
//
// Memory is bounded by Config.MaxAddresses: a client that rotates its
// address evicts the least recently refused ones, while the overall scope
// keeps counting every refusal.
package monitor
