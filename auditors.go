package gatehouse

import (
	"context"
	"reflect"
)

// Auditors returns an Auditor that hands each Event to every one of list,
// in order, so that one chain can log, measure and watch its decisions
// with one Config.Audit:
//
//	cfg.Audit = gatehouse.Auditors(gatehouse.SlogAuditor(logger), mon)
//
// Nil entries are skipped, typed ones included (a nil *monitor.Monitor
// or AuditFunc, left nil when a flag turns monitoring off). With none left it
// returns nil, so that [Emit] costs nothing; with one, that Auditor
// itself. A list that holds another list made by Auditors is flattened.
// Every Auditor sees the same Event; one that panics stops the ones after
// it, as it would stop the request.
func Auditors(list ...Auditor) Auditor {
	var kept auditors
	for _, a := range list {
		switch a := a.(type) {
		case nil:
		case auditors:
			kept = append(kept, a...)
		default:
			if !isNil(a) {
				kept = append(kept, a)
			}
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return kept
}

// auditors is the fan-out Auditors returns for two or more Auditors.
type auditors []Auditor

// Audit hands e to each Auditor of l in order.
func (l auditors) Audit(ctx context.Context, e Event) {
	for _, a := range l {
		a.Audit(ctx, e)
	}
}

// isNil reports whether a, not itself nil, holds a nil pointer, func, map,
// slice or channel: an Auditor whose Audit would panic or do nothing.
func isNil(a Auditor) bool {
	switch v := reflect.ValueOf(a); v.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Slice, reflect.Chan:
		return v.IsNil()
	}
	return false
}
