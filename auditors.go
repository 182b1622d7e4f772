package gatehouse

import "context"

// Auditors returns an Auditor that hands each Event to every one of list,
// in order, so that one chain can log, measure and watch its decisions
// with one Config.Audit:
//
//	cfg.Audit = gatehouse.Auditors(gatehouse.SlogAuditor(logger), mon)
//
// Nil entries (and a nil AuditFunc) are skipped. With none left it
// returns nil, so that [Emit] costs nothing; with one, that Auditor
// itself. A list that holds another list made by Auditors is flattened.
// Every Auditor sees the same Event; one that panics stops the ones after
// it, as it would stop the request.
func Auditors(list ...Auditor) Auditor {
	var kept auditors
	for _, a := range list {
		switch a := a.(type) {
		case nil:
		case AuditFunc:
			if a != nil {
				kept = append(kept, a)
			}
		case auditors:
			kept = append(kept, a...)
		default:
			kept = append(kept, a)
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
