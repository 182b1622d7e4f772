package oneof

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
)

// The causes of the Selector's own refusals, which wrap them (match with
// errors.Is). A method's refusals are that method's own.
var (
	// ErrNoCredentials: the request sent none of the accepted credentials.
	ErrNoCredentials = errors.New("oneof: no credentials")
	// ErrAmbiguous: the request sent more than one kind of credential.
	ErrAmbiguous = errors.New("oneof: more than one kind of credentials")
	// ErrConfig wraps every configuration error of New.
	ErrConfig = errors.New("oneof: invalid configuration")
)

// The audit reasons of the Selector's refusals ([gatehouse.Event].Reason).
const (
	// ReasonNoCredentials: none of the accepted credentials was sent.
	ReasonNoCredentials gatehouse.Reason = "no_accepted_credentials"
	// ReasonAmbiguous: several kinds of credentials were sent.
	ReasonAmbiguous gatehouse.Reason = "ambiguous_credentials"
)

var refusals = [...]gatehouse.Refusal{
	{Err: ErrNoCredentials, Status: http.StatusUnauthorized, Message: DefaultMessage, Reason: ReasonNoCredentials},
	{Err: ErrAmbiguous, Status: http.StatusBadRequest, Message: "Ambiguous credentials: send only one of them", Reason: ReasonAmbiguous},
}

// Refusals lists the Selector's own refusals: the cause, status, default
// message and audit reason of each.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[:]) }
