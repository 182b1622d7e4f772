package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// Voucher statuses.
const (
	StatusConfirmed            = "confirmed"
	StatusAwaitingConfirmation = "awaiting_confirmation"
)

// A Voucher is a reserved amount in a client session.
type Voucher struct {
	ID              string      `json:"id"`
	ClientID        string      `json:"clientId"`
	StoreID         string      `json:"storeId,omitempty"`
	Amount          json.Number `json:"amount"`
	Status          string      `json:"status"`
	UserID          string      `json:"userId,omitempty"`
	NotificationKey string      `json:"notificationKey"`
	CreatedAt       time.Time   `json:"createdAt"`
	ConfirmedAt     *time.Time  `json:"confirmedAt,omitempty"`
}

// vouchers holds the reserved vouchers and what each client session has
// spent, keyed by client and notificationKey (single-use per client, so
// one key is one session, however many tokens the session used).
type vouchers struct {
	now   func() time.Time
	mu    sync.Mutex
	byID  map[string]*Voucher
	spent map[[2]string]*big.Rat
}

func newVouchers(now func() time.Time) *vouchers {
	return &vouchers{now: now, byID: map[string]*Voucher{}, spent: map[[2]string]*big.Rat{}}
}

type reserveRequest struct {
	Amount  json.RawMessage `json:"amount" envelope:"required"`
	StoreID string          `json:"storeId"`
}

var (
	errAmount = envelope.ErrValidation.WithField("amount").WithMessage("amount must be a positive number")
	// errOverBudget is 403: the session token grants a spending authority of
	// at most its amount; asking for more is refused like any other action
	// the credential does not allow, and retrying cannot succeed.
	errOverBudget = envelope.ErrForbidden.WithMessage("Amount exceeds the session's remaining amount")
	errNoVoucher  = envelope.ErrNotFound.WithMessage("Voucher not found")
	errNotPending = envelope.New(http.StatusConflict, "ConflictError", "CONFLICT", "Voucher is not awaiting confirmation")
	errStore      = envelope.ErrValidation.WithField("storeId").WithMessage("Unknown storeId")
)

// positiveAmount parses a JSON number literal that is finite and > 0.
func positiveAmount(raw json.RawMessage) (*big.Rat, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(string(raw))
	return r, ok && r.Sign() > 0
}

// reserve is POST /v2/vouchers/reserve {"amount": 25, "storeId": "store-paris"}
// in a client session. The amount may not exceed what the session has left
// (403 otherwise). With the session's forceManualConfirm the voucher waits
// for POST /v2/vouchers/{id}/confirm; otherwise it is confirmed at once.
func (v *vouchers) reserve(w http.ResponseWriter, r *http.Request) {
	sess, err := checkSession(r, tokenendpoint.SessionClient)
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	var req reserveRequest
	if err := envelope.Decode(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	amount, ok := positiveAmount(req.Amount)
	if !ok {
		envelope.Write(w, r, errAmount)
		return
	}
	if req.StoreID != "" && !knownStore(req.StoreID) {
		envelope.Write(w, r, errStore)
		return
	}
	budget, ok := new(big.Rat).SetString(string(sess.Amount))
	if !ok {
		envelope.Write(w, r, envelope.ErrInternal)
		return
	}
	now := v.now().UTC().Truncate(time.Second)
	key := [2]string{sess.ClientID, sess.NotificationKey}

	v.mu.Lock()
	spent := v.spent[key]
	if spent == nil {
		spent = new(big.Rat)
	}
	after := new(big.Rat).Add(spent, amount)
	if after.Cmp(budget) > 0 {
		v.mu.Unlock()
		envelope.Write(w, r, errOverBudget)
		return
	}
	v.spent[key] = after
	vc := &Voucher{
		ID: newVoucherID(), ClientID: sess.ClientID, StoreID: req.StoreID, Amount: json.Number(req.Amount),
		Status: StatusConfirmed, UserID: sess.UserID, NotificationKey: sess.NotificationKey, CreatedAt: now,
	}
	if sess.ForceManualConfirm {
		vc.Status = StatusAwaitingConfirmation
	} else {
		vc.ConfirmedAt = &now
	}
	v.byID[vc.ID] = vc
	out := *vc
	v.mu.Unlock()

	_ = envelope.Success(w, http.StatusCreated, out)
}

// confirm is POST /v2/vouchers/{id}/confirm in an m2m session: a voucher
// of the same client that awaits confirmation becomes confirmed. Another
// client's voucher is 404, one not awaiting confirmation 409.
func (v *vouchers) confirm(w http.ResponseWriter, r *http.Request) {
	sess, err := checkSession(r, tokenendpoint.SessionM2M)
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	now := v.now().UTC().Truncate(time.Second)
	v.mu.Lock()
	vc, ok := v.byID[r.PathValue("id")]
	switch {
	case !ok || vc.ClientID != sess.ClientID:
		v.mu.Unlock()
		envelope.Write(w, r, errNoVoucher)
		return
	case vc.Status != StatusAwaitingConfirmation:
		v.mu.Unlock()
		envelope.Write(w, r, errNotPending)
		return
	}
	vc.Status, vc.ConfirmedAt = StatusConfirmed, &now
	out := *vc
	v.mu.Unlock()
	_ = envelope.OK(w, out)
}

func knownStore(id string) bool {
	for _, s := range Stores {
		if s.ID == id {
			return true
		}
	}
	return false
}

func newVoucherID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "v_" + hex.EncodeToString(b[:])
}
